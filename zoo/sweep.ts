/**
 * The pilot sweep that sized the grammar-trained zoo: one specialist's mixture trained at several
 * widths / depths / expert counts, its accuracy on held-out phrasing families (validation split,
 * the trainer's own greedy decoding, which the parity test ties to llama.cpp) measured every
 * `--eval-every` steps, next to parameters and training time.
 *
 *   nice -n 10 npx tsx zoo/sweep.ts <config> [--steps 1200] [--eval-every 300] [--mixture letters|numbers]
 *
 * Appends one record per run to zoo/sweep.json (the table in zoo/README.md is read from it).
 */
import { readFile, writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { accuracyBySkill } from "./evaluate.js";
import { greedyAnswers } from "./infer.js";
import { parameterCounts, type ModelShape } from "./model.js";
import { ZOO_SHAPE } from "./recipes.js";
import { evaluationSet } from "./tasks.js";
import { promptOf, train, type Recipe } from "./train.js";

const CONFIGS: Record<string, Partial<ModelShape> & { batch?: number }> = {
  base: {},
  wide: { embedding: 96, feedForward: 192 },
  deep: { layers: 4 },
  "wide-deep": { embedding: 96, layers: 4, feedForward: 192 },
  "more-experts": { experts: 8, feedForward: 96 },
  narrow: { embedding: 48, feedForward: 96 },
};

const MIXTURES: Record<string, Record<string, number>> = {
  letters: { reversal: 1, sorting: 1.2, uppercase: 0.6 },
  numbers: { addition: 1.5, subtraction: 1.5, counting: 1 },
};

const SWEEP_FILE = "zoo/sweep.json";

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { steps: { type: "string" }, "eval-every": { type: "string" }, mixture: { type: "string" }, "per-skill": { type: "string" } },
  });
  const config = positionals[0] ?? "base";
  const overrides = CONFIGS[config];
  if (!overrides) throw new Error(`unknown sweep config ${config}; known: ${Object.keys(CONFIGS).join(", ")}`);
  const mixtureName = values.mixture ?? "letters";
  const mixture = MIXTURES[mixtureName]!;
  const steps = Number(values.steps ?? 1200);
  const evalEvery = Number(values["eval-every"] ?? 300);
  const { batch = 64, ...shapeOverrides } = overrides;
  const shape: ModelShape = { ...ZOO_SHAPE, ...shapeOverrides };
  const recipe: Recipe = {
    name: `sweep-${config}-${mixtureName}`,
    description: "pilot sweep",
    seed: 21,
    steps,
    batch,
    learningRate: 2e-3,
    warmup: 100,
    mixture,
    synthesis: 0,
    shape,
    phrasing: "grammar",
    lengthBuckets: 8,
  };
  const run = { id: `${config}-${mixtureName}-${steps}`, config, mixture: mixtureName };
  const items = evaluationSet("val", Number(values["per-skill"] ?? 40), 0, "grammar").filter((item) => item.skill in mixture);
  const prompts = items.map((item) => promptOf(item.question));
  // CPU seconds as well as wall seconds: three other people share the two cores, so wall time
  // depends on their load; the process's CPU time is what the model costs.
  const points: Array<{ step: number; seconds: number; cpuSeconds: number; accuracy: number; perSkill: Record<string, number>; loss: number }> = [];
  const cpu = () => process.cpuUsage().user / 1e6;
  let evalCpu = 0;
  const cpuStarted = cpu();
  let trainSeconds = 0;
  let lastLoss = NaN;
  const started = performance.now();
  let evalSeconds = 0;
  await train(recipe, {
    every: 50,
    onProgress: (p) => {
      lastLoss = p.loss;
      console.log(`${recipe.name} step ${p.step}/${steps} loss ${p.loss.toFixed(4)} ${p.msPerStep.toFixed(0)} ms/step`);
    },
    onStep: (step, weights) => {
      if (step % evalEvery !== 0 && step !== steps) return;
      const evalStarted = performance.now();
      const evalCpuStarted = cpu();
      trainSeconds = (evalStarted - started) / 1000 - evalSeconds;
      const trainCpu = evalCpuStarted - cpuStarted - evalCpu;
      const { overall, perSkill } = accuracyBySkill(items, greedyAnswers(weights, shape, prompts, 12));
      evalSeconds += (performance.now() - evalStarted) / 1000;
      evalCpu += cpu() - evalCpuStarted;
      points.push({ step, seconds: Math.round(trainSeconds), cpuSeconds: Math.round(trainCpu), accuracy: overall, perSkill, loss: lastLoss });
      console.log(`${recipe.name} step ${step}: held-out-family accuracy ${overall} ${JSON.stringify(perSkill)} after ${trainSeconds.toFixed(0)} s (${trainCpu.toFixed(0)} s CPU)`);
      // Recorded at every point, so that a run cut short still counts for what it measured.
      const result = { steps, batch, shape, msPerStep: Math.round((trainSeconds * 1000) / step), cpuMsPerStep: Math.round((trainCpu * 1000) / step), points: [...points] };
      saving = saving.then(() => record(run, result));
    },
  });
  await saving;
}

let saving = Promise.resolve();

/** Replaces this run's record in zoo/sweep.json (one record per run id). */
async function record(run: { id: string; config: string; mixture: string }, result: Record<string, unknown> & { shape: ModelShape }): Promise<void> {
  const previous = await readFile(SWEEP_FILE, "utf8").then((text) => JSON.parse(text) as Array<{ id: string }>, () => []);
  const entry = { ...run, ...result, ...parameterCounts(result.shape), at: new Date().toISOString() };
  await writeFile(SWEEP_FILE, `${JSON.stringify([...previous.filter((r) => r.id !== run.id), entry], null, 2)}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error((error as Error).stack);
    process.exit(1);
  },
);
