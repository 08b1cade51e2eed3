import { rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ReplayExpert } from "../../../experts/replay/replay-expert.js";
import { importRouterBenchCsv, importJsonl } from "../../../experts/replay/import.js";
import { normalisePrompt, parseRecordings, promptHash, Recordings } from "../../../experts/replay/recordings.js";
import { parseCsv } from "../../../experts/replay/csv.js";
import { isConclaveError } from "../../../kernel/errors.js";
import { prompt, writeFixture } from "./fixture.js";

let fixture: { dir: string; file: string };
beforeAll(async () => {
  fixture = await writeFixture();
});
afterAll(async () => {
  await rm(fixture.dir, { recursive: true, force: true });
});

const ask = (content: string) => ({ messages: [{ role: "user" as const, content }], params: { maxTokens: 8 } });

describe("replay recordings", () => {
  it("hashes the normalised prompt: spacing and line endings do not matter, words do", () => {
    expect(normalisePrompt("  a \r\n b\t\tc ")).toBe("a b c");
    expect(promptHash("a  b\r\nc")).toBe(promptHash("a b c"));
    expect(promptHash("a b c")).not.toBe(promptHash("a b d"));
  });

  it("reads lines by prompt or by hash, and refuses a bad line naming file and line", () => {
    const lines = parseRecordings(`{"prompt":"p","answers":{"m":{"text":"A","cost":0.5}}}\n\n{"hash":"h1","answers":{"m":{"text":"B"}}}\n`, "r.jsonl");
    const recordings = Recordings.fromLines(lines);
    expect(recordings.answer(promptHash("p"), "m")).toEqual({ text: "A", cost: 0.5 });
    expect(recordings.answer("h1", "m")?.text).toBe("B");
    expect(recordings.meanCost("m")).toBe(0.5);
    expect(() => parseRecordings(`{"answers":{}}\n{"prompt":"p","answers":{"m":{"text":"A","cost":-1}}}`, "r.jsonl")).toThrow(/r\.jsonl:1: give "hash" or "prompt"/);
    expect(() => parseRecordings(`{"prompt":"p","answers":{"m":{"text":"A","cost":-1}}}`, "r.jsonl")).toThrow(/r\.jsonl:1: answers\.m\.cost/);
  });

  it("imports RouterBench's CSV columns: grade, response and cost per model, quoted fields with commas and newlines", () => {
    const csv = [
      "sample_id,prompt,eval_name,gpt-4,gpt-4|model_response,gpt-4|total_cost,mixtral,mixtral|model_response,mixtral|total_cost",
      'arc.1,"Which, of these?\nA) x\nB) y",arc,1.0,"B",0.003,0.0,"A, surely ""A""",0.0002',
    ].join("\r\n");
    expect(parseCsv(csv)[1]).toHaveLength(9);
    const [line] = importRouterBenchCsv(csv, "rb.csv", { keepPrompts: false });
    expect(line).toEqual({
      hash: promptHash("Which, of these?\nA) x\nB) y"),
      id: "arc.1",
      answers: { "gpt-4": { text: "B", cost: 0.003, correct: 1 }, mixtral: { text: 'A, surely "A"', cost: 0.0002, correct: 0 } },
    });
    expect(() => importRouterBenchCsv("id,question\n1,x", "bad.csv", { keepPrompts: true })).toThrow(/bad\.csv: no "prompt" column/);
  });

  it("imports the shared JSONL form, keeping or dropping prompts", () => {
    const text = `{"id":"q1","task":"t","prompt":"P?","answers":{"m":{"text":"A","correct":1,"cost":0.1}}}`;
    expect(importJsonl(text, "t.jsonl", { keepPrompts: true })[0]).toMatchObject({ id: "q1", prompt: "P?", hash: promptHash("P?") });
    expect(importJsonl(text, "t.jsonl", { keepPrompts: false })[0]).not.toHaveProperty("prompt");
  });
});

describe("ReplayExpert", () => {
  it("answers the recorded text with its cost, instantly and with no model", async () => {
    const expert = new ReplayExpert({ id: "mid-expert", model: "mid", recordings: [fixture.file] });
    expect(expert.info).toMatchObject({ kind: "replay", placement: "remote" });
    expect(await expert.estimateMemory()).toEqual({ ramBytes: 0, vramBytes: 0 });
    const result = await expert.doGenerate(ask(`  ${prompt(5)}  `));
    expect(result).toMatchObject({ text: "B", cost: 0.002, finishReason: "stop", usage: { promptTokens: 0, completionTokens: 0 } });
    expect(await expert.expectedCost()).toBeCloseTo(0.002);
    await expert.close();
    await expert.close();
    await expect(expert.doGenerate(ask(prompt(1)))).rejects.toMatchObject({ code: "CLOSED" });
  });

  it("refuses an unknown prompt naming the expert and the prompt's hash", async () => {
    const expert = new ReplayExpert({ id: "weak-expert", model: "weak", recordings: [fixture.file] });
    const error = await expert.doGenerate(ask("never asked")).catch((e: unknown) => e);
    expect(isConclaveError(error) && error.code).toBe("REPLAY_UNKNOWN_PROMPT");
    expect((error as Error).message).toContain("weak-expert");
    expect((error as Error).message).toContain(promptHash("never asked"));
  });

  it("is unavailable when the recordings lack its model or cannot be read", async () => {
    await expect(new ReplayExpert({ id: "x", model: "nobody", recordings: [fixture.file] }).describe()).rejects.toThrow(/no answer of model "nobody"/);
    const missing = join(fixture.dir, "missing.jsonl");
    await expect(new ReplayExpert({ id: "x", recordings: [missing] }).describe()).rejects.toMatchObject({ code: "REPLAY_RECORDINGS_INVALID" });
  });
});
