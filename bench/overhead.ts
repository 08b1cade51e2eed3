/**
 * Routing overhead: what conclave adds per request before any generation, in-process: tag (the
 * zoo's trained tagger) + recruit (Symbolic-MoE top-k over a generated 200-expert profile) + the
 * scheduler's decision (the pure policy over 200 expert snapshots). No HTTP, no model.
 *
 * The profile: 200 experts over the zoo catalog's skills, seeded (`--seed`), with skill scores,
 * accuracy and competence as `conclave profile` writes them. Questions: the zoo's test split,
 * cycled. The scheduler snapshot evolves as requests arrive: recruits gain backlog, the decision
 * is applied (serve takes one item, load makes resident and evicts), so `decide` sees a live state.
 *
 * Timed per request with performance.now(); the run is split into --slices slices (bench/stats.ts)
 * and each percentile is reported as its median and range over slices. Also times `route()` from
 * the pipeline (the router as the server builds it, async) for comparison with the HTTP overhead in
 * bench/results/http-overhead.json. Writes bench/results/overhead.json.
 *
 *   npm run bench -- overhead [--requests 20000] [--experts 200] [--slices 5] [--seed 7]
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { ZOO_CONFIG_PATH, parseConfig } from "../orchestrator/config/load.js";
import { route, type PipelineParts } from "../orchestrator/pipeline.js";
import type { Profile } from "../orchestrator/profile/format.js";
import { recruit } from "../orchestrator/recruit/index.js";
import { residencyFromStats } from "../orchestrator/recruit/residency.js";
import { buildRouter } from "../orchestrator/router.js";
import { decide, type ExpertSnapshot, type PolicyInput } from "../orchestrator/scheduler/policy.js";
import type { Scheduler } from "../orchestrator/scheduler/scheduler.js";
import { readValidation } from "../orchestrator/profile/validation.js";
import { mulberry32 } from "../kernel/prng.js";
import { loadSkillCatalog } from "../skills/catalog.js";
import { TrainedTagger } from "../skills/trained-tagger.js";
import { arg } from "./args.js";
import { DEFAULT_SLICES, formatSpread, machine, percentile, spread, type Spread } from "./stats.js";

const ZOO = dirname(ZOO_CONFIG_PATH);

function positiveInt(name: string, fallback: string): number {
  const value = Number(arg(name, fallback));
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} expects a positive integer, got ${arg(name, fallback)}`);
  return value;
}

/** n experts over `skills`, seeded: each strong on a few skills, weak or unknown on the rest. */
export function generateProfile(skills: readonly string[], n: number, seed: number): Profile {
  const random = mulberry32(seed);
  const experts: Profile["experts"] = {};
  const accuracies: number[] = [];
  for (let i = 0; i < n; i++) accuracies.push(0.1 + 0.8 * random());
  const best = Math.max(...accuracies);
  for (let i = 0; i < n; i++) {
    const scores: Record<string, number> = {};
    for (const skill of skills) scores[skill] = Math.round((random() * 2 - 1) * 40);
    experts[`expert-${String(i).padStart(3, "0")}`] = { skills: scores, accuracy: accuracies[i]!, competence: accuracies[i]! / best, answered: 240 };
  }
  return { version: 1, source: `generated: ${n} experts, seed ${seed}`, experts } as Profile;
}

/** Per-stage samples (µs) for one slice. */
interface Samples {
  tag: number[];
  recruit: number[];
  decide: number[];
  total: number[];
  /** CPU time of tag + recruit + decide (this process): unlike wall time, not inflated when the OS runs someone else. */
  totalCpu: number[];
  route: number[];
}

const stages = ["tag", "recruit", "decide", "total", "totalCpu", "route"] as const;

