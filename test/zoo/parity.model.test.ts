/**
 * The committed zoo models compute in node-llama-cpp what the trainer computes: the same tokens for
 * every prompt, next-token probabilities within 5e-3 (measured up to 2.8e-3: llama.cpp keeps its KV cache in F16), and the
 * same greedy answers.
 */
import { getLlama, type Llama, type LlamaModel } from "node-llama-cpp";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mulberry32 } from "../../kernel/prng.js";
import { candidateSet, synthesisPrompt } from "../../zoo/candidates.js";
import { greedyAnswers, nextTokenProbabilities } from "../../zoo/infer.js";
import { llamaGreedyAnswers, llamaNextTokenProbabilities } from "../../zoo/llama-side.js";
import { committedPhrasing, committedShape } from "../../zoo/manifest.js";
import { ZOO_RECIPES } from "../../zoo/recipes.js";
import { evaluationSet } from "../../zoo/tasks.js";
import { promptOf, useWasmBackend } from "../../zoo/train.js";
import { encode } from "../../zoo/vocabulary.js";
import { readWeights } from "../../zoo/weights-file.js";

const MODELS = join(import.meta.dirname, "../../zoo/models");
// Whichever zoo is committed: its shape and phrasing come from its manifest.
const ZOO_SHAPE = committedShape();
const items = evaluationSet("test", 8, 7, committedPhrasing());
const random = mulberry32(5);
const prompts = [
  ...items.map((item) => promptOf(item.question)),
  ...items.slice(0, 12).map((item) => synthesisPrompt(item.question, candidateSet(item.answer, 3, random))),
];

let llama: Llama;

beforeAll(async () => {
  await useWasmBackend();
  llama = await getLlama({ gpu: false });
});

afterAll(async () => {
  await llama?.dispose();
});

describe.each(ZOO_RECIPES.map((r) => r.name))("zoo model %s", (name) => {
  let model: LlamaModel;
  beforeAll(async () => {
    model = await llama.loadModel({ modelPath: join(MODELS, `${name}.gguf`), gpuLayers: 0 });
  });
  afterAll(async () => {
    await model?.dispose();
  });

  it("is tokenised by llama.cpp exactly as the trainer tokenises", () => {
    for (const prompt of prompts) expect([...model.tokenize(prompt)], JSON.stringify(prompt)).toEqual(encode(prompt));
  });

  it("gives the trainer's next-token probabilities and greedy answers", async () => {
    const weights = await readWeights(join(MODELS, `${name}.gguf`), ZOO_SHAPE);
    const sample = prompts.filter((_, i) => i % 6 === 0);
    const ours = nextTokenProbabilities(weights, ZOO_SHAPE, sample);
    const theirs = await llamaNextTokenProbabilities(model, sample, ZOO_SHAPE.vocab);
    let worst = 0;
    ours.forEach((row, i) => row.forEach((p, token) => (worst = Math.max(worst, Math.abs(p - theirs[i]![token]!)))));
    expect(worst).toBeLessThan(5e-3);

    const trainer = greedyAnswers(weights, ZOO_SHAPE, prompts, 12);
    const runtime = await llamaGreedyAnswers(model, prompts, 12);
    const agree = trainer.filter((answer, i) => answer === runtime[i]).length;
    expect(agree, JSON.stringify(trainer.map((a, i) => [a, runtime[i]]).filter(([a, b]) => a !== b))).toBeGreaterThanOrEqual(prompts.length - 1);
    for (const w of Object.values(weights)) w.dispose();
  });
});
