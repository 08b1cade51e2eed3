/**
 * Residency-aware recruitment, measured on the zoo (six trained experts, their measured profile and
 * trained tagger, Symbolic-MoE top-3 + vote as the zoo config): an open-loop stream of the zoo's
 * held-out questions (Poisson arrivals, seeded) answered online under a memory budget that holds
 * --resident of the six experts, with routing.residencyMargin 0 (off) and the default 0.05 (on),
 * and optionally more margins (--margins 0,0.05,0.1).
 *
 * Reports accuracy (graded as the zoo bench grades), model loads, how many recruitments residency
 * changed, and latency. Each slice is a fresh orchestrator (cold start) per system on its own share
 * of the questions; systems take turns (bench/stats.ts) and per-slice ratios of loads are given with
 * their spread. Writes bench/results/residency-<pool>-k<k>.json.
 *
 * Why not the online bench: its generated experts have a demo profile with one clear specialist per
 * skill, so no two candidates are ever within a few percent and residency never changes a choice.
 *
 * With --pool twins each answering expert is served twice (see below), the case residency is for:
 * near-equal experts, one of them warm.
 *
 *   npm run bench -- residency [--pool zoo|twins] [--k 3] [--questions 300] [--rate 8] [--resident 3] [--slices 5] [--margins 0,0.05] [--seed 3]
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { parse as parseYaml } from "yaml";
import { disposeRuntime } from "../experts/llama/runtime.js";
import { mulberry32 } from "../kernel/prng.js";
import { ZOO_CONFIG_PATH, parseConfig } from "../orchestrator/config/load.js";
import { Orchestrator } from "../orchestrator/orchestrator.js";
import { loadProfile, type Profile } from "../orchestrator/profile/format.js";
import { grade } from "../orchestrator/profile/grade.js";
import { readValidation, type ValidationItem } from "../orchestrator/profile/validation.js";
import { arg } from "./args.js";
import { DEFAULT_SLICES, formatRatio, formatSpread, interleave, machine, percentile, ratioReport, spread } from "./stats.js";

interface SliceRun {
  questions: number;
  right: number;
  failed: number;
  loads: number;
  swaps: number;
  p50Ms: number;
  p99Ms: number;
  wallS: number;
}

/** Twins are measured 2% below their original: close enough for any margin >= 0.02 to swap them. */
const TWIN_FACTOR = 0.98;

async function zooConfig(margin: number, budget: number | undefined, twins: boolean, k: number) {
  const raw = parseYaml(await readFile(ZOO_CONFIG_PATH, "utf8")) as Record<string, unknown> & {
    routing: Record<string, unknown>;
    experts: Array<Record<string, unknown> & { id: string }>;
    aggregation: Record<string, unknown>;
  };
  const aggregator = "zoo-aggregator";
  const experts = twins ? [...raw.experts, ...raw.experts.filter((e) => e.id !== aggregator).map((e) => ({ ...e, id: `${e.id}-twin` }))] : raw.experts;
  return parseConfig(
    {
      ...raw,
      experts,
      runtime: { gpu: false, maxThreads: 2 },
      ...(budget === undefined ? {} : { memory: { budget } }),
      routing: { ...raw.routing, residencyMargin: margin, k },
      aggregation: { ...raw.aggregation, aggregator },
    },
    dirname(ZOO_CONFIG_PATH),
    `zoo${twins ? " with twins" : ""}, residencyMargin ${margin}`,
  );
}

/** The zoo's measured profile; with twins, each twin's scores and competence at TWIN_FACTOR of its original's. */
async function zooProfile(twins: boolean): Promise<Profile> {
  const profile = await loadProfile(join(dirname(ZOO_CONFIG_PATH), "profiles.json"));
  if (!twins) return profile;
  const experts = { ...profile.experts };
  for (const [id, e] of Object.entries(profile.experts)) {
    if (id === "zoo-aggregator") continue;
    experts[`${id}-twin`] = {
      ...e,
      skills: Object.fromEntries(Object.entries(e.skills).map(([skill, score]) => [skill, score * TWIN_FACTOR])),
      ...(e.competence === undefined ? {} : { competence: e.competence * TWIN_FACTOR }),
    };
  }
  return { ...profile, experts };
}

