/**
 * A 30-step training smoke test: the loss falls, the model is written as GGUF, and node-llama-cpp
 * loads it and answers what the trainer's own forward pass answers.
 */
import { getLlama } from "node-llama-cpp";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { greedyAnswers } from "../../zoo/infer.js";
import { llamaGreedyAnswers } from "../../zoo/llama-side.js";
import { ZOO_SHAPE } from "../../zoo/recipes.js";
import { evaluationSet } from "../../zoo/tasks.js";
import { promptOf, train, type Recipe } from "../../zoo/train.js";
import { modelKv, writeWeights } from "../../zoo/weights-file.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "conclave-zoo-train-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const recipe: Recipe = {
  name: "smoke",
  description: "smoke test",
  seed: 1,
  steps: 30,
  batch: 16,
  learningRate: 3e-3,
  warmup: 5,
  mixture: { reversal: 1, uppercase: 1 },
  synthesis: 0.25,
  shape: ZOO_SHAPE,
};

describe("the zoo trainer", () => {
  it("trains 30 steps, exports GGUF and agrees with node-llama-cpp", async () => {
    const { weights, losses } = await train(recipe, { every: 10 });
    expect(losses.map((l) => l.step)).toEqual([10, 20, 30]);
    expect(losses[2]!.loss).toBeLessThan(losses[0]!.loss);
    const path = join(dir, "smoke.gguf");
    await writeWeights(path, weights, ZOO_SHAPE, modelKv(ZOO_SHAPE, "smoke", "smoke test"));
    const prompts = evaluationSet("val", 4, 0).map((item) => promptOf(item.question));
    const ours = greedyAnswers(weights, ZOO_SHAPE, prompts, 8);
    const llama = await getLlama({ gpu: false });
    const model = await llama.loadModel({ modelPath: path, gpuLayers: 0 });
    try {
      const theirs = await llamaGreedyAnswers(model, prompts, 8);
      expect(theirs.filter((answer, i) => answer === ours[i]).length).toBeGreaterThanOrEqual(prompts.length - 1);
    } finally {
      await model.dispose();
    }
  });
});
