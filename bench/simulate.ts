/**
 * `npm run bench -- simulate`: a discrete-event simulation of a 64-GPU fleet serving conclave's
 * online traffic (bench/simulate/*.ts), with the project's own pure functions making every decision:
 * `place()` for the fleet, `decide` (grouped) or `decideFifoLru` on each GPU, `recruitSymbolic` for
 * the recruits. Three systems serve the same seeded stream:
 *   conclave  - place() every placement interval + grouped per GPU, one queue per expert
 *   fifo-lru  - llama-swap on every box: least-outstanding load balancer, fifo-lru per box
 *   random    - a copy goes to a random GPU when one is needed, grouped per GPU
 * Prints the figures side by side and writes bench/results/simulate.json.
 *
 *   npm run bench -- simulate [--duration 1000] [--rps 1000] [--gpus 64] [--experts 200] [--seed 1] [--systems conclave,fifo-lru,random] [--out bench/results/simulate.json]
 */
import { mkdir, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { arg } from "./args.js";
import { machine } from "./stats.js";
import { simulateFleet, type SimMetrics, type SystemName } from "./simulate/fleet.js";
import { DEFAULT_PARAMS, type SimParams } from "./simulate/params.js";
import { buildWorkload } from "./simulate/workload.js";

const SYSTEMS: SystemName[] = ["conclave", "fifo-lru", "random"];

export async function benchSimulate(): Promise<void> {
  const params: SimParams = {
    ...DEFAULT_PARAMS,
    durationSeconds: Number(arg("duration", String(DEFAULT_PARAMS.durationSeconds))),
    requestsPerSecond: Number(arg("rps", String(DEFAULT_PARAMS.requestsPerSecond))),
    gpus: Number(arg("gpus", String(DEFAULT_PARAMS.gpus))),
    experts: Number(arg("experts", String(DEFAULT_PARAMS.experts))),
    seed: Number(arg("seed", String(DEFAULT_PARAMS.seed))),
  };
  const systems = arg("systems", SYSTEMS.join(",")).split(",") as SystemName[];
  const out = arg("out", "bench/results/simulate.json");
  const workload = buildWorkload(params);
  const runs: Partial<Record<SystemName, SimMetrics>> = {};
  for (const system of systems) {
    if (!SYSTEMS.includes(system)) throw new Error(`unknown system ${system}: one of ${SYSTEMS.join(", ")}`);
    process.stdout.write(`simulating ${system} ...`);
    runs[system] = simulateFleet(system, params, workload);
    process.stdout.write(` ${runs[system]!.wallSeconds.toFixed(1)} s\n`);
  }
  printTable(params, runs);
  const conclave = runs.conclave;
  const fifo = runs["fifo-lru"];
  const goals = {
    utilisationAtLeast85: conclave ? conclave.utilisation >= 0.85 : undefined,
    fifoP99AtLeast3xConclave: conclave && fifo ? fifo.latency.p99 / conclave.latency.p99 : undefined,
    simulatedUnderAMinute: Object.fromEntries(Object.entries(runs).map(([name, run]) => [name, run!.wallSeconds < 60])),
  };
  const result = {
    bench: "simulate",
    command: `npm run bench -- simulate${process.argv.slice(3).length ? " " + process.argv.slice(3).join(" ") : ""}`,
    machine: machine(),
    setup: { ...params, recruitment: `recruitSymbolic, top-${params.k}, over a seeded synthetic profile (each expert strong at one of ${params.skills} skills, fair at another)` },
    runs,
    goals,
  };
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`wrote ${out}`);
}

function printTable(params: SimParams, runs: Partial<Record<SystemName, SimMetrics>>): void {
  const names = Object.keys(runs) as SystemName[];
  const rows: Array<[string, (m: SimMetrics) => string]> = [
    ["offered load (share of sequences)", (m) => pct(m.offeredLoad)],
    ["GPU utilisation (sequences in use)", (m) => pct(m.utilisation)],
    ["GPU time loading a model", (m) => pct(m.loadingShare)],
    ["p50 latency", (m) => secs(m.latency.p50, m)],
    ["p95 latency", (m) => secs(m.latency.p95, m)],
    ["p99 latency", (m) => secs(m.latency.p99, m)],
    ["p50 / p99, burst + 30 s after", (m) => `${m.latencyBurst.p50.toFixed(1)} / ${m.latencyBurst.p99.toFixed(1)} s`],
    ["p50 / p99, steady traffic", (m) => `${m.latencySteady.p50.toFixed(1)} / ${m.latencySteady.p99.toFixed(1)} s`],
    ["longest queue wait", (m) => `${m.longestWaitSeconds.toFixed(1)} s`],
    ["throughput (requests/s)", (m) => m.throughput.toFixed(0)],
    ["model loads (after warm-up)", (m) => `${m.loads} (${m.loadsAfterWarmup})`],
    ["requests open at the end", (m) => String(m.unfinished)],
    ["events / wall time", (m) => `${(m.events / 1e6).toFixed(1)}M / ${m.wallSeconds.toFixed(1)} s`],
  ];
  console.log(`\n${params.gpus} GPUs, ${params.experts} experts, ${params.requestsPerSecond} requests/s for ${params.durationSeconds} s (first ${params.warmupSeconds} s not counted), k=${params.k}, seed ${params.seed}`);
  const width = Math.max(...rows.map(([label]) => label.length));
  console.log(`${"".padEnd(width)}  ${names.map((n) => n.padStart(18)).join("")}`);
  for (const [label, cell] of rows) console.log(`${label.padEnd(width)}  ${names.map((n) => cell(runs[n]!).padStart(18)).join("")}`);
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/**
 * Seconds, marked ">=" when it is a lower bound: some request still open at the horizon (whose
 * latency is at least its age then) is no slower than this percentile, so it could cross it.
 */
function secs(value: number, m: SimMetrics): string {
  return `${m.latency.youngestCensored <= value ? ">=" : ""}${value.toFixed(1)} s`;
}
