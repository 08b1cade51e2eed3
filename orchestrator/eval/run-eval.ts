/**
 * Runs systems (systems.ts) on a labelled test set through the real orchestrator: for each system the
 * base config is overridden (routing, aggregation), an orchestrator is built from it, and every
 * question goes through `runBatch` (tag -> recruit -> schedule -> run -> aggregate), as in production.
 *
 * Grading: when the final text is one recruit's answer (single, vote, agree), that expert's recorded
 * grade for the question counts; otherwise (a synthesis) the choice letter extracted from the final
 * text is compared with the question's reference answer (dataset.ts). A question that failed counts
 * as wrong, and is reported. Cost is the trace's cost (recorded or declared, every call included);
 * calls are the generations attempted (answers, failures, the aggregator).
 *
 * Output: a row per system (accuracy, cost and calls per question, how answers were graded and
 * aggregated) and the AIQ of each family over the single experts' cost range (aiq.ts).
 */
import { loadavg } from "node:os";
import type { InstanceOutcome } from "../../kernel/contracts.js";
import type { Config } from "../config/schema.js";
import { parseConfig } from "../config/load.js";
import { Orchestrator } from "../orchestrator.js";
import type { Profile } from "../profile/format.js";
import { aiq, nonDecreasingHull, type CostPoint } from "./aiq.js";
import { matchesReference, type EvalItem } from "./dataset.js";
import type { SystemSpec } from "./systems.js";

export interface SystemResult {
  name: string;
  family: string;
  note?: string;
  questions: number;
  accuracy: number;
  costPerQuestion: number;
  callsPerQuestion: number;
  failed: number;
  /** How the questions were graded: recorded grade of the answering expert, or the reference letter. */
  gradedBy: { recorded: number; reference: number; none: number };
  /** Final aggregation methods seen (single, vote, agree, synthesize). */
  aggregation: Record<string, number>;
  /** Most frequent recruits, for reading the rows. */
  recruits: Record<string, number>;
}

export interface EvalReport {
  test: string;
  questions: number;
  systems: SystemResult[];
  /** The cost range AIQ integrates over: cheapest to dearest single expert (US dollars per question). */
  costRange: { min: number; max: number } | undefined;
  aiq: Record<string, number>;
  hulls: Record<string, CostPoint[]>;
  loadavg: number[];
}

export interface EvalRunOptions {
  /** The config as written (before defaults), and the folder its relative paths are anchored at. */
  baseConfig: Record<string, unknown>;
  baseDir: string;
  profile: Profile | undefined;
  items: readonly EvalItem[];
  systems: readonly SystemSpec[];
  test: string;
  onSystem?: (system: SystemSpec, index: number) => void;
  onProgress?: (done: number, total: number) => void;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

export function mergeConfig(under: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...under };
  for (const [key, value] of Object.entries(over)) out[key] = isObject(value) && isObject(under[key]) ? mergeConfig(under[key], value) : value;
  return out;
}

export function gradeOutcome(item: EvalItem, outcome: InstanceOutcome, modelOf: (id: string) => string): { correct: number; by: "recorded" | "reference" | "none" } {
  if (outcome.trace.aggregation.method !== "synthesize") {
    const source = outcome.trace.answers.find((a) => a.text === outcome.text);
    const recorded = source ? item.answers[modelOf(source.expertId)]?.correct : undefined;
    if (recorded !== undefined) return { correct: recorded, by: "recorded" };
  }
  if (item.reference === undefined) return { correct: 0, by: "none" };
  return { correct: matchesReference(outcome.text, item.reference) ? 1 : 0, by: "reference" };
}

