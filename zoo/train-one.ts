/**
 * Trains one zoo recipe and writes `<out>/<name>.gguf` plus `<name>.train.json` (loss curve, speed).
 * Resumable: every stage keeps a checkpoint in `<out>/<name>.ckpt` (`.stage2.ckpt`), written every
 * `--checkpoint-every` steps and when the process is asked to stop (SIGINT, SIGTERM); a new run
 * continues from it and ends with the same weights an uninterrupted run ends with. The
 * checkpoints are removed once the model is written.
 *
 * `npx tsx zoo/train-one.ts <name> [--out dir] [--steps n] [--checkpoint-every n] [--next]`
 * (`--next`: the grammar-trained recipes; the build runs one per core).
 */
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { exists, readJson } from "./files.js";
import { NEXT_RECIPES, ZOO_RECIPES } from "./recipes.js";
import { readCheckpoint } from "./checkpoint.js";
import type { Weights } from "./model.js";
import { firstStage, recipeHash, secondStage, train, useWasmBackend, type Recipe, type TrainOptions, type TrainProgress } from "./train.js";
import { modelKv, readWeights, writeWeights } from "./weights-file.js";

export interface TrainOneOptions {
  log?: (line: string) => void;
  checkpointEvery?: number;
  /** Checked between steps: true stops the run after a checkpoint (it resumes later). */
  shouldStop?: () => boolean;
}

export function checkpointPath(outDir: string, recipe: Recipe, stage: 1 | 2): string {
  return join(outDir, `${recipe.name}${stage === 2 ? ".stage2" : ""}.ckpt`);
}

/** Trains (or resumes) `recipe`; `path` is undefined when the run was stopped before the end. */
export async function trainOne(recipe: Recipe, outDir: string, options: TrainOneOptions = {}): Promise<{ path?: string; seconds: number }> {
  const log = options.log ?? (() => undefined);
  const every = options.checkpointEvery ?? 100;
  const stageOptions = (stage: Recipe, n: 1 | 2): TrainOptions => ({
    every: Math.min(100, every),
    onProgress: (p: TrainProgress) => log(`${stage.name} step ${p.step}/${stage.steps} loss ${p.loss.toFixed(4)} lr ${p.learningRate.toExponential(2)} ${p.msPerStep.toFixed(0)} ms/step`),
    checkpoint: { path: checkpointPath(outDir, recipe, n), every },
    shouldStop: options.shouldStop,
  });
  await mkdir(outDir, { recursive: true });
  const stage1 = firstStage(recipe);
  const stage2 = secondStage(recipe);
  const firstStageRecord = join(outDir, `${recipe.name}.stage1.json`);
  const firstStageModel = join(outDir, `${recipe.name}.stage1.gguf`);
  type FirstStage = { recipeHash?: number; losses: Array<{ step: number; loss: number }>; seconds: number; weights?: Weights };
  const saved = stage2 ? await readJson<FirstStage>(firstStageRecord) : undefined;
  const firstDone = saved?.recipeHash === recipeHash(stage1);
  // A second stage's checkpoint (written as it starts) means the first stage is done.
  const inStage2 = firstDone && (await readCheckpoint(checkpointPath(outDir, recipe, 2)))?.recipeHash === recipeHash(stage2!);
  let first: FirstStage;
  if (inStage2) {
    first = saved!;
  } else if (firstDone && (await exists(firstStageModel))) {
    // The first stage's model is kept until the end, so that a second stage can be changed or restarted without it.
    // Weights are tfjs variables: the backend has to be chosen before they are made.
    await useWasmBackend();
    first = { ...saved!, weights: await readWeights(firstStageModel, recipe.shape) };
  } else {
    const result = await train(stage1, stageOptions(stage1, 1));
    if (!result.complete) return { seconds: result.seconds };
    first = result;
    if (stage2) {
      await writeWeights(firstStageModel, result.weights, recipe.shape, modelKv(recipe.shape, `${recipe.name}-stage1`, `conclave zoo ${recipe.description} (first stage)`));
      await writeFile(firstStageRecord, JSON.stringify({ recipeHash: recipeHash(stage1), losses: result.losses, seconds: result.seconds }));
    }
  }
  let weights = first.weights;
  let losses = first.losses;
  let seconds = first.seconds;
  if (stage2) {
    const second = await train(stage2, { ...stageOptions(stage2, 2), weights });
    if (!second.complete) return { seconds: seconds + second.seconds };
    losses = [...losses, ...second.losses.map((l) => ({ step: l.step + recipe.steps, loss: l.loss }))];
    seconds += second.seconds;
    weights = second.weights;
  }
  const path = join(outDir, `${recipe.name}.gguf`);
  await writeWeights(
    path,
    weights!,
    recipe.shape,
    modelKv(recipe.shape, recipe.name, `conclave zoo ${recipe.description}`, [
      ["conclave.zoo.seed", { type: "u32", value: recipe.seed }],
      ["conclave.zoo.steps", { type: "u32", value: recipe.steps + (recipe.then?.steps ?? 0) }],
      ["conclave.zoo.recipe_hash", { type: "u32", value: recipeHash(recipe) }],
    ]),
  );
  await writeFile(join(outDir, `${recipe.name}.train.json`), `${JSON.stringify({ recipe, seconds, losses }, null, 2)}\n`);
  for (const file of [checkpointPath(outDir, recipe, 1), checkpointPath(outDir, recipe, 2), firstStageRecord, firstStageModel]) await rm(file, { force: true });
  return { path, seconds };
}

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { out: { type: "string" }, steps: { type: "string" }, "checkpoint-every": { type: "string" }, next: { type: "boolean" } },
  });
  const name = positionals[0];
  if (!name) throw new Error("usage: train-one <recipe> [--out dir] [--steps n] [--checkpoint-every n] [--next]");
  const base = (values.next ? NEXT_RECIPES : ZOO_RECIPES).find((r) => r.name === name);
  if (!base) throw new Error(`no zoo recipe named ${name}`);
  const recipe = values.steps ? { ...base, steps: Number(values.steps) } : base;
  let stopping = false;
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => (stopping = true));
  const { path, seconds } = await trainOne(recipe, values.out ?? "zoo/models", {
    log: (line) => console.log(line),
    checkpointEvery: values["checkpoint-every"] ? Number(values["checkpoint-every"]) : undefined,
    shouldStop: () => stopping,
  });
  console.log(path ? `${recipe.name}: wrote ${path} (${seconds.toFixed(0)} s of training)` : `${recipe.name}: stopped, checkpoint kept in ${values.out ?? "zoo/models"}`);
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
