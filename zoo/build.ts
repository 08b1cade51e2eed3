/**
 * Regenerates the zoo: data files, training (two models at a time), measurement with
 * node-llama-cpp and the manifest. `npm run zoo:build` (about 100 minutes on two cores);
 * `--skip-training` re-measures the committed models and rewrites the manifest only.
 */
import { createHash } from "node:crypto";
import { readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { skillsFitCommand } from "../orchestrator/cli/skills.js";
import { runProfileCommand } from "../orchestrator/cli/profile.js";
import { parseConfig } from "../orchestrator/config/load.js";
import { Orchestrator } from "../orchestrator/orchestrator.js";
import { writeDataFiles, TEST_PER_SKILL, VALIDATION_PER_SKILL } from "./data-files.js";
import { evaluateModel } from "./evaluate.js";
import { parameterCounts } from "./model.js";
import { ZOO_RECIPES, ZOO_SHAPE } from "./recipes.js";
import { TASKS, evaluationSet } from "./tasks.js";
import { trainAll } from "./train-all.js";

export const ZOO_DIR = "zoo";
const MODELS_DIR = join(ZOO_DIR, "models");

async function sha256(path: string): Promise<string> {
  return createHash("sha256").update(await readFile(path)).digest("hex");
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { "skip-training": { type: "boolean" }, jobs: { type: "string" } } });
  const started = performance.now();
  const files = await writeDataFiles(ZOO_DIR);
  if (!values["skip-training"]) await trainAll(MODELS_DIR, Number(values.jobs ?? 2));
  const trainedIn = (performance.now() - started) / 1000;
  const test = evaluationSet("test", TEST_PER_SKILL, 0);
  const models = [];
  for (const recipe of ZOO_RECIPES) {
    const file = join(MODELS_DIR, `${recipe.name}.gguf`);
    const record = JSON.parse(await readFile(join(MODELS_DIR, `${recipe.name}.train.json`), "utf8")) as {
      seconds: number;
      losses: Array<{ step: number; loss: number }>;
    };
    const measured = await evaluateModel(file, test, recipe.synthesis > 0);
    console.log(`${recipe.name}: test accuracy ${measured.direct.overall} ${JSON.stringify(measured.direct.perSkill)}${measured.synthesis ? ` synthesis ${JSON.stringify(measured.synthesis)}` : ""}`);
    const { name, description, shape: _shape, ...training } = recipe;
    models.push({
      id: name,
      description,
      file: `models/${name}.gguf`,
      bytes: (await stat(file)).size,
      sha256: await sha256(file),
      training: { ...training, seconds: Math.round(record.seconds), finalLoss: record.losses.at(-1)?.loss },
      heldOutAccuracy: measured.direct,
      ...(measured.synthesis ? { synthesis: measured.synthesis } : {}),
    });
  }
  const manifest = {
    version: 1,
    createdAt: new Date().toISOString(),
    trainer: "zoo/train.ts: @tensorflow/tfjs 4.22 with the wasm backend, one thread per model; Adam, warm-up + cosine decay, clip 1.0",
    shape: { architecture: "llama", ...ZOO_SHAPE, ...parameterCounts(ZOO_SHAPE), type: "F32" },
    data: {
      skills: TASKS.map((t) => ({ id: t.id, category: t.category, phrasings: t.phrasings.length, heldOutPhrasings: t.heldOutPhrasings.length })),
      splits: "operands hashed 80/10/10 into train/val/test; val and test use held-out phrasings for half their items",
      validationPerSkill: VALIDATION_PER_SKILL,
      testPerSkill: TEST_PER_SKILL,
      measuredWith: "node-llama-cpp 3.22.1, greedy, plain prompt format, repeat penalty off",
    },
    ...(values["skip-training"] ? {} : { buildSeconds: Math.round(trainedIn) }),
    models,
  };
  await writeFile(join(ZOO_DIR, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  console.log(`wrote ${join(ZOO_DIR, "manifest.json")}`);
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

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error((error as Error).message);
    process.exit(1);
  },
);
