/**
 * Batch scheduling benchmark: one process, one set of five generated sparse-MoE experts (4 + the
 * aggregator, k = 3), one batch, run by each system on the same engine (only the policy differs):
 *   naive       - per-instance loading: each instance's models loaded, then unloaded after it
 *   fifoLru     - scheduler.policy fifo-lru: arrival order, load on demand, LRU eviction (Ollama, llama-swap)
 *   grouped     - scheduler.policy grouped: conclave's (with prefetch; `groupedNoPrefetch` without)
 *   lowerBound  - each model loaded once (timed) + the same batch generated with every model resident
 * under a memory budget that holds 2 of the 5 models, and again under one that holds all 5.
 *
 * Loading cost decides the ratios, so it first sweeps model size x useMmap and measures, for each,
 * the load-to-generation ratio (sum of the five load times / generation time of the batch on
 * resident models). The full comparison runs at the setup closest to the paper's proportions (ratio
 * 1: loading a model costs about the generation of its share of the batch; among setups within 1.25x
 * of the closest, the quickest), or at --setup SIZE:mmap|nommap.
 * Every system runs in each of --slices interleaved slices (5 by default, alternating order), so each
 * ratio is a median over slices that ran back to back; naive and fifoLru, which reload dozens of
 * times, can be limited to the first --expensive-slices slices when time is short.
 * Peak RSS: this process's RSS sampled every 25 ms during each system's run. Tokenizers are warmed
 * before timing (the context check loads a vocabulary once per model that is not resident).
 *
 *   npm run bench -- schedule [--sizes 100MB,300MB] [--instances 20] [--max-tokens 32] [--slices 5] [--expensive-slices 5] [--setup 300MB:mmap]
 */
import { mkdir, writeFile } from "node:fs/promises";
import { parseByteSize } from "../orchestrator/config/schema.js";
import { Orchestrator } from "../orchestrator/orchestrator.js";
import type { PolicyName } from "../orchestrator/scheduler/policies.js";
import { disposeRuntime } from "../experts/llama/runtime.js";
import { arg } from "./args.js";
import { machine, ratioReport, spread, type Spread } from "./stats.js";
import { benchConfig, benchModels, benchProfile, demoQuestions, EXPERT_IDS, residentBytes, withPeakRss } from "./schedule-setup.js";

interface Setup {
  sizeMB: number;
  useMmap: boolean;
  models: Record<string, string>;
  /** Bytes one model needs resident (the largest estimate of the five). */
  modelBytes: number;
}

interface Run {
  wallMs: number;
  loads: number;
  peakRssMiB: number;
  ok: number;
}

interface LowerBound extends Run {
  loadMs: number;
  generationMs: number;
}

type System = "naive" | "fifoLru" | "grouped" | "groupedNoPrefetch" | "lowerBound" | "fifoLruAll5" | "groupedAll5";
const EXPENSIVE: ReadonlySet<System> = new Set(["naive", "fifoLru"]);

