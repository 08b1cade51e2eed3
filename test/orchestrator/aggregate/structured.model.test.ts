/**
 * Structured output through every aggregation step, on the embedded zoo: the experts, the vote and
 * the aggregator's synthesis all keep the request's JSON schema. The answer parses and matches the
 * schema, or it ends with finish_reason "length" when the budget cut it.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { disposeRuntime } from "../../../experts/llama/runtime.js";
import { matchesSchema } from "../../../orchestrator/aggregate/json-answers.js";
import { parseConfig } from "../../../orchestrator/config/load.js";
import { Orchestrator } from "../../../orchestrator/orchestrator.js";

const schema = { type: "object", properties: { a: { type: "integer" }, b: { type: "integer" } }, required: ["a", "b"], additionalProperties: false };
const question = (maxTokens: number) => ({
  id: `q-${maxTokens}`,
  messages: [{ role: "user" as const, content: "What is the sum of 1836281973 and 19973286?" }],
  params: { maxTokens, jsonSchema: schema },
});

let dir: string;
let voting: Orchestrator;
let synthesising: Orchestrator;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "conclave-structured-"));
  const runtime = { gpu: false, maxThreads: 2 };
  voting = await Orchestrator.create(parseConfig({ runtime }, dir));
  synthesising = await Orchestrator.create(parseConfig({ runtime, aggregation: { method: "synthesize", skipWhenAgree: false, aggregator: "zoo-aggregator" } }, dir));
});

afterAll(async () => {
  await voting?.close();
  await synthesising?.close();
  await disposeRuntime();
  await rm(dir, { recursive: true, force: true });
});

describe("structured output on the zoo", () => {
  it("vote: the answer is a candidate that matches the schema, chosen by its parsed value", async () => {
    const outcome = await voting.answer(question(100));
    expect(outcome.trace.aggregation.method).toBe("vote");
    expect(outcome.finishReason).toBe("stop");
    expect(matchesSchema(JSON.parse(outcome.text), schema)).toBe(true);
    expect(outcome.trace.answers.map((a) => a.text)).toContain(outcome.text);
    expect(outcome.trace.aggregation.reason).toMatch(/^majority vote for \{"a":-?\d+,"b":-?\d+\}/);
  });

  it("vote: when the budget cuts every candidate the answer says length", async () => {
    const outcome = await voting.answer(question(8));
    expect(outcome.finishReason).toBe("length");
    expect(() => JSON.parse(outcome.text)).toThrow();
    expect(outcome.trace.aggregation.reason).toMatch(/no answer parses and matches the JSON schema/);
  });

  it("synthesis: the aggregator writes under the same grammar (a model never trained on JSON writes valid JSON)", async () => {
    const outcome = await synthesising.answer(question(100));
    expect(outcome.trace.aggregation).toMatchObject({ method: "synthesize", aggregator: "zoo-aggregator" });
    expect(outcome.finishReason).toBe("stop");
    expect(matchesSchema(JSON.parse(outcome.text), schema)).toBe(true);
    const cut = await synthesising.answer(question(8));
    expect(cut.trace.aggregation.method).toBe("synthesize");
    expect(cut.finishReason).toBe("length");
    expect(() => JSON.parse(cut.text)).toThrow();
  });
});
