/** Every generated variant must load and chat in real node-llama-cpp, not only parse. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LlamaExpert } from "../../../experts/llama/llama-expert.js";
import { disposeRuntime } from "../../../experts/llama/runtime.js";
import type { TestModelSpec } from "../../../experts/testmodels/generate.js";
import { modelFolder, type ModelFolder } from "../../helpers/models.js";

let folder: ModelFolder;
beforeAll(async () => {
  folder = await modelFolder();
});
afterAll(async () => {
  await disposeRuntime();
  await folder.remove();
});

const variants: Record<string, TestModelSpec> = {
  "dense-f16": { quant: "F16" },
  "moe-q4": { experts: 4, expertsUsed: 2, quant: "Q4_0" },
  "qwen3moe-q8": { architecture: "qwen3moe", experts: 8, expertsUsed: 2, quant: "Q8_0" },
  "gqa-f32": { heads: 4, kvHeads: 2, quant: "F32", experts: 2, expertsUsed: 1 },
};

describe("generated models in node-llama-cpp", () => {
  for (const [name, spec] of Object.entries(variants)) {
    it(`${name} loads, reports its shape and writes printable text`, async () => {
      const info = await folder.write(name, spec);
      const expert = new LlamaExpert({
        id: name,
        model: info.path,
        modelsDir: folder.dir,
        allowDownload: false,
        contextSize: 256,
        sequences: 1,
        threads: 1,
        gpuLayers: 0,
        useMmap: true,
        runtime: { gpu: false, maxThreads: 2 },
      });
      try {
        const shape = await expert.describe();
        expect(shape.architecture).toBe(info.architecture);
        expect(shape.expertCount ?? 0).toBe(info.expertCount);
        const result = await expert.doGenerate({ messages: [{ role: "user", content: "Hello there" }], params: { maxTokens: 12, temperature: 0 } });
        expect(result.usage.completionTokens).toBeGreaterThan(0);
        expect(result.text.length).toBeGreaterThan(0);
        expect(result.text).toMatch(/^[\x20-\x7e\s]*$/);
      } finally {
        await expert.close();
      }
    });
  }
});
