/**
 * Test fixtures: tiny generated GGUF models in a per-run temporary folder. Writing one takes
 * milliseconds, so each test file makes what it needs and removes the folder at the end.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeTestModel, type TestModelInfo, type TestModelSpec } from "../../experts/testmodels/generate.js";
import { hashString } from "../../kernel/prng.js";

export const TINY_MOE: TestModelSpec = { embedding: 64, layers: 2, heads: 4, feedForward: 128, experts: 4, expertsUsed: 2, contextLength: 1024, quant: "Q8_0" };

export interface ModelFolder {
  dir: string;
  write(name: string, spec?: TestModelSpec): Promise<TestModelInfo>;
  /** A file that starts like nothing llama.cpp knows. */
  corrupt(name: string): Promise<string>;
  /** The first bytes of a real model: a valid header whose data is cut off. */
  truncated(name: string, from: TestModelInfo, keepBytes: number): Promise<string>;
  remove(): Promise<void>;
}

export async function modelFolder(prefix = "conclave-models-"): Promise<ModelFolder> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return {
    dir,
    write: (name, spec = TINY_MOE) => writeTestModel(join(dir, `${name}.gguf`), { name, seed: hashString(name), ...spec }),
    async corrupt(name) {
      const path = join(dir, `${name}.gguf`);
      await writeFile(path, Buffer.from("this is not a gguf file at all".repeat(10)));
      return path;
    },
    async truncated(name, from, keepBytes) {
      const { readFile } = await import("node:fs/promises");
      const path = join(dir, `${name}.gguf`);
      await writeFile(path, (await readFile(from.path)).subarray(0, keepBytes));
      return path;
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
