/**
 * Routing judged on real LLM answers: RouterBench's recorded answers of 11 LLMs, replayed through
 * conclave's own pipeline. For every task with a `<task>.train.jsonl` and `<task>.test.jsonl` in
 * ../shared/data/routerbench (from the package root; `--data DIR` elsewhere), it runs the same
 * commands a user would, in a temporary folder (the data is never copied into the repository):
 *
 *   conclave replay import <train> <test> --out rec.jsonl --config-out conclave.yaml
 *   conclave replay validation <train> --out val.jsonl
 *   conclave --config conclave.yaml profile --validation val.jsonl --out profile.json   (train only)
 *   conclave --config conclave.yaml eval --profile profile.json --train <train> --test <test> --out eval.json
 *
 * With two tasks or more it then runs the same commands, unchanged, on `mixed`: every task's train and
 * test questions pooled (written to the temporary folder), RouterBench's mixed-task setting, which
 * no setting was tuned on and where the skill tags have to tell the tasks apart (--no-mixed skips it).
 *
 * For each, it fits the k-nearest-neighbour baseline router on train (routerbench-knn.ts), scores it on test
 * at the same λ grid, and checks the issue's goals. Writes bench/results/routerbench.json, one SVG
 * chart per task (bench/results/routerbench-<task>.svg, kNN included) and prints the README table.
 *
 *   npm run bench -- routerbench [--data DIR] [--tasks a,b] [--no-mixed] [--no-write]
 */
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { main } from "../orchestrator/cli/main.js";
import { readEvalSet } from "../orchestrator/eval/dataset.js";
import { aiq, nonDecreasingHull } from "../orchestrator/eval/aiq.js";
import { paretoSvg } from "../orchestrator/eval/chart.js";
import type { EvalReport, SystemResult } from "../orchestrator/eval/run-eval.js";
import { DEFAULT_LAMBDAS } from "../orchestrator/eval/systems.js";
import { arg } from "./args.js";
import { evaluateKnn, KNN_K, KnnRouter } from "./routerbench-knn.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const DEFAULT_DATA = join(ROOT, "..", "shared", "data", "routerbench");
/** The goals' thresholds, from the issue: within 1 point of the best single model at <= 35% of its cost. */
const POINT = 0.01;
const COST_SHARE = 0.35;
const ENSEMBLES = new Set(["symbolic", "adaptive", "cascade", "cascade (fitted on train)", "category"]);
const CONCLAVE = new Set(["symbolic", "adaptive", "cascade", "cascade (fitted on train)", "category", "cost-weighted", "conclave (all routed)"]);

async function conclave(args: string[]): Promise<void> {
  const code = await main(["node", "conclave", ...args]);
  if (code !== 0) throw new Error(`conclave ${args.join(" ")} exited with ${code}`);
}

const r3 = (x: number) => Math.round(x * 1000) / 1000;

interface TaskResult {
  task: string;
  /** False when no train question had a reference answer to profile against. */
  profiled: boolean;
  train: number;
  test: number;
  seconds: number;
  best: { name: string; accuracy: number; costPerQuestion: number };
  systems: SystemResult[];
  knn: { k: number; points: Array<{ lambda: number; accuracy: number; costPerQuestion: number }>; aiq: number };
  aiq: Record<string, number>;
  costRange: EvalReport["costRange"];
  goals: {
    nearBestCheap: Array<{ name: string; accuracy: number; costShare: number }>;
    ensemblesBelow: Array<{ name: string; accuracy: number }>;
    bestConclaveAiq: { family: string; aiq: number };
    beatsKnn: boolean;
  };
}

