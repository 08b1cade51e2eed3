/**
 * Trains one zoo recipe and writes `<out>/<name>.gguf` plus `<name>.train.json` (loss curve, speed).
 * `npx tsx zoo/train-one.ts <name> [--out dir] [--steps n] [--first-stage model.gguf]` — the build runs one per core.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { hashString } from "../kernel/prng.js";
import { recipeNamed } from "./recipes.js";
import type { Weights } from "./model.js";
import { secondStage, train, useWasmBackend, type Recipe, type TrainProgress } from "./train.js";
import { modelKv, readWeights, writeWeights } from "./weights-file.js";

export async function trainOne(
  recipe: Recipe,
  outDir: string,
  log: (line: string) => void = () => undefined,
  /** The first stage's model, to run only the second stage from it. */
  firstStage?: string,
): Promise<{ path: string; seconds: number }> {
  const started = performance.now();
  const progress = (stage: Recipe) => ({
    every: 100,
    onProgress: (p: TrainProgress) => log(`${stage.name} step ${p.step}/${stage.steps} loss ${p.loss.toFixed(4)} lr ${p.learningRate.toExponential(2)} ${p.msPerStep.toFixed(0)} ms/step`),
  });
  await mkdir(outDir, { recursive: true });
  const path = join(outDir, `${recipe.name}.gguf`);
  const stage2 = secondStage(recipe);
  let weights: Weights;
  let losses: Array<{ step: number; loss: number }> = [];
  let earlierSeconds = 0;
  if (firstStage) {
    await useWasmBackend(); // the weights must be created on the backend that trains them
    weights = await readWeights(firstStage, recipe.shape);
    // Keep the first stage's record (from the run that wrote it) in front of the second's.
    const record = await readFile(join(outDir, `${recipe.name}.train.json`), "utf8").then((text) => JSON.parse(text) as { seconds: number; losses: typeof losses }, () => undefined);
    if (record) ({ losses, seconds: earlierSeconds } = { losses: record.losses.filter((l) => l.step <= recipe.steps), seconds: record.seconds });
  } else {
    ({ weights, losses } = await train(recipe, progress(recipe)));
  }
  if (stage2) {
    if (!firstStage) await writeWeights(join(outDir, `${recipe.name}.stage1.gguf`), weights, recipe.shape, modelKv(recipe.shape, recipe.name, "first stage"));
    const second = await train(stage2, { ...progress(stage2), weights });
    losses = [...losses, ...second.losses.map((l) => ({ step: l.step + recipe.steps, loss: l.loss }))];
  }
  const seconds = earlierSeconds + (performance.now() - started) / 1000;
  const recipeHash = hashString(JSON.stringify(recipe));
  await writeWeights(
    path,
    weights,
    recipe.shape,
    modelKv(recipe.shape, recipe.name, `conclave zoo ${recipe.description}`, [
      ["conclave.zoo.seed", { type: "u32", value: recipe.seed }],
      ["conclave.zoo.steps", { type: "u32", value: recipe.steps + (recipe.then?.steps ?? 0) }],
      ["conclave.zoo.recipe_hash", { type: "u32", value: recipeHash }],
    ]),
  );
  await writeFile(join(outDir, `${recipe.name}.train.json`), `${JSON.stringify({ recipe, seconds, losses }, null, 2)}\n`);
  return { path, seconds };
}

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({ allowPositionals: true, options: { out: { type: "string" }, steps: { type: "string" }, "first-stage": { type: "string" } } });
  const name = positionals[0];
  if (!name) throw new Error("usage: train-one <recipe> [--out dir] [--steps n]");
  const base = recipeNamed(name);
  const recipe = values.steps ? { ...base, steps: Number(values.steps) } : base;
  const { path, seconds } = await trainOne(recipe, values.out ?? "zoo/models", (line) => console.log(line), values["first-stage"]);
  console.log(`${recipe.name}: wrote ${path} in ${seconds.toFixed(0)} s`);
}

if (process.argv[1]?.endsWith("train-one.ts")) {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error((error as Error).message);
      process.exit(1);
    },
  );
}