export async function benchOverhead(): Promise<void> {
  const requests = positiveInt("requests", "20000");
  const expertCount = positiveInt("experts", "200");
  const slices = positiveInt("slices", String(DEFAULT_SLICES));
  const seed = positiveInt("seed", "7");

  const catalog = await loadSkillCatalog(join(ZOO, "catalog.yaml"));
  const config = parseConfig({ routing: { strategy: "symbolic", k: 3 } }, process.cwd(), "overhead bench");
  const limits = { maxSkills: config.skills.tagger.maxSkills, minScore: config.skills.tagger.minScore };
  const tagger = await TrainedTagger.load(join(ZOO, "tagger.json"), limits);
  const profile = generateProfile(catalog.skills.map((s) => s.id), expertCount, seed);
  const available = Object.keys(profile.experts);
  const { items } = await readValidation(join(ZOO, "data", "test.jsonl"));
  const texts = items.map((item) => item.messages.at(-1)!.content);


  // A live scheduler state: 1 GiB per expert, a budget of 2, slots 4; remote-free, all local.
  const snapshots = new Map<string, ExpertSnapshot>(
    available.map((id, i) => [
      id,
      { id, local: true, resident: i < 2, loading: false, memory: { ram: 2 ** 30, vram: 0 }, slots: 4, inFlight: 0, backlog: 0, oldestWaitMs: 0, servedSinceLoad: 0, lastUsedAt: 0, sticky: false },
    ]),
  );
  const policy: Omit<PolicyInput, "experts"> = { budget: { ram: 2 * 2 ** 30, vram: 0 }, fairnessCap: config.scheduler.fairnessCap, ageWeightMs: config.scheduler.ageWeightMs };
  const experts = [...snapshots.values()];
  // Residency as recruitment sees it (routing.residencyMargin is on by default), from the same state.
  const residency = () => residencyFromStats({ experts: Object.fromEntries(experts.map((e) => [e.id, e])) });
  // The router as the server builds it; of the scheduler it reads only stats() (for residency).
  const scheduler = { stats: () => ({ experts: Object.fromEntries(experts.map((e) => [e.id, e])) }) } as unknown as Scheduler;
  const router = buildRouter({ config, catalog, profile, available, scheduler, trainedTagger: tagger });
  const parts = { router } as PipelineParts;
  let clock = 0;
  const apply = (decision: ReturnType<typeof decide>) => {
    clock += 1;
    if (decision.kind === "serve") {
      const e = snapshots.get(decision.expertId)!;
      e.backlog -= 1;
      e.servedSinceLoad += 1;
      e.lastUsedAt = clock;
    } else if (decision.kind === "load") {
      for (const id of decision.evict) snapshots.get(id)!.resident = false;
      const e = snapshots.get(decision.expertId)!;
      e.resident = true;
      e.servedSinceLoad = 0;
    }
  };

  const one = (i: number, into: Samples | undefined) => {
    const text = texts[i % texts.length]!;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const skills = tagger.tagSync(text);
    const t1 = performance.now();
    const recruitment = recruit(config.routing, { skills, text, profile, available, classify: () => tagger.classify(text), residency });
    const t2 = performance.now();
    for (const r of recruitment.recruits) snapshots.get(r.expertId)!.backlog += 1;
    const decision = decide({ ...policy, experts });
    const t3 = performance.now();
    const cpu = process.cpuUsage(cpu0);
    apply(decision);
    if (into) {
      into.tag.push((t1 - t0) * 1000);
      into.recruit.push((t2 - t1) * 1000);
      into.decide.push((t3 - t2) * 1000);
      into.total.push((t3 - t0) * 1000);
      into.totalCpu.push(cpu.user + cpu.system);
    }
  };
  const routed = async (i: number, into: Samples | undefined) => {
    const t0 = performance.now();
    await route(parts, [{ role: "user", content: texts[i % texts.length]! }]);
    into?.route.push((performance.now() - t0) * 1000);
  };

  console.log(`routing overhead: zoo trained tagger (${tagger.labels.length} labels), ${expertCount}-expert generated profile (seed ${seed}), symbolic top-${config.routing.k}, residency margin ${config.routing.residencyMargin}, policy decide() over ${expertCount} snapshots`);
  console.log(`${requests} requests per system in ${slices} slices (+${Math.min(2000, requests)} warm-up), questions: zoo test split (${texts.length})`);
  const loadBefore = machine().loadavg;
  // Warm-up: JIT and caches, outside the figures.
  for (let i = 0; i < Math.min(2000, requests); i++) {
    one(i, undefined);
    await routed(i, undefined);
  }
  // Drain the warm-up backlog so every slice starts alike.
  for (const e of experts) e.backlog = 0;

  const perSlice: Samples[] = [];
  const sliceSize = Math.ceil(requests / slices);
  for (let slice = 0; slice < slices; slice++) {
    const samples: Samples = { tag: [], recruit: [], decide: [], total: [], totalCpu: [], route: [] };
    const from = slice * sliceSize;
    const to = Math.min(requests, from + sliceSize);
    // The in-process stages and route() alternate request by request, so both see the same noise.
    for (let i = from; i < to; i++) {
      one(i, samples);
      await routed(i, samples);
    }
    perSlice.push(samples);
  }

  const figures = Object.fromEntries(
    stages.map((stage) => {
      const p = (q: number) => spread(perSlice.map((s) => percentile([...s[stage]].sort((a, b) => a - b), q)));
      return [stage, { p50: p(50), p99: p(99), mean: spread(perSlice.map((s) => s[stage].reduce((a, b) => a + b, 0) / s[stage].length)) }];
    }),
  ) as Record<(typeof stages)[number], { p50: Spread; p99: Spread; mean: Spread }>;

  console.log(`\nstage (µs)                     p50 median [min-max]      p99 median [min-max]      mean`);
  const label: Record<(typeof stages)[number], string> = {
    tag: "tag (trained tagger)",
    recruit: `recruit (${expertCount} experts)`,
    decide: `decide (${expertCount} snapshots)`,
    total: "tag + recruit + decide",
    totalCpu: "  the same, CPU time",
    route: "route() (pipeline, async)",
  };
  for (const stage of stages) {
    const f = figures[stage];
    console.log(`${label[stage].padEnd(30)} ${formatSpread(f.p50, 1).padEnd(25)} ${formatSpread(f.p99, 1).padEnd(25)} ${f.mean.median.toFixed(1)}`);
  }
  const goal = { p50Us: 100, p99Us: 1000 };
  const total = figures.total;
  // Judged on the median over slices; the worst slice is printed too (a 2-core machine shared with
  // other work preempts a µs-scale operation now and then, which lands in one slice's p99).
  const met = total.p50.median < goal.p50Us && total.p99.median < goal.p99Us;
  const everySlice = total.p50.max < goal.p50Us && total.p99.max < goal.p99Us;
  const cpu = figures.totalCpu;
  const metCpu = cpu.p50.median < goal.p50Us && cpu.p99.median < goal.p99Us;
  console.log(
    `goal p50 < ${goal.p50Us} µs and p99 < ${goal.p99Us} µs (median over slices): wall time ${met ? "met" : "missed"}, CPU time ${metCpu ? "met" : "missed"}; ` +
      `wall time in every slice: ${everySlice ? "yes" : `no (worst p50 ${total.p50.max.toFixed(1)}, p99 ${total.p99.max.toFixed(1)})`}`,
  );

  let http: unknown;
  try {
    http = JSON.parse(await readFile(join("bench", "results", "http-overhead.json"), "utf8"));
  } catch {
    http = undefined;
  }
  const httpRatios = (http as { ratios?: Array<{ name: string; p50Latency: Spread }> } | undefined)?.ratios;
  if (httpRatios) {
    console.log(`beside it, HTTP overhead (bench/results/http-overhead.json, a separate run): ${httpRatios.map((r) => `${r.name}: p50 latency ${r.p50Latency.median.toFixed(3)}x`).join("; ")}`);
  }

  const rounded = (s: Spread) => Object.fromEntries(Object.entries(s).map(([k, v]) => [k, Number(v.toFixed(2))]));
  await mkdir(join("bench", "results"), { recursive: true });
  await writeFile(
    join("bench", "results", "overhead.json"),
    `${JSON.stringify(
      {
        createdAt: new Date().toISOString(),
        machine: { ...machine(), loadavgBefore: loadBefore },
        setup: { requests, slices, experts: expertCount, seed, labels: tagger.labels.length, k: config.routing.k, residencyMargin: config.routing.residencyMargin, questions: texts.length },
        unit: "µs; each percentile as median and range over slices",
        stages: Object.fromEntries(stages.map((stage) => [stage, { p50: rounded(figures[stage].p50), p99: rounded(figures[stage].p99), mean: rounded(figures[stage].mean) }])),
        goal: { ...goal, met, metCpu, everySlice },
      },
      null,
      2,
    )}\n`,
  );
  console.log(`wrote bench/results/overhead.json`);
}