export async function benchSchedule(): Promise<void> {
  const sizes = arg("sizes", "100MB,300MB").split(",").map((s) => parseByteSize(s)!);
  const instances = Number(arg("instances", "20"));
  const maxTokens = Number(arg("max-tokens", "32"));
  const slices = Number(arg("slices", "5"));
  const expensiveSlices = Math.min(slices, Number(arg("expensive-slices", String(slices))));
  const forced = arg("setup", "");
  const started = performance.now();
  const batch = await demoQuestions(instances, maxTokens);
  const profile = benchProfile();

  const setups: Setup[] = [];
  for (const size of sizes) {
    const t0 = performance.now();
    const models = await benchModels(size);
    console.log(`models: 5 x ~${Math.round(size / 1e6)} MB Q8_0 (ready in ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    const modelBytes = await residentBytes(models, true);
    for (const useMmap of [true, false]) setups.push({ sizeMB: Math.round(size / 1e6), useMmap, models, modelBytes });
  }

  const run = async (setup: Setup, policy: PolicyName, budgetModels: number, options: { naive?: boolean; prefetch?: boolean } = {}): Promise<Run> => {
    const budget = Math.floor(setup.modelBytes * (budgetModels + 0.4));
    const config = benchConfig({ models: setup.models, useMmap: setup.useMmap, maxTokens, budget, policy, prefetch: options.prefetch ?? true });
    const orchestrator = await Orchestrator.create(config, { profile });
    try {
      await warmTokenizers(orchestrator);
      const t0 = performance.now();
      const { result, peakRssMiB } = await withPeakRss(() => orchestrator.runBatch(batch.map((line) => ({ instance: line.instance })), { perInstanceLoading: options.naive ?? false }));
      return { wallMs: performance.now() - t0, loads: orchestrator.stats().loads, peakRssMiB, ok: result.filter((r) => "outcome" in r).length };
    } finally {
      await orchestrator.close();
    }
  };

  const lowerBound = async (setup: Setup): Promise<LowerBound> => {
    const config = benchConfig({ models: setup.models, useMmap: setup.useMmap, maxTokens, budget: setup.modelBytes * 6, policy: "grouped", prefetch: true });
    const orchestrator = await Orchestrator.create(config, { profile });
    try {
      await warmTokenizers(orchestrator);
      const { result, peakRssMiB } = await withPeakRss(async () => {
        let loadMs = 0;
        for (const id of EXPERT_IDS) {
          const t0 = performance.now();
          await orchestrator.experts.get(id)!.ensureLoaded();
          loadMs += performance.now() - t0;
        }
        const t1 = performance.now();
        const results = await orchestrator.runBatch(batch.map((line) => ({ instance: line.instance })));
        return { loadMs, generationMs: performance.now() - t1, ok: results.filter((r) => "outcome" in r).length };
      });
      return { ...result, wallMs: result.loadMs + result.generationMs, loads: EXPERT_IDS.length, peakRssMiB };
    } finally {
      await orchestrator.close();
    }
  };

  // 1. The sweep: the load-to-generation ratio of each setup.
  const sweep: Array<{ sizeMB: number; useMmap: boolean; loadMs: number; generationMs: number; loadToGeneration: number }> = [];
  for (const setup of setups) {
    const bound = await lowerBound(setup);
    sweep.push({ sizeMB: setup.sizeMB, useMmap: setup.useMmap, loadMs: bound.loadMs, generationMs: bound.generationMs, loadToGeneration: bound.loadMs / bound.generationMs });
    console.log(`sweep ${setup.sizeMB} MB mmap ${setup.useMmap ? "on " : "off"}: 5 loads ${(bound.loadMs / 1000).toFixed(2)} s, generation ${(bound.generationMs / 1000).toFixed(2)} s, load/generation ${(bound.loadMs / bound.generationMs).toFixed(2)}`);
  }
  const chosenIndex = forced
    ? setups.findIndex((s) => `${s.sizeMB}MB:${s.useMmap ? "mmap" : "nommap"}` === forced)
    : closestToPaper(sweep);
  if (chosenIndex < 0) throw new Error(`--setup ${forced}: not one of ${setups.map((s) => `${s.sizeMB}MB:${s.useMmap ? "mmap" : "nommap"}`).join(", ")}`);
  const setup = setups[chosenIndex]!;
  console.log(`\nfull comparison at ${setup.sizeMB} MB, mmap ${setup.useMmap ? "on" : "off"} (load/generation ${sweep[chosenIndex]!.loadToGeneration.toFixed(2)})`);

  // 2. Every system at that setup, interleaved slices (the expensive ones in the first --expensive-slices).
  const systems: Record<System, () => Promise<Run>> = {
    naive: () => run(setup, "grouped", 2, { naive: true }),
    fifoLru: () => run(setup, "fifo-lru", 2),
    grouped: () => run(setup, "grouped", 2),
    groupedNoPrefetch: () => run(setup, "grouped", 2, { prefetch: false }),
    lowerBound: () => lowerBound(setup),
    fifoLruAll5: () => run(setup, "fifo-lru", 5),
    groupedAll5: () => run(setup, "grouped", 5),
  };
  const names = Object.keys(systems) as System[];
  const results = new Map<System, Run[]>(names.map((n) => [n, []]));
  for (let slice = 0; slice < slices; slice++) {
    const order = slice % 2 === 0 ? names : [...names].reverse();
    for (const name of order) {
      if (slice >= expensiveSlices && EXPENSIVE.has(name)) continue;
      const result = await systems[name]();
      results.get(name)!.push(result);
      console.log(`  slice ${slice + 1} ${name.padEnd(18)} ${(result.wallMs / 1000).toFixed(2).padStart(7)} s  ${String(result.loads).padStart(4)} loads  ${result.peakRssMiB} MiB  ${result.ok}/${instances} ok`);
    }
  }
  await disposeRuntime();

  const summary = (name: System) => {
    const list = results.get(name)!;
    const wall = spread(list.map((r) => r.wallMs));
    return { wallMs: Math.round(wall.median), wallMsSpread: rounded(wall), loads: median(list.map((r) => r.loads)), peakRssMiB: Math.max(...list.map((r) => r.peakRssMiB)), ok: Math.min(...list.map((r) => r.ok)), slices: list.length };
  };
  const runs = Object.fromEntries(names.map((n) => [n, summary(n)])) as Record<System, ReturnType<typeof summary>>;
  // Per-slice ratios (systems of a slice ran back to back, so the ratio cancels the machine's drift):
  // median and range over the slices that both systems ran.
  const wall = (name: System) => results.get(name)!.map((r) => r.wallMs);
  const perSlice = (a: System, b: System) => {
    const n = Math.min(wall(a).length, wall(b).length);
    const r = ratioReport(wall(a).slice(0, n), wall(b).slice(0, n));
    return { median: Number(r.median.toFixed(2)), min: Number(r.min.toFixed(2)), max: Number(r.max.toFixed(2)), slices: n, direction: r.direction };
  };
  const ratios = {
    groupedOverLowerBound: perSlice("grouped", "lowerBound"),
    naiveOverGrouped: perSlice("naive", "grouped"),
    fifoLruOverGrouped: perSlice("fifoLru", "grouped"),
    noPrefetchOverPrefetch: perSlice("groupedNoPrefetch", "grouped"),
    fifoLruOverGroupedAll5: perSlice("fifoLruAll5", "groupedAll5"),
    /** Against grouped's median over every slice instead of its slice-1 run. */
    naiveOverGroupedMedian: Number((runs.naive.wallMs / runs.grouped.wallMs).toFixed(2)),
    fifoLruOverGroupedMedian: Number((runs.fifoLru.wallMs / runs.grouped.wallMs).toFixed(2)),
  };
  const goals = {
    "grouped <= 1.05x lowerBound": ratios.groupedOverLowerBound.median <= 1.05,
    "naive >= 7x grouped": ratios.naiveOverGrouped.median >= 7,
    "fifoLru >= 2x grouped": ratios.fifoLruOverGrouped.median >= 2,
  };

  console.log(`\n${instances} instances, k=3 + aggregator, ${maxTokens} tokens, ${setup.sizeMB} MB models, mmap ${setup.useMmap ? "on" : "off"}, CPU; budget holds 2 of 5 models unless "all 5"`);
  console.log("system               wall s (median [range])   loads  peak RSS MiB  slices");
  for (const name of names) {
    const r = runs[name];
    console.log(`${name.padEnd(20)} ${`${(r.wallMs / 1000).toFixed(2)} [${(r.wallMsSpread.min / 1000).toFixed(2)}-${(r.wallMsSpread.max / 1000).toFixed(2)}]`.padEnd(25)} ${String(r.loads).padStart(5)}  ${String(r.peakRssMiB).padStart(12)}  ${r.slices}`);
  }
  for (const [name, r] of Object.entries(ratios)) {
    console.log(typeof r === "number" ? `${name}: ${r}x` : `${name}: ${r.median}x [${r.min}-${r.max}] over ${r.slices} slice(s), ${r.direction}`);
  }
  console.log(`goals: ${JSON.stringify(goals)}`);
  console.log(`bench wall time: ${((performance.now() - started) / 1000).toFixed(0)} s`);

  await mkdir("bench/results", { recursive: true });
  const json = {
    bench: "schedule",
    command: `npm run bench -- schedule ${process.argv.slice(3).join(" ")}`.trim(),
    machine: machine(),
    setup: { instances, maxTokens, models: 5, recruitsPerInstance: "3 + aggregator", sizeMB: setup.sizeMB, useMmap: setup.useMmap, budgetModels: 2, slices, expensiveSlices, peakRss: "this process's RSS sampled every 25 ms during each system's run" },
    loadToGenerationRatio: Number(sweep[chosenIndex]!.loadToGeneration.toFixed(2)),
    sweep: sweep.map((s) => ({ ...s, loadMs: Math.round(s.loadMs), generationMs: Math.round(s.generationMs), loadToGeneration: Number(s.loadToGeneration.toFixed(2)) })),
    runs,
    ratios,
    goals,
    benchWallS: Math.round((performance.now() - started) / 1000),
  };
  await writeFile("bench/results/batch-schedule.json", `${JSON.stringify(json, null, 2)}\n`);
  console.log("written: bench/results/batch-schedule.json");
}

/**
 * Prompts are measured against each recruit's context before generation; for a model that is not
 * resident that loads its vocabulary once. Done before timing in every system, so that a one-time
 * cost of the pipeline is not counted as scheduling.
 */
async function warmTokenizers(orchestrator: Orchestrator): Promise<void> {
  for (const expert of orchestrator.experts.values()) {
    await (expert as { countTokens?: (messages: Array<{ role: "user"; content: string }>) => Promise<number> }).countTokens?.([{ role: "user", content: "warm up" }]);
  }
}

/**
 * The setup whose load-to-generation ratio is closest to 1 (in log distance); among those within
 * 1.25x of the closest, the quickest, so the full comparison fits the time limit.
 */
function closestToPaper(sweep: ReadonlyArray<{ loadMs: number; generationMs: number; loadToGeneration: number }>): number {
  const distance = (ratio: number) => Math.abs(Math.log(ratio));
  const best = Math.min(...sweep.map((s) => distance(s.loadToGeneration)));
  const near = sweep.map((s, i) => ({ s, i })).filter(({ s }) => distance(s.loadToGeneration) <= best + Math.log(1.25));
  return near.sort((a, b) => a.s.loadMs + a.s.generationMs - (b.s.loadMs + b.s.generationMs))[0]!.i;
}

function median(values: number[]): number {
  return spread(values).median;
}

function rounded(s: Spread): Spread {
  return { ...s, median: Math.round(s.median), min: Math.round(s.min), max: Math.round(s.max), q1: Math.round(s.q1), q3: Math.round(s.q3) };
}
