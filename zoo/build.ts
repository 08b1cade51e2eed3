/**
 * Builds the next zoo (NEXT_RECIPES: grammar-phrased data, sized by the pilot sweep) in resumable
 * steps, and promotes it only when it is complete and measured better than the committed one.
 *
 *   npm run zoo:build                    # train what is missing (resuming checkpoints), measure, compare, promote
 *   npm run zoo:build -- --no-promote    # the same without touching the committed zoo
 *   npm run zoo:build -- --skip-training # re-measure the committed models, refit the tagger, re-profile
 *
 * Everything in progress lives in zoo/checkpoints/: per model its checkpoint (`.ckpt`, every
 * `--checkpoint-every` steps), then its GGUF, training record and an entry in
 * zoo/checkpoints/manifest.json once measured. A model with both is skipped; a stopped or crashed
 * build resumes each model from its checkpoint (same weights as an uninterrupted run).
 */
import { copyFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { skillsFitCommand } from "../orchestrator/cli/skills.js";
import { runProfileCommand } from "../orchestrator/cli/profile.js";
import { parseConfig } from "../orchestrator/config/load.js";
import { Orchestrator } from "../orchestrator/orchestrator.js";
import { writeDataFiles, TEST_PER_SKILL, VALIDATION_PER_SKILL } from "./data-files.js";
import { evaluateModel } from "./evaluate.js";
import { exists, readJson } from "./files.js";
import { committedPhrasing, committedShape, readManifest } from "./manifest.js";
import { mean, measureModel, ownSkillAccuracy, type ModelEntry } from "./measure.js";
import { parameterCounts, type ModelShape } from "./model.js";
import { NEXT_RECIPES, NEXT_SHAPE, ZOO_RECIPES } from "./recipes.js";
import { TASKS, evaluationSet, type Phrasing } from "./tasks.js";
import { stopTraining, trainAll } from "./train-all.js";
import { isDone, readStaging, withEntry } from "./staging.js";
import { recipeHash, type Recipe } from "./train.js";
import { remainingSteps } from "./train-one.js";

export const ZOO_DIR = "zoo";
const MODELS_DIR = join(ZOO_DIR, "models");
const STAGING_DIR = join(ZOO_DIR, "checkpoints");
const STAGING_MANIFEST = join(STAGING_DIR, "manifest.json");

async function buildNext(options: { jobs: number; checkpointEvery?: number; promote: boolean }): Promise<void> {
  const test = evaluationSet("test", TEST_PER_SKILL, 0, "grammar");
  let staging = await readStaging(STAGING_MANIFEST);
  // Measured one at a time as trainings finish (two may finish together).
  let measuring = Promise.resolve();
  const record = (name: string) =>
    (measuring = measuring.then(async () => {
      const recipe = NEXT_RECIPES.find((r) => r.name === name)!;
      const entry = await measureModel(STAGING_DIR, recipe, test);
      console.log(`${name}: held-out-family test accuracy ${entry.heldOutAccuracy.overall} ${JSON.stringify(entry.heldOutAccuracy.perSkill)}`);
      staging = withEntry(staging, entry);
      await writeFile(STAGING_MANIFEST, `${JSON.stringify(staging, null, 2)}\n`);
    }));
  const pending = NEXT_RECIPES.filter((r) => !isDone(staging, r));
  // Written but not measured (stopped in between): measure, do not retrain.
  // (A model of an earlier recipe that this one extends with more stages is where its training starts, not a result.)
  const written: Recipe[] = [];
  for (const r of pending) {
    const trained = await readJson<{ recipe: Recipe }>(join(STAGING_DIR, `${r.name}.train.json`));
    if (trained && recipeHash(trained.recipe) === recipeHash(r) && (await exists(join(STAGING_DIR, `${r.name}.gguf`)))) written.push(r);
  }
  for (const r of written) await record(r.name);
  // Longest remaining first, so that the workers end together.
  const remaining = new Map<string, number>();
  for (const r of pending) remaining.set(r.name, await remainingSteps(STAGING_DIR, r));
  const toTrain = pending
    .filter((r) => !written.includes(r))
    .sort((a, b) => remaining.get(b.name)! - remaining.get(a.name)!)
    .map((r) => r.name);
  console.log(`next zoo: ${NEXT_RECIPES.length - pending.length} done, ${written.length} to measure, training ${toTrain.join(", ") || "nothing"}`);
  await trainAll(STAGING_DIR, { jobs: options.jobs, names: toTrain, next: true, checkpointEvery: options.checkpointEvery, onDone: record });
  await measuring;
  const missing = NEXT_RECIPES.filter((r) => !isDone(staging, r)).map((r) => r.name);
  if (missing.length > 0) {
    console.log(`stopped with ${missing.join(", ")} unfinished: run npm run zoo:build again to resume from zoo/checkpoints/`);
    return;
  }
  const comparison = await compareWithCommitted(staging.models, test);
  staging = { ...staging, comparison };
  await writeFile(STAGING_MANIFEST, `${JSON.stringify(staging, null, 2)}\n`);
  console.log(`own-skill accuracy on held-out families: next ${comparison.next.mean} vs committed ${comparison.committed.mean}`);
  if (!comparison.better) console.log("the next zoo is not better: the committed zoo stays");
  else if (!options.promote) console.log("better, not promoted (--no-promote)");
  else await promote(staging.models);
}

/** Both zoos on the same grammar test split: each answering model's accuracy on its own skills. */
async function compareWithCommitted(next: readonly ModelEntry[], test: ReturnType<typeof evaluationSet>) {
  const committed = [];
  for (const recipe of ZOO_RECIPES.filter((r) => r.synthesis === 0)) {
    const { direct } = await evaluateModel(join(MODELS_DIR, `${recipe.name}.gguf`), test, false);
    committed.push({ id: recipe.name, heldOutAccuracy: direct });
  }
  const nextOwn = ownSkillAccuracy(next, NEXT_RECIPES);
  const committedOwn = ownSkillAccuracy(committed, ZOO_RECIPES);
  const nextMean = mean(Object.values(nextOwn));
  const committedMean = mean(Object.values(committedOwn));
  return { split: "test, grammar phrasing (held-out families)", next: { perModel: nextOwn, mean: nextMean }, committed: { perModel: committedOwn, mean: committedMean }, better: nextMean > committedMean };
}

async function promote(models: readonly ModelEntry[]): Promise<void> {
  for (const model of models) await copyFile(join(STAGING_DIR, `${model.id}.gguf`), join(MODELS_DIR, `${model.id}.gguf`));
  for (const model of models) await copyFile(join(STAGING_DIR, `${model.id}.train.json`), join(MODELS_DIR, `${model.id}.train.json`));
  const files = await writeDataFiles(ZOO_DIR, "grammar");
  await writeManifest(NEXT_SHAPE, "grammar", models);
  await fitTaggerAndProfile(files);
  console.log("promoted the next zoo into zoo/models/");
}

async function writeManifest(shape: ModelShape, phrasing: Phrasing, models: readonly ModelEntry[]): Promise<void> {
  // A build is resumed across sessions: what it cost is the models' own training time, summed
  // (wall seconds per model; two train at once).
  const trainingSeconds = models.reduce((sum, m) => sum + Number(m.training.seconds ?? 0), 0);
  const manifest = {
    version: 1,
    createdAt: new Date().toISOString(),
    trainer: "zoo/train.ts: @tensorflow/tfjs 4.22 with the wasm backend, one thread per model; Adam, warm-up + cosine decay, clip 1.0",
    shape: { architecture: "llama", ...shape, ...parameterCounts(shape), type: "F32" },
    data: {
      phrasing,
      skills: TASKS.map((t) => ({ id: t.id, category: t.category })),
      splits:
        phrasing === "grammar"
          ? "operands hashed 80/10/10 into train/val/test; phrasing families split whole: val and test use only families training never sees (zoo/phrasing/families.ts)"
          : "operands hashed 80/10/10 into train/val/test; val and test use held-out phrasings for half their items",
      validationPerSkill: VALIDATION_PER_SKILL,
      testPerSkill: TEST_PER_SKILL,
      measuredWith: "node-llama-cpp 3.22.1, greedy, plain prompt format, repeat penalty off",
    },
    trainingSeconds,
    models,
  };
  await writeFile(join(ZOO_DIR, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  console.log(`wrote ${join(ZOO_DIR, "manifest.json")}`);
}

/** Re-measures the committed models on their own phrasing's test split; refits the tagger, re-profiles. */
async function remeasureCommitted(): Promise<void> {
  const manifest = readManifest();
  const phrasing = committedPhrasing(manifest);
  const recipes = phrasing === "grammar" ? NEXT_RECIPES : ZOO_RECIPES;
  const files = await writeDataFiles(ZOO_DIR, phrasing);
  const test = evaluationSet("test", TEST_PER_SKILL, 0, phrasing);
  const models = [];
  for (const recipe of recipes) {
    const entry = await measureModel(MODELS_DIR, recipe, test);
    console.log(`${recipe.name}: test accuracy ${entry.heldOutAccuracy.overall} ${JSON.stringify(entry.heldOutAccuracy.perSkill)}`);
    models.push(entry);
  }
  await writeManifest(committedShape(manifest), phrasing, models);
  await fitTaggerAndProfile(files);
}

/** The zoo's skill tagger (from labelled questions) and its measured profile (from the validation split). */
async function fitTaggerAndProfile(files: Record<string, string>): Promise<void> {
  await skillsFitCommand({ examples: files.taggerTrain!, out: join(ZOO_DIR, "tagger.json"), catalog: files.catalog! }, console.log);
  // Profiled without a profile: routing does not matter here, every expert answers every question.
  const orchestrator = await Orchestrator.create(parseConfig({ runtime: { gpu: false }, routing: { profile: undefined } }, process.cwd(), "zoo"));
  try {
    await runProfileCommand(orchestrator, { validation: files.validation!, out: join(ZOO_DIR, "profiles.json"), progress: true }, console.log, console.error);
  } finally {
    await orchestrator.close();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { "skip-training": { type: "boolean" }, jobs: { type: "string" }, "checkpoint-every": { type: "string" }, "no-promote": { type: "boolean" } },
  });
  if (values["skip-training"]) return remeasureCommitted();
  // Stopping lets each training write its checkpoint first; the next build resumes from there.
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, stopTraining);
  return buildNext({ jobs: Number(values.jobs ?? 2), checkpointEvery: values["checkpoint-every"] ? Number(values["checkpoint-every"]) : undefined, promote: !values["no-promote"] });
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error((error as Error).message);
    process.exit(1);
  },
);
