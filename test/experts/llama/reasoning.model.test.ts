/**
 * A thinking model on the plain prompt format: the zoo's zoo-sub-sort writes `<think>walk</think>n`
 * for counting. The expert returns the answer and the thought apart, streamed to their own sinks
 * (pieces joined = the whole); it subtracts in columns, thinking too. A model that answers without
 * thinking (zoo-numbers) has no reasoning.
 */
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { LlamaExpert } from "../../../experts/llama/llama-expert.js";
import { disposeRuntime } from "../../../experts/llama/runtime.js";

const ZOO = join(import.meta.dirname, "../../../zoo/models");
const zooExpert = (id: string) =>
  new LlamaExpert({
    id,
    model: join(ZOO, `${id}.gguf`),
    modelsDir: ZOO,
    allowDownload: false,
    contextSize: 256,
    sequences: 1,
    threads: 1,
    gpuLayers: 0,
    useMmap: true,
    promptFormat: "plain",
    runtime: { gpu: false, maxThreads: 1 },
  });
const expert = zooExpert("zoo-sub-sort");
const plainExpert = zooExpert("zoo-numbers");

afterAll(async () => {
  await expert.close();
  await plainExpert.close();
  await disposeRuntime();
});

const ask = (content: string) => ({ messages: [{ role: "user" as const, content }], params: { maxTokens: 48, temperature: 0 } });

describe("a thinking expert in plain format", () => {
  it("returns the answer without its thought, and the thought as reasoning", async () => {
    const result = await expert.doGenerate(ask("How many times does e appear in decade?"));
    expect(result).toMatchObject({ text: "2", reasoning: "e|d0e1c1a1d1e2", finishReason: "stop" });
  });

  it("streams thought and answer to their own sinks, whole and in order", async () => {
    const events: Array<["text" | "reasoning", string]> = [];
    const result = await expert.doGenerate({ ...ask("How many a's does the word banana contain?"), onText: (t) => events.push(["text", t]), onReasoning: (t) => events.push(["reasoning", t]) });
    const joined = (kind: string) => events.filter(([k]) => k === kind).map(([, t]) => t).join("");
    expect(joined("reasoning")).toBe(result.reasoning);
    expect(joined("text")).toBe(result.text);
    expect(result.reasoning).toMatch(/^a\|/);
    const kinds = events.map(([k]) => k);
    expect(kinds.indexOf("text")).toBeGreaterThan(kinds.lastIndexOf("reasoning"));
    expect(events.filter(([k]) => k === "reasoning").length).toBeGreaterThan(3);
  });

  it("subtracts in columns, least significant digit first, and answers the difference", async () => {
    const result = await expert.doGenerate(ask("What is 85 - 19?"));
    expect(result).toMatchObject({ text: "66", reasoning: "58-91=66", finishReason: "stop" });
  });

  it("has no reasoning from a model that answers without thinking", async () => {
    const result = await plainExpert.doGenerate(ask("What is 85 - 19?"));
    expect(result.text).not.toContain("<think>");
    expect(result).not.toHaveProperty("reasoning");
  });
});