export async function runSystem(options: EvalRunOptions, system: SystemSpec): Promise<SystemResult> {
  const config: Readonly<Config> = parseConfig(mergeConfig(options.baseConfig, system.overrides ?? {}), options.baseDir, `config for ${system.name}`);
  const modelOf = new Map(config.experts.map((e) => [e.id, e.backend === "replay" ? (e.model ?? e.id) : e.id]));
  const orchestrator = await Orchestrator.create(config, { ...(options.profile ? { profile: options.profile } : {}) });
  try {
    const lines = options.items.map((item) => ({
      instance: { id: item.id, messages: [{ role: "user" as const, content: item.prompt }] },
      ...(system.pick ? { expertId: system.pick(item) } : {}),
    }));
    const results = await orchestrator.runBatch(lines, { onProgress: ({ done, total }) => options.onProgress?.(done, total) });
    const row: SystemResult = {
      name: system.name,
      family: system.family,
      ...(system.note ? { note: system.note } : {}),
      questions: options.items.length,
      accuracy: 0,
      costPerQuestion: 0,
      callsPerQuestion: 0,
      failed: 0,
      gradedBy: { recorded: 0, reference: 0, none: 0 },
      aggregation: {},
      recruits: {},
    };
    let correct = 0;
    let cost = 0;
    let calls = 0;
    results.forEach((result, index) => {
      if (!("outcome" in result)) {
        row.failed += 1;
        return;
      }
      const { trace } = result.outcome;
      const grade = gradeOutcome(options.items[index]!, result.outcome, (id) => modelOf.get(id) ?? id);
      correct += grade.correct;
      row.gradedBy[grade.by] += 1;
      cost += trace.cost ?? 0;
      calls += trace.answers.length + trace.failures.length + (trace.aggregation.method === "synthesize" ? 1 : 0);
      row.aggregation[trace.aggregation.method] = (row.aggregation[trace.aggregation.method] ?? 0) + 1;
      for (const answer of trace.answers) row.recruits[answer.expertId] = (row.recruits[answer.expertId] ?? 0) + 1;
    });
    const n = options.items.length;
    return { ...row, accuracy: correct / n, costPerQuestion: cost / n, callsPerQuestion: calls / n };
  } finally {
    await orchestrator.close();
  }
}

/** AIQ per family over the single experts' cost range; families other than single and oracle. */
export function familyAiq(systems: readonly SystemResult[]): Pick<EvalReport, "aiq" | "hulls" | "costRange"> {
  const singles = systems.filter((s) => s.family === "single");
  if (singles.length < 2) return { aiq: {}, hulls: {}, costRange: undefined };
  const costRange = { min: Math.min(...singles.map((s) => s.costPerQuestion)), max: Math.max(...singles.map((s) => s.costPerQuestion)) };
  if (!(costRange.max > costRange.min)) return { aiq: {}, hulls: {}, costRange };
  const families = new Map<string, CostPoint[]>();
  for (const s of systems) {
    if (s.family === "oracle") continue;
    families.set(s.family, [...(families.get(s.family) ?? []), { cost: s.costPerQuestion, accuracy: s.accuracy }]);
  }
  // Everything conclave routes, as one family: the best curve its strategies make together.
  const routed = systems.filter((s) => !["single", "oracle", "random"].includes(s.family)).map((s) => ({ cost: s.costPerQuestion, accuracy: s.accuracy }));
  if (routed.length > 0) families.set("conclave (all routed)", routed);
  const aiqs: Record<string, number> = {};
  const hulls: Record<string, CostPoint[]> = {};
  for (const [family, points] of families) {
    aiqs[family] = aiq(points, costRange.min, costRange.max);
    hulls[family] = nonDecreasingHull(points);
  }
  return { aiq: aiqs, hulls, costRange };
}

export async function runEval(options: EvalRunOptions): Promise<EvalReport> {
  const systems: SystemResult[] = [];
  for (const [index, system] of options.systems.entries()) {
    options.onSystem?.(system, index);
    systems.push(await runSystem(options, system));
  }
  return { test: options.test, questions: options.items.length, systems, ...familyAiq(systems), loadavg: loadavg() };
}
