import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LlamaExpert, type LlamaExpertOptions } from "../../../experts/llama/llama-expert.js";
import { createJsonSchemaGrammar } from "../../../experts/llama/json-grammar.js";
import { disposeRuntime, getRuntime } from "../../../experts/llama/runtime.js";
import { isConclaveError } from "../../../kernel/errors.js";
import { modelFolder, type ModelFolder } from "../../helpers/models.js";

let folder: ModelFolder;
let moePath: string;

const options = (id: string, model: string, extra: Partial<LlamaExpertOptions> = {}): LlamaExpertOptions => ({
  id,
  model,
  modelsDir: folder.dir,
  allowDownload: false,
  contextSize: 512,
  sequences: 2,
  threads: 1,
  gpuLayers: 0,
  useMmap: true,
  runtime: { gpu: false, maxThreads: 2 },
  ...extra,
});

const ask = (content: string, maxTokens = 8, extra = {}) => ({ messages: [{ role: "user" as const, content }], params: { maxTokens, temperature: 0, ...extra } });

beforeAll(async () => {
  folder = await modelFolder();
  moePath = (await folder.write("moe")).path;
});

afterAll(async () => {
  await disposeRuntime();
  await folder.remove();
});

describe("LlamaExpert on a generated sparse-MoE GGUF", () => {
  it("reports the MoE shape and a memory estimate before loading", async () => {
    const expert = new LlamaExpert(options("moe", moePath));
    const shape = await expert.describe();
    expect(shape).toMatchObject({ architecture: "llama", expertCount: 4, expertUsedCount: 2 });
    expect(shape.activeParameters).toBeLessThan(shape.parameters!);
    const memory = await expert.estimateMemory();
    expect(memory.ramBytes).toBeGreaterThan(shape.fileBytes! / 2);
    expect(memory.vramBytes).toBe(0);
    expect(expert.isLoaded()).toBe(false);
    await expert.close();
  });

  it("a cancelled load rejects ABORTED, keeps nothing resident, and the next load works", async () => {
    const expert = new LlamaExpert(options("moe", moePath));
    const cancelled = new AbortController();
    cancelled.abort();
    const error = await expert.ensureLoaded(cancelled.signal).catch((e: unknown) => e);
    expect(isConclaveError(error) && error.code).toBe("ABORTED");
    expect(expert.isLoaded()).toBe(false);
    const midway = new AbortController();
    const racing = expert.ensureLoaded(midway.signal).then(() => "loaded", (e: unknown) => (isConclaveError(e) ? e.code : String(e)));
    midway.abort();
    // node-llama-cpp may finish a small load before it sees the signal; either way the expert is coherent.
    const outcome = await racing;
    expect(["loaded", "ABORTED"]).toContain(outcome);
    expect(expert.isLoaded()).toBe(outcome === "loaded");
    await expert.ensureLoaded();
    expect((await expert.doGenerate(ask("hello", 3))).usage.completionTokens).toBe(3);
    await expert.close();
  });

  it("shares one load between concurrent ensureLoaded calls and generates with usage", async () => {
    const expert = new LlamaExpert(options("moe", moePath));
    await Promise.all([expert.ensureLoaded(), expert.ensureLoaded(), expert.ensureLoaded()]);
    expect(expert.isLoaded()).toBe(true);
    const result = await expert.doGenerate(ask("hello", 6));
    expect(result.text.length).toBeGreaterThan(0);
    expect(result.finishReason).toBe("length");
    expect(result.usage.completionTokens).toBe(6);
    expect(result.usage.promptTokens).toBeGreaterThan(0);
    await expert.close();
    await expert.close();
    expect(expert.isLoaded()).toBe(false);
    await expect(expert.doGenerate(ask("again"))).rejects.toMatchObject({ code: "CLOSED" });
  });

  it("is deterministic at temperature 0 and serves more requests than sequences, reusing them", async () => {
    const expert = new LlamaExpert(options("moe", moePath, { sequences: 2 }));
    const results = await Promise.all(Array.from({ length: 5 }, () => expert.doGenerate(ask("same prompt", 6))));
    expect(new Set(results.map((r) => r.text)).size).toBe(1);
    await expert.close();
  });

  it("streams text chunks that join to the final text", async () => {
    const expert = new LlamaExpert(options("moe", moePath));
    const chunks: string[] = [];
    const result = await expert.doGenerate({ ...ask("stream please", 10), onText: (text) => chunks.push(text) });
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.join("")).toBe(result.text);
    await expert.close();
  });

  it("stops generating when aborted", async () => {
    const expert = new LlamaExpert(options("moe", moePath));
    await expert.ensureLoaded();
    const controller = new AbortController();
    let chunks = 0;
    const running = expert.doGenerate({
      ...ask("a long answer", 400),
      signal: controller.signal,
      onText: () => {
        chunks += 1;
        if (chunks === 3) controller.abort();
      },
    });
    await expect(running).rejects.toMatchObject({ code: "ABORTED" });
    expect(chunks).toBeLessThan(50);
    // The sequence went back to the pool: the next request still runs.
    await expect(expert.doGenerate(ask("after abort", 3))).resolves.toMatchObject({ finishReason: "length" });
    await expert.close();
  });

  it("applies the expert_used_count override for MoE models", async () => {
    const expert = new LlamaExpert(options("moe", moePath, { expertUsedCount: 1 }));
    expect((await expert.describe()).expertUsedCount).toBe(1);
    await expert.ensureLoaded();
    await expect(expert.doGenerate(ask("one expert", 3))).resolves.toMatchObject({ finishReason: "length" });
    await expert.close();
  });

  it("enforces a JSON schema through a grammar", async () => {
    const expert = new LlamaExpert(options("moe", moePath));
    const schema = { type: "object", properties: { answer: { type: "string", enum: ["yes", "no"] } }, required: ["answer"] };
    const result = await expert.doGenerate(ask("yes or no?", 40, { jsonSchema: schema }));
    expect(["yes", "no"]).toContain(JSON.parse(result.text).answer);
    await expert.close();
  });

  it("builds JSON-schema grammars for $defs (used or not), arrays and open objects, with no placeholder left", async () => {
    const llama = await getRuntime({ gpu: false, maxThreads: 2 });
    const grammar = await createJsonSchemaGrammar(llama, {
      type: "object",
      properties: { point: { $ref: "#/$defs/point" }, list: { type: "array", items: { type: "number", maximum: 10 } }, extra: { type: "object" } },
      $defs: { point: { type: "object", properties: { x: { type: "integer", minimum: 0, maximum: 9 } } }, unused: { type: "integer", maximum: 3 } },
    });
    expect(grammar.grammar).not.toContain("__conclave_bounded_number_");
    expect(grammar.grammar).not.toMatch(/\[eE\]/);
    expect(grammar.grammar).toContain("([0-9])");
  });

  it("bounds numbers and string lengths: an answer parses within the schema or ends with length", async () => {
    const expert = new LlamaExpert(options("moe", moePath));
    const schema = {
      type: "object",
      properties: { a: { type: "integer", minimum: -50, maximum: 1000 }, x: { type: "number", minimum: 0, maximum: 2 }, s: { type: "string", maxLength: 5 } },
      required: ["a", "x", "s"],
      additionalProperties: false,
    };
    const finishes: string[] = [];
    // Random weights at temperature 1: whatever the model favours, the grammar decides what it may write.
    for (let seed = 1; seed <= 6; seed++) {
      const result = await expert.doGenerate(ask("numbers", 120, { jsonSchema: schema, temperature: 1, seed }));
      finishes.push(result.finishReason);
      if (result.finishReason === "length") continue;
      expect(result.finishReason).toBe("stop");
      const value = JSON.parse(result.text) as { a: number; x: number; s: string };
      expect(Number.isInteger(value.a) && value.a >= -50 && value.a <= 1000, result.text).toBe(true);
      expect(value.x >= 0 && value.x < 3, result.text).toBe(true);
      expect(value.s.length).toBeLessThanOrEqual(5);
    }
    expect(finishes).toContain("stop");
    // A budget that cuts the object mid-way says so.
    const cut = await expert.doGenerate(ask("numbers", 6, { jsonSchema: schema, temperature: 1, seed: 1 }));
    expect(cut.finishReason).toBe("length");
    expect(() => JSON.parse(cut.text)).toThrow();
    await expert.close();
  });

  it("names the file and the reason when a GGUF is corrupt, truncated or missing", async () => {
    const corrupt = new LlamaExpert(options("bad", await folder.corrupt("bad")));
    const error = await corrupt.ensureLoaded().catch((e: unknown) => e);
    expect(isConclaveError(error) && error.code).toBe("MODEL_LOAD_FAILED");
    expect((error as Error).message).toContain(`${folder.dir}/bad.gguf`);

    const moe = await folder.write("whole");
    const cut = new LlamaExpert(options("cut", await folder.truncated("cut", moe, Math.floor(moe.bytes / 2))));
    const cutError = await cut.ensureLoaded().catch((e: unknown) => e);
    expect(isConclaveError(cutError) && cutError.code).toBe("MODEL_LOAD_FAILED");
    expect((cutError as Error).message).toContain("cut.gguf");

    const missing = new LlamaExpert(options("missing", `${folder.dir}/nope.gguf`));
    await expect(missing.ensureLoaded()).rejects.toMatchObject({ code: "MODEL_FILE_NOT_FOUND" });
  });
});
