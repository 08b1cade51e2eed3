/**
 * The zoo results table (Symbolic-MoE's table at toy scale): on the zoo's held-out test split, the
 * accuracy per skill and overall, model calls and generated tokens per instance, for each single
 * expert, all experts + the aggregator (MoA style), all experts + a vote, Symbolic-MoE top-k +
 * aggregator, CoE category routing, adaptive k, and the oracle (right when any single expert is).
 * Every row runs the real pipeline (tagger, recruitment, scheduler grouped by expert, node-llama-cpp,
 * aggregation) through `Orchestrator.runBatch`; only the routing settings differ.
 *
 *   npm run bench -- zoo [--per-skill 100] [--no-write]
 */
import { mkdir, writeFile } from "node:fs/promises";
import { ZOO_CONFIG_PATH, parseConfig } from "../orchestrator/config/load.js";
import { Orchestrator } from "../orchestrator/orchestrator.js";
import { grade } from "../orchestrator/profile/grade.js";
import { readValidation, type ValidationItem } from "../orchestrator/profile/validation.js";
import { dirname, join } from "node:path";
import { parse as parseYaml } from "yaml";
import { readFile } from "node:fs/promises";
import { accuracyOf } from "../zoo/evaluate.js";
import { arg } from "./args.js";

interface Row {
  system: string;
  accuracy: number;
  perSkill: Record<string, number>;
  callsPerInstance: number;
  tokensPerInstance: number;
  seconds: number;
}

const round = (value: number, digits = 3) => Math.round(value * 10 ** digits) / 10 ** digits;

function score(items: readonly ValidationItem[], answers: readonly string[]): Pick<Row, "accuracy" | "perSkill"> & { right: boolean[] } {
  const right = items.map((item, i) => grade(answers[i] ?? "", item.spec).correct);
  const { overall, perSkill } = accuracyOf(items.map(skillOf), right);
  return { accuracy: overall, perSkill, right };
}

const skillOf = (item: ValidationItem) => item.skills?.[0] ?? "?";

async function runSystem(name: string, overrides: Record<string, unknown>, items: readonly ValidationItem[]): Promise<Row & { right: boolean[] }> {
  const config = parseConfig({ runtime: { gpu: false }, ...overrides }, process.cwd(), name);
  const orchestrator = await Orchestrator.create(config);
  try {
    const started = performance.now();
    const results = await orchestrator.runBatch(items.map((item) => ({ instance: { id: item.id, messages: item.messages } })));
    const seconds = (performance.now() - started) / 1000;
    let calls = 0;
    let tokens = 0;
    const answers = results.map((result) => {
      if ("error" in result) return "";
      const { trace, usage } = result.outcome;
      calls += trace.answers.length + (trace.aggregation.method === "synthesize" ? 1 : 0);
      tokens += usage.completionTokens;
      return result.outcome.text;
    });
    const scored = score(items, answers);
    const row = { system: name, ...scored, callsPerInstance: round(calls / items.length, 2), tokensPerInstance: round(tokens / items.length, 2), seconds: round(seconds, 1) };
    console.log(`${name.padEnd(34)} ${row.accuracy.toFixed(3)}  calls ${row.callsPerInstance}  tokens ${row.tokensPerInstance}  ${row.seconds}s`);
    return row;
  } finally {
    await orchestrator.close();
  }
}

export async function benchZoo(): Promise<void> {
  const perSkill = Number(arg("per-skill", "100"));
  const { items: all } = await readValidation(join(dirname(ZOO_CONFIG_PATH), "data", "test.jsonl"));
  const taken = new Map<string, number>();
  const items = all.filter((item) => {
    const skill = skillOf(item);
    taken.set(skill, (taken.get(skill) ?? 0) + 1);
    return taken.get(skill)! <= perSkill;
  });
  const zoo = parseYaml(await readFile(ZOO_CONFIG_PATH, "utf8")) as { experts: Array<{ id: string }> };
  const ids = zoo.experts.map((e) => e.id);
  console.log(`zoo test split: ${items.length} questions (${perSkill} per skill), ${ids.length} experts`);
  const rows: Array<Row & { right: boolean[] }> = [];
  const single = { aggregation: { method: "single" } };
  for (const id of ids) rows.push(await runSystem(`single: ${id}`, { routing: { strategy: "fixed", fixed: [id] }, ...single }, items));
  rows.push(await runSystem("all experts + aggregator (MoA)", { routing: { strategy: "fixed", fixed: ids }, aggregation: { method: "synthesize", skipWhenAgree: false } }, items));
  rows.push(await runSystem("all experts + vote", { routing: { strategy: "fixed", fixed: ids }, aggregation: { method: "vote" } }, items));
  // Every row names its aggregation: the zoo's config (which the rows sit on) aggregates by vote.
  const synthesize = { aggregation: { method: "synthesize" } };
  const vote = { aggregation: { method: "vote" } };
  rows.push(await runSystem("Symbolic-MoE top-3 + aggregator", { routing: { strategy: "symbolic", k: 3 }, ...synthesize }, items));
  rows.push(await runSystem("Symbolic-MoE top-3 + vote", { routing: { strategy: "symbolic", k: 3 }, ...vote }, items));
  rows.push(await runSystem("Symbolic-MoE top-1", { routing: { strategy: "symbolic", k: 1 } }, items));
  rows.push(await runSystem("CoE category routing", { routing: { strategy: "category" } }, items));
  rows.push(await runSystem("adaptive k (top-p 0.8, 1-3) + aggregator", { routing: { strategy: "adaptive" }, ...synthesize }, items));
  rows.push(await runSystem("adaptive k (top-p 0.8, 1-3) + vote", { routing: { strategy: "adaptive" }, ...vote }, items));
  // The oracle: an instance counts as right when any single expert got it right (one call, if you knew which).
  const singles = rows.slice(0, ids.length);
  const oracleRight = items.map((_, i) => singles.some((row) => row.right[i]));
  const { overall, perSkill: perSkillOracle } = accuracyOf(items.map(skillOf), oracleRight);
  const oracle = { system: "oracle (best single expert per question)", accuracy: overall, perSkill: perSkillOracle, callsPerInstance: 1, tokensPerInstance: NaN, seconds: 0 };
  console.log(`${oracle.system.padEnd(34)} ${oracle.accuracy.toFixed(3)}`);
  const table = [...rows.map(({ right: _right, ...row }) => row), oracle];
  const skills = Object.keys(table[0]!.perSkill);
  console.log(`\n| system | ${skills.join(" | ")} | overall | calls/inst | tokens/inst |`);
  console.log(`|---|${skills.map(() => "---").join("|")}|---|---|---|`);
  for (const row of table) {
    const tokens = Number.isNaN(row.tokensPerInstance) ? "-" : row.tokensPerInstance.toFixed(1);
    console.log(`| ${row.system} | ${skills.map((s) => row.perSkill[s]!.toFixed(2)).join(" | ")} | **${row.accuracy.toFixed(3)}** | ${row.callsPerInstance} | ${tokens} |`);
  }
  if (!process.argv.includes("--no-write")) {
    await mkdir("bench/results", { recursive: true });
    const out = { createdAt: new Date().toISOString(), questions: items.length, perSkill, rows: table.map((row) => ({ ...row, tokensPerInstance: Number.isNaN(row.tokensPerInstance) ? null : row.tokensPerInstance })) };
    await writeFile("bench/results/zoo.json", `${JSON.stringify(out, null, 2)}\n`);
    console.log("\nwrote bench/results/zoo.json");
  }
}
