/**
 * What the schedule and online benchmarks share: five generated sparse-MoE Q8_0 experts (the demo
 * pool's shapes: 4 experts + the aggregator, grown to a file size), the config that runs them under
 * a given policy and memory budget, the demo questions, and a peak-RSS sampler.
 *
 * Models are written once per size under .cache/bench-models/ (the same files as batch-grouping).
 */
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { parseConfig } from "../orchestrator/config/load.js";
import type { Config } from "../orchestrator/config/schema.js";
import { Orchestrator } from "../orchestrator/orchestrator.js";
import type { PolicyName } from "../orchestrator/scheduler/policies.js";
import { parseBatchLine, type BatchLine } from "../orchestrator/batch/lines.js";
import { writeTestModelSet } from "../experts/testmodels/generate.js";
import { DEMO_AGGREGATOR, DEMO_EXPERTS, demoProfile } from "../orchestrator/demo/demo-pool.js";
import { DEFAULT_CATALOG } from "../skills/default-catalog.js";
import type { Profile } from "../orchestrator/profile/format.js";

export const EXPERT_IDS = DEMO_EXPERTS.map((e) => e.id);

/** Writes (or reuses) the five models of one size; returns their paths by expert id. */
export async function benchModels(sizeBytes: number): Promise<Record<string, string>> {
  const dir = join(".cache", "bench-models", `${Math.round(sizeBytes / 1e6)}MB`);
  await mkdir(dir, { recursive: true });
  const specs = Object.fromEntries(DEMO_EXPERTS.map((e) => [e.id, { ...e.spec, quant: "Q8_0" as const, targetBytes: sizeBytes }]));
  const models = await writeTestModelSet(dir, specs);
  return Object.fromEntries(Object.entries(models).map(([id, model]) => [id, model.path]));
}

export interface RunSetup {
  models: Record<string, string>;
  useMmap: boolean;
  maxTokens: number;
  /** Bytes of RAM the resident models may use. */
  budget: number;
  policy: PolicyName;
  prefetch: boolean;
}

/** The config of one run; `extra` replaces top-level sections (e.g. routing, aggregation). */
export function benchConfig(setup: RunSetup, extra: Record<string, unknown> = {}): Config {
  return parseConfig(
    {
      runtime: { gpu: false, maxThreads: 2 },
      memory: { budget: setup.budget },
      experts: EXPERT_IDS.map((id) => ({ id, backend: "llama", model: setup.models[id]!, contextSize: 1024, sequences: 4, threads: 1, useMmap: setup.useMmap })),
      aggregation: { aggregator: DEMO_AGGREGATOR },
      generation: { maxTokens: setup.maxTokens },
      scheduler: { policy: setup.policy, prefetch: setup.prefetch },
      ...extra,
    },
    process.cwd(),
  );
}

/** The RAM estimate of the largest of the five models (what the scheduler budgets with). */
export async function residentBytes(models: Record<string, string>, useMmap: boolean): Promise<number> {
  const config = benchConfig({ models, useMmap, maxTokens: 16, budget: 2 ** 40, policy: "grouped", prefetch: true });
  const orchestrator = await Orchestrator.create(config, { profile: benchProfile() });
  const bytes = Math.max(...[...orchestrator.statuses.values()].map((s) => s.memory?.ramBytes ?? 0));
  await orchestrator.close();
  return bytes;
}

export function benchProfile(): Profile {
  return demoProfile(DEFAULT_CATALOG.skills.map((s) => s.id));
}

/** The demo questions (the skill mix recruits all five experts), repeated to `count`, seeded per instance. */
export async function demoQuestions(count: number, maxTokens: number): Promise<BatchLine[]> {
  const lines = (await readFile("examples/demo-batch.jsonl", "utf8")).split("\n").filter((l) => l.trim());
  return Array.from({ length: count }, (_, i) => {
    const line = parseBatchLine(lines[i % lines.length]!, i + 1)!;
    line.instance.id = `q${i}`;
    line.instance.params = { ...line.instance.params, maxTokens, temperature: 0, seed: i };
    return line;
  });
}

/**
 * Peak resident set size of this process while `work` runs, sampled every 25 ms (llama.cpp works on
 * its own threads, so the timer keeps firing); the systems run one after another in one process.
 */
export async function withPeakRss<T>(work: () => Promise<T>): Promise<{ result: T; peakRssMiB: number }> {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 25);
  try {
    const result = await work();
    peak = Math.max(peak, process.memoryUsage.rss());
    return { result, peakRssMiB: Math.round(peak / 2 ** 20) };
  } finally {
    clearInterval(timer);
  }
}
