import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LlamaExpert, type LlamaExpertOptions } from "../../../experts/llama/llama-expert.js";
import { disposeRuntime } from "../../../experts/llama/runtime.js";
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
