/**
 * `conclave eval --config c.yaml --test test.jsonl [--strategies ...]`: runs each system (eval/systems.ts)
 * through the real orchestrator on a labelled test set and prints accuracy, cost and calls per
 * question, the gap to the best single expert and its cost share, and each family's AIQ; writes the
 * report as JSON (`--out`) and the accuracy-cost chart as SVG (`--svg`). A progress bar per system
 * (cli-progress, readable in CI logs too) goes to stderr.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { Presets, SingleBar } from "cli-progress";
import { parse as parseYaml } from "yaml";
import { ConclaveError } from "../../kernel/errors.js";
import { loadCatalog } from "../catalog.js";
import { parseConfig } from "../config/load.js";
import { loadProfile } from "../profile/format.js";
import { readEvalSet } from "../eval/dataset.js";
import { paretoSvg } from "../eval/chart.js";
import { runEval, type EvalReport } from "../eval/run-eval.js";
import { buildSystems, DEFAULT_LAMBDAS, DEFAULT_SYSTEMS } from "../eval/systems.js";
import { fitCascade } from "../eval/fit-cascade.js";

/** The fitted cascade's default budget: at most 35% of the strongest expert's cost per question. */
export const DEFAULT_CASCADE_BUDGET = 0.35;

export interface EvalCommandOptions {
  config: string;
  test: string;
  /** A profile overriding routing.profile (e.g. the one `conclave profile` just wrote). */
  profile?: string;
  /** A graded train split: fits the cascade-fitted system on it. */
  train?: string;
  /** That cascade's budget: mean cost at most this share of the strongest expert's (default 0.35). */
  budget?: number;
  strategies?: string[];
  lambdas?: number[];
  k?: number;
  seed?: number;
  out?: string;
  svg?: string;
  progress: boolean;
}

export async function runEvalCommand(options: EvalCommandOptions, print: (text: string) => void): Promise<EvalReport> {
  let raw: unknown;
  try {
    raw = parseYaml(await readFile(options.config, "utf8"));
  } catch (error) {
    throw new ConclaveError("CONFIG_NOT_FOUND", `cannot read config file ${options.config}: ${(error as Error).message}`, { cause: error });
  }
  if (typeof raw !== "object" || raw === null) throw new ConclaveError("CONFIG_INVALID", `${options.config}: expected a mapping`);
  const baseDir = dirname(resolve(options.config));
  const config = parseConfig(raw, baseDir, options.config);
  if (config.experts.length === 0) throw new ConclaveError("CONFIG_INVALID", `${options.config}: eval needs experts (e.g. replay experts written by conclave replay import)`);
  const profilePath = options.profile ?? config.routing.profile;
  const profile = profilePath ? await loadProfile(profilePath) : undefined;
  const items = await readEvalSet(options.test);
  const experts = config.experts.map((e) => ({ id: e.id, model: e.backend === "replay" ? (e.model ?? e.id) : e.id }));
  const budget = options.budget ?? DEFAULT_CASCADE_BUDGET;
  const fitted = options.train ? fitCascade(await readEvalSet(options.train), experts, { budget }) : undefined;
  if (options.train) {
    print(
      fitted
        ? `cascade fitted on ${options.train}: ${fitted.tiers.map((t) => t.join(" + ")).join(" -> ")} (train accuracy ${fitted.train.accuracy.toFixed(3)} vs the strongest's ${fitted.train.strongestAccuracy.toFixed(3)}, ${(fitted.train.costShare * 100).toFixed(0)}% of its cost)`
        : `cascade fitted on ${options.train}: no first tier fits within ${budget} of the strongest's cost`,
    );
  }
  const names = options.strategies ?? [...DEFAULT_SYSTEMS, ...(fitted ? ["cascade-fitted"] : [])];
  const systems = buildSystems(names, {
    experts,
    profile,
    ...(fitted ? { fittedTiers: fitted.tiers } : {}),
    catalog: await loadCatalog(config.skills.catalog),
    k: options.k ?? config.routing.k,
    seed: options.seed ?? config.routing.seed,
    lambdas: options.lambdas ?? DEFAULT_LAMBDAS,
  });
  const bar = new SingleBar(
    { format: "eval {system} |{bar}| {value}/{total} questions · system {index}/{systems}", noTTYOutput: true, notTTYSchedule: 5000, stream: process.stderr },
    Presets.shades_classic,
  );
  let current = "";
  const report = await runEval({
    baseConfig: raw as Record<string, unknown>,
    baseDir,
    profile,
    items,
    systems,
    test: options.test,
    onSystem: (system, index) => {
      if (!options.progress) return;
      if (current) bar.stop();
      current = system.name;
      bar.start(items.length, 0, { system: system.name.padEnd(20), index: index + 1, systems: systems.length });
    },
    onProgress: (done) => options.progress && bar.update(done),
  });
  if (options.progress && current) bar.stop();
  print(formatEvalReport(report));
  if (options.out) {
    await mkdir(dirname(resolve(options.out)), { recursive: true });
    await writeFile(options.out, `${JSON.stringify(report, null, 2)}\n`);
  }
  if (options.svg) {
    await mkdir(dirname(resolve(options.svg)), { recursive: true });
    await writeFile(options.svg, paretoSvg(report, `conclave eval: ${options.test.split("/").at(-1)}`));
  }
  return report;
}

/** The table: pure, so its wording is tested without running anything. */
export function formatEvalReport(report: EvalReport): string {
  const singles = report.systems.filter((s) => s.family === "single");
  const best = singles.reduce<(typeof singles)[number] | undefined>((b, s) => (!b || s.accuracy > b.accuracy ? s : b), undefined);
  const width = Math.max(12, ...report.systems.map((s) => s.name.length)) + 2;
  const lines = [`${"system".padEnd(width)}accuracy  $/question   calls/q  vs best  cost share`];
  for (const s of report.systems) {
    const delta = best ? `${s.accuracy - best.accuracy >= 0 ? "+" : ""}${((s.accuracy - best.accuracy) * 100).toFixed(1)}` : "-";
    const share = best && best.costPerQuestion > 0 ? `${((s.costPerQuestion / best.costPerQuestion) * 100).toFixed(0)}%` : "-";
    const failed = s.failed ? `  (${s.failed} failed)` : "";
    lines.push(`${s.name.padEnd(width)}${s.accuracy.toFixed(3).padEnd(10)}${s.costPerQuestion.toExponential(2).padEnd(12)}${s.callsPerQuestion.toFixed(2).padEnd(9)}${delta.padEnd(9)}${share}${failed}`);
  }
  if (best) lines.push("", `best single: ${best.name} (${best.accuracy.toFixed(3)}); vs best in points, cost share of its cost`);
  if (report.costRange) {
    lines.push(`AIQ over $${report.costRange.min.toExponential(2)}..$${report.costRange.max.toExponential(2)} per question:`);
    for (const [family, value] of Object.entries(report.aiq).sort((a, b) => b[1] - a[1])) lines.push(`  ${family.padEnd(24)}${value.toFixed(4)}`);
  }
  return lines.join("\n");
}
