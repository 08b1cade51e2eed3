/**
 * Trains one zoo recipe and writes `<out>/<name>.gguf` plus `<name>.train.json` (loss curve, speed).
 * Resumable: every stage keeps a checkpoint in `<out>/<name>.ckpt` (`.stage2.ckpt`, ...), written every
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
import { hashString } from "../kernel/prng.js";
import { recipeHash, stagesOf, totalSteps, train, useWasmBackend, type Recipe, type TrainOptions, type TrainProgress } from "./train.js";
import { modelKv, readWeights, writeWeights } from "./weights-file.js";

export interface TrainOneOptions {
  log?: (line: string) => void;
  checkpointEvery?: number;
  /** Checked between steps: true stops the run after a checkpoint (it resumes later). */
  shouldStop?: () => boolean;
}

/** Stage 1's checkpoint is `<name>.ckpt`, stage k's `<name>.stage<k>.ckpt`. */
export function checkpointPath(outDir: string, recipe: Recipe, stage: number): string {
  return join(outDir, `${recipe.name}${stage > 1 ? `.stage${stage}` : ""}.ckpt`);
}

/** A finished stage that is not the last: its model and record, kept until the whole recipe is done. */
function keptFiles(outDir: string, recipe: Recipe, stage: number): { model: string; record: string } {
  return { model: join(outDir, `${recipe.name}.stage${stage}.gguf`), record: join(outDir, `${recipe.name}.stage${stage}.json`) };
}

/** What produced a kept stage: the recipes of stages 1..k (stage 1 alone: its recipe hash, as first stages were always recorded). */
function chainHash(stages: readonly Recipe[]): number {
  return stages.length === 1 ? recipeHash(stages[0]!) : hashString(JSON.stringify(stages));
}

type Progress = { losses: Array<{ step: number; loss: number }>; seconds: number };
type KeptStage = Progress & { recipeHash?: number };

/**
 * Where a run picks up: after the latest stage already made by the same stages, kept (`.stage<k>`)
 * or finished (`<name>.gguf` of a recipe this one extends with more stages), with its weights from
 * that model, or from the next stage's own checkpoint when that stage has begun (train() resumes it).
 */
async function resumePoint(outDir: string, recipe: Recipe, stages: readonly Recipe[], loadWeights = true): Promise<{ next: number; done: Progress; weights?: Weights }> {
  const finished = await readJson<Progress & { recipe: Recipe }>(join(outDir, `${recipe.name}.train.json`));
  const finishedChain = finished ? chainHash(stagesOf(finished.recipe)) : undefined;
  for (let k = stages.length - 1; k >= 1; k--) {
    const chain = chainHash(stages.slice(0, k));
    const files = keptFiles(outDir, recipe, k);
    const kept = await readJson<KeptStage>(files.record);
    const source = kept?.recipeHash === chain ? { progress: kept, model: files.model } : finishedChain === chain ? { progress: finished!, model: join(outDir, `${recipe.name}.gguf`) } : undefined;
    if (!source) continue;
    const done = { losses: source.progress.losses, seconds: source.progress.seconds };
    // A stage's checkpoint (written as it starts) holds its weights: the model is not needed.
    if ((await readCheckpoint(checkpointPath(outDir, recipe, k + 1)))?.recipeHash === recipeHash(stages[k]!)) return { next: k, done };
    if (!(await exists(source.model))) continue;
    if (!loadWeights) return { next: k, done };
    // Weights are tfjs variables: the backend has to be chosen before they are made.
    await useWasmBackend();
    return { next: k, done, weights: await readWeights(source.model, recipe.shape) };
  }
  return { next: 0, done: { losses: [], seconds: 0 } };
}

/** Steps a run of `recipe` would still take from what `outDir` holds (for ordering a build's trainings). */
export async function remainingSteps(outDir: string, recipe: Recipe): Promise<number> {
  const stages = stagesOf(recipe);
  const { next } = await resumePoint(outDir, recipe, stages, false);
  const checkpoint = await readCheckpoint(checkpointPath(outDir, recipe, next + 1));
  const step = checkpoint?.recipeHash === recipeHash(stages[next]!) ? checkpoint.step : 0;
  return stages.slice(next).reduce((sum, s) => sum + s.steps, 0) - step;
}

/** Trains (or resumes) `recipe`; `path` is undefined when the run was stopped before the end. */
export async function trainOne(recipe: Recipe, outDir: string, options: TrainOneOptions = {}): Promise<{ path?: string; seconds: number }> {
  const log = options.log ?? (() => undefined);
  const every = options.checkpointEvery ?? 100;
  const stageOptions = (stage: Recipe, n: number): TrainOptions => ({
    every: Math.min(100, every),
    onProgress: (p: TrainProgress) => log(`${stage.name} step ${p.step}/${stage.steps} loss ${p.loss.toFixed(4)} lr ${p.learningRate.toExponential(2)} ${p.msPerStep.toFixed(0)} ms/step`),
    checkpoint: { path: checkpointPath(outDir, recipe, n), every },
    shouldStop: options.shouldStop,
  });
  await mkdir(outDir, { recursive: true });
  const stages = stagesOf(recipe);
  const start = await resumePoint(outDir, recipe, stages);
  let { weights } = start;
  let { losses, seconds } = start.done;
  for (let i = start.next; i < stages.length; i++) {
    const stage = stages[i]!;
    const result = await train(stage, { ...stageOptions(stage, i + 1), ...(weights ? { weights } : {}) });
    if (!result.complete) return { seconds: seconds + result.seconds };
    const before = stages.slice(0, i).reduce((sum, s) => sum + s.steps, 0);
    losses = [...losses, ...result.losses.map((l) => ({ step: l.step + before, loss: l.loss }))];
    seconds += result.seconds;
    weights = result.weights;
    if (i < stages.length - 1) {
      // Kept until the end, so that a later stage can be changed or restarted without this one.
      const kept = keptFiles(outDir, recipe, i + 1);
      await writeWeights(kept.model, weights, recipe.shape, modelKv(recipe.shape, `${recipe.name}-stage${i + 1}`, `conclave zoo ${recipe.description} (stage ${i + 1})`));
      await writeFile(kept.record, JSON.stringify({ recipeHash: chainHash(stages.slice(0, i + 1)), losses, seconds }));
    }
  }
  const path = join(outDir, `${recipe.name}.gguf`);
  await writeWeights(
    path,
    weights!,
    recipe.shape,
    modelKv(recipe.shape, recipe.name, `conclave zoo ${recipe.description}`, [
      ["conclave.zoo.seed", { type: "u32", value: recipe.seed }],
      ["conclave.zoo.steps", { type: "u32", value: totalSteps(recipe) }],
      ["conclave.zoo.recipe_hash", { type: "u32", value: recipeHash(recipe) }],
    ]),
  );
  await writeFile(join(outDir, `${recipe.name}.train.json`), `${JSON.stringify({ recipe, seconds, losses }, null, 2)}\n`);
  for (let k = 1; k <= stages.length; k++) {
    await rm(checkpointPath(outDir, recipe, k), { force: true });
    for (const file of Object.values(keptFiles(outDir, recipe, k))) await rm(file, { force: true });
  }
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