export async function benchResidency(): Promise<void> {
  const count = Number(arg("questions", "300"));
  const rate = Number(arg("rate", "8"));
  const resident = Number(arg("resident", "3"));
  const slices = Number(arg("slices", String(DEFAULT_SLICES)));
  const seed = Number(arg("seed", "3"));
  const margins = arg("margins", "0,0.05").split(",").map(Number);
  // zoo: the six experts as trained. twins: each answering expert also served under a second id
  // (the same GGUF file, as a second replica or quantisation would be) measured 2% lower, so the
  // ranking always has a near-equal alternative; answers are the same, so accuracy cannot move.
  const pool = arg("pool", "zoo");
  if (pool !== "zoo" && pool !== "twins") throw new Error(`--pool expects zoo or twins, got ${pool}`);
  const twins = pool === "twins";
  const k = Number(arg("k", "3"));
  const profile = await zooProfile(twins);

  const { items: all } = await readValidation(join(dirname(ZOO_CONFIG_PATH), "data", "test.jsonl"));
  const random = mulberry32(seed);
  const shuffled = [...all];
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
  }
  const items = shuffled.slice(0, count);

  // The budget: `resident` times the largest expert's estimate (what the scheduler budgets with).
  const probe = await Orchestrator.create(await zooConfig(0, 2 ** 40, twins, k), { profile });
  const largest = Math.max(...[...probe.statuses.values()].map((s) => s.memory?.ramBytes ?? 0));
  await probe.close();
  const budget = Math.floor(largest * (resident + 0.4));

  console.log(`pool ${pool} (${twins ? 11 : 6} experts): ${items.length} held-out questions (seed ${seed}), Poisson ${rate}/s, online; symbolic top-${k} + vote; budget holds ${resident} experts (${(budget / 2 ** 20).toFixed(1)} MiB)`);
  console.log(`systems: residencyMargin ${margins.join(", ")}; ${slices} interleaved slices, each a cold start on its own ${Math.floor(items.length / slices)} questions`);
  const loadBefore = machine().loadavg;

  const runSlice = async (margin: number, slice: number): Promise<SliceRun> => {
    const from = Math.floor((slice * items.length) / slices);
    const part = items.slice(from, Math.floor(((slice + 1) * items.length) / slices));
    const orchestrator = await Orchestrator.create(await zooConfig(margin, budget, twins, k), { profile });
    try {
      const arrivals = mulberry32(seed * 1000 + slice);
      let at = 0;
      const t0 = performance.now();
      const latencies: number[] = [];
      let right = 0;
      let failed = 0;
      let swaps = 0;
      await Promise.all(
        part.map((item: ValidationItem, i) => {
          at += (-Math.log(1 - arrivals()) / rate) * 1000;
          const due = at;
          return new Promise<void>((resolve) => {
            setTimeout(() => {
              orchestrator
                .answer({ id: item.id, messages: item.messages, params: { temperature: 0, seed: i } }, { workClass: "online" })
                .then(
                  (outcome) => {
                    latencies.push(performance.now() - t0 - due);
                    if (grade(outcome.text, item.spec).correct) right += 1;
                    swaps += outcome.trace.recruitment.residencySwaps?.length ?? 0;
                  },
                  () => (failed += 1),
                )
                .finally(resolve);
            }, Math.max(0, due - (performance.now() - t0)));
          });
        }),
      );
      const sorted = latencies.sort((a, b) => a - b);
      return { questions: part.length, right, failed, loads: orchestrator.stats().loads, swaps, p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99), wallS: (performance.now() - t0) / 1000 };
    } finally {
      await orchestrator.close();
    }
  };

  let results = new Map<number, SliceRun[]>();
  try {
    results = await interleave(margins, slices, runSlice);
  } finally {
    await disposeRuntime();
  }

  const summary = margins.map((margin) => {
    const runs = results.get(margin)!;
    const questions = runs.reduce((s, r) => s + r.questions, 0);
    const right = runs.reduce((s, r) => s + r.right, 0);
    return {
      margin,
      accuracy: right / questions,
      questions,
      failed: runs.reduce((s, r) => s + r.failed, 0),
      loads: runs.reduce((s, r) => s + r.loads, 0),
      loadsPerSlice: spread(runs.map((r) => r.loads)),
      swaps: runs.reduce((s, r) => s + r.swaps, 0),
      p50Ms: spread(runs.map((r) => r.p50Ms)),
      p99Ms: spread(runs.map((r) => r.p99Ms)),
      slices: runs,
    };
  });
  console.log(`\nresidencyMargin  accuracy  loads  loads per slice median [min-max]  recruitments changed  p50 ms median [min-max]  p99 ms median [min-max]`);
  for (const s of summary) {
    console.log(
      `${String(s.margin).padEnd(16)} ${s.accuracy.toFixed(3).padStart(8)}  ${String(s.loads).padStart(5)}  ${formatSpread(s.loadsPerSlice, 0).padEnd(33)} ${String(s.swaps).padStart(20)}  ${formatSpread(s.p50Ms, 0).padEnd(24)} ${formatSpread(s.p99Ms, 0)}`,
    );
  }
  const base = summary[0]!;
  const comparisons = summary.slice(1).map((s) => ({
    margin: s.margin,
    accuracyPoints: Number(((s.accuracy - base.accuracy) * 100).toFixed(2)),
    loads: ratioReport(s.slices.map((r) => r.loads), base.slices.map((r) => r.loads)),
  }));
  for (const c of comparisons) {
    console.log(`margin ${c.margin} vs ${base.margin}: accuracy ${c.accuracyPoints >= 0 ? "+" : ""}${c.accuracyPoints} points; loads per slice ${formatRatio(c.loads)}`);
  }

  await mkdir(join("bench", "results"), { recursive: true });
  await writeFile(
    join("bench", "results", `residency-${pool}-k${k}.json`),
    `${JSON.stringify(
      {
        createdAt: new Date().toISOString(),
        command: `npm run bench -- residency ${process.argv.slice(3).join(" ")}`.trim(),
        machine: { ...machine(), loadavgBefore: loadBefore },
        setup: { pool, k, questions: items.length, ratePerS: rate, seed, residentExperts: resident, budgetBytes: budget, slices, margins, routing: `zoo config: symbolic top-${k} + vote, trained tagger` },
        systems: summary,
        comparisons,
      },
      null,
      2,
    )}\n`,
  );
  console.log(`wrote bench/results/residency-${pool}-k${k}.json`);
}