async function runTask(data: string, task: string, work: string): Promise<TaskResult> {
  const started = performance.now();
  const dir = join(work, task);
  await mkdir(dir, { recursive: true });
  const train = join(data, `${task}.train.jsonl`);
  const test = join(data, `${task}.test.jsonl`);
  const config = join(dir, "conclave.yaml");
  const profile = join(dir, "profile.json");
  const report = join(dir, "eval.json");
  const quiet = () => undefined;
  let profiled = false;
  const log = console.log;
  console.log = quiet; // the commands' own summaries; the bench prints its table
  try {
    await conclave(["replay", "import", train, test, "--out", join(dir, "recordings.jsonl"), "--config-out", config, "--no-prompts"]);
    await conclave(["replay", "validation", train, "--out", join(dir, "validation.jsonl")]);
    const firstExpert = /- id: (\S+)/.exec(await readFile(config, "utf8"))![1]!;
    // Free-text tasks (code) give no reference answer to profile against: routing then runs without a profile.
    profiled = (await readFile(join(dir, "validation.jsonl"), "utf8")).trim() !== "";
    // Replay experts cannot synthesise new prompts, so one aggregator candidate is enough to show it.
    if (profiled) await conclave(["--config", config, "profile", "--validation", join(dir, "validation.jsonl"), "--out", profile, "--aggregators", firstExpert, "--sets", "1", "--no-progress"]);
    await conclave(["--config", config, "eval", ...(profiled ? ["--profile", profile] : []), "--train", train, "--test", test, "--out", report, "--no-progress"]);
  } finally {
    console.log = log;
  }
  const evaluated = JSON.parse(await readFile(report, "utf8")) as EvalReport;
  const trainItems = await readEvalSet(train);
  const testItems = await readEvalSet(test);
  const router = new KnnRouter(trainItems);
  const knnPoints = evaluateKnn(router, testItems, DEFAULT_LAMBDAS);
  const range = evaluated.costRange!;
  const knnAiq = aiq(knnPoints.map((p) => ({ cost: p.costPerQuestion, accuracy: p.accuracy })), range.min, range.max);

  const singles = evaluated.systems.filter((s) => s.family === "single");
  const best = singles.reduce((b, s) => (s.accuracy > b.accuracy || (s.accuracy === b.accuracy && s.costPerQuestion < b.costPerQuestion) ? s : b));
  const routed = evaluated.systems.filter((s) => !["single", "oracle"].includes(s.family));
  const conclaveAiq = Object.entries(evaluated.aiq).filter(([family]) => CONCLAVE.has(family)).sort((a, b) => b[1] - a[1])[0]!;
  return {
    task,
    profiled,
    train: trainItems.length,
    test: testItems.length,
    seconds: Math.round((performance.now() - started) / 100) / 10,
    best: { name: best.name, accuracy: best.accuracy, costPerQuestion: best.costPerQuestion },
    systems: evaluated.systems,
    knn: { k: KNN_K, points: knnPoints, aiq: knnAiq },
    aiq: evaluated.aiq,
    costRange: range,
    goals: {
      nearBestCheap: routed
        .filter((s) => s.accuracy >= best.accuracy - POINT - 1e-9 && s.costPerQuestion <= COST_SHARE * best.costPerQuestion)
        .map((s) => ({ name: s.name, accuracy: s.accuracy, costShare: r3(s.costPerQuestion / best.costPerQuestion) })),
      ensemblesBelow: evaluated.systems.filter((s) => ENSEMBLES.has(s.family) && s.accuracy < best.accuracy - POINT - 1e-9).map((s) => ({ name: s.name, accuracy: s.accuracy })),
      bestConclaveAiq: { family: conclaveAiq[0], aiq: conclaveAiq[1] },
      beatsKnn: conclaveAiq[1] > knnAiq,
    },
  };
}

function chart(result: TaskResult): string {
  const knnSystems: SystemResult[] = result.knn.points.map((p) => ({
    name: `knn:${p.lambda}`,
    family: "kNN baseline",
    questions: result.test,
    accuracy: p.accuracy,
    costPerQuestion: p.costPerQuestion,
    callsPerQuestion: 1,
    failed: 0,
    gradedBy: { recorded: result.test, reference: 0, none: 0 },
    aggregation: {},
    recruits: {},
  }));
  const hull = nonDecreasingHull(knnSystems.map((s) => ({ cost: s.costPerQuestion, accuracy: s.accuracy })));
  const report: EvalReport = {
    test: result.task,
    questions: result.test,
    systems: [...result.systems, ...knnSystems],
    costRange: result.costRange,
    aiq: { ...result.aiq, "kNN baseline": result.knn.aiq },
    hulls: { "kNN baseline": hull },
    loadavg: [],
  };
  return paretoSvg(report, `RouterBench ${result.task} (test): accuracy vs cost, replayed through conclave`);
}

function table(results: readonly TaskResult[]): string {
  const show = (s: SystemResult) => !s.name.startsWith("cost:") || ["cost:0", "cost:0.2", "cost:1", "cost:5", "cost:20"].includes(s.name);
  const lines = [`| system | ${results.map((r) => `${r.task} acc | $/q (share) | calls/q`).join(" | ")} |`, `|---|${results.map(() => "---|---|---").join("|")}|`];
  const names = [...new Set(results.flatMap((r) => r.systems.filter(show).map((s) => s.name)))];
  for (const name of names) {
    const cells = results.map((r) => {
      const s = r.systems.find((x) => x.name === name);
      if (!s) return "- | - | -";
      return `${s.accuracy.toFixed(3)} | ${(s.costPerQuestion * 1000).toFixed(2)}m (${Math.round((s.costPerQuestion / r.best.costPerQuestion) * 100)}%) | ${s.callsPerQuestion.toFixed(2)}`;
    });
    lines.push(`| ${name} | ${cells.join(" | ")} |`);
  }
  lines.push("", `| AIQ (cost range: cheapest..dearest single) | ${results.map((r) => r.task).join(" | ")} |`, `|---|${results.map(() => "---").join("|")}|`);
  const families = [...new Set(results.flatMap((r) => Object.keys(r.aiq)))];
  for (const family of [...families, "kNN baseline"]) {
    lines.push(`| ${family} | ${results.map((r) => (family === "kNN baseline" ? r.knn.aiq : r.aiq[family])?.toFixed(4) ?? "-").join(" | ")} |`);
  }
  return lines.join("\n");
}

/** Every task's train and test lines pooled into mixed.{train,test}.jsonl in a folder under `work`. */
async function pooled(data: string, tasks: readonly string[], work: string): Promise<string> {
  const dir = join(work, "mixed-data");
  await mkdir(dir, { recursive: true });
  for (const split of ["train", "test"]) {
    const parts = await Promise.all(tasks.map(async (task) => (await readFile(join(data, `${task}.${split}.jsonl`), "utf8")).trim()));
    await writeFile(join(dir, `mixed.${split}.jsonl`), `${parts.join("\n")}\n`);
  }
  return dir;
}

export async function benchRouterbench(): Promise<void> {
  const data = arg("data", DEFAULT_DATA);
  if (!existsSync(data)) {
    console.log(`routerbench: skipped: no RouterBench data at ${data} (expects <task>.train.jsonl and <task>.test.jsonl)`);
    return;
  }
  const files = await readdir(data);
  const all = files.filter((f) => f.endsWith(".train.jsonl")).map((f) => f.slice(0, -".train.jsonl".length)).filter((t) => files.includes(`${t}.test.jsonl`)).sort();
  const wanted = arg("tasks", "");
  const tasks = wanted ? all.filter((t) => wanted.split(",").includes(t)) : all;
  const work = await mkdtemp(join(tmpdir(), "conclave-routerbench-"));
  const results: TaskResult[] = [];
  try {
    const runs = tasks.map((task) => ({ task, data }));
    if (tasks.length >= 2 && !process.argv.includes("--no-mixed")) runs.push({ task: "mixed", data: await pooled(data, tasks, work) });
    for (const { task, data } of runs) {
      console.log(`routerbench ${task}: import, profile on train, eval on test ...`);
      const result = await runTask(data, task, work);
      results.push(result);
      const g = result.goals;
      console.log(
        `  ${result.train} train / ${result.test} test questions, ${result.seconds}s; best single ${result.best.name} ${result.best.accuracy.toFixed(3)} at $${(result.best.costPerQuestion * 1000).toFixed(2)}m/q\n` +
          `  within 1 point at <= 35% of its cost: ${g.nearBestCheap.map((s) => `${s.name} ${s.accuracy.toFixed(3)} (${Math.round(s.costShare * 100)}%)`).join(", ") || "none"}\n` +
          `  ensembles more than 1 point below it: ${g.ensemblesBelow.map((s) => `${s.name} ${s.accuracy.toFixed(3)}`).join(", ") || "none"}\n` +
          `  AIQ: conclave best ${g.bestConclaveAiq.family} ${g.bestConclaveAiq.aiq.toFixed(4)} vs kNN (k=${KNN_K}) ${result.knn.aiq.toFixed(4)} -> ${g.beatsKnn ? "beats" : "does NOT beat"} kNN`,
      );
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  console.log(`\n${table(results)}`);
  if (!process.argv.includes("--no-write")) {
    await mkdir(join(ROOT, "bench", "results"), { recursive: true });
    const out = { createdAt: new Date().toISOString(), loadavg: loadavg(), lambdas: DEFAULT_LAMBDAS, tasks: results };
    await writeFile(join(ROOT, "bench", "results", "routerbench.json"), `${JSON.stringify(out, null, 2)}\n`);
    for (const result of results) await writeFile(join(ROOT, "bench", "results", `routerbench-${result.task}.svg`), chart(result));
    console.log("\nwrote bench/results/routerbench.json and routerbench-<task>.svg");
  }
}
