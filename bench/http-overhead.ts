/**
 * HTTP overhead benchmark: the same requests over the same generated model, served three ways in
 * one process,
 *   direct           - node-llama-cpp called in-process, as conclave's llama expert calls it (one
 *                      context with N sequences, a LlamaChat per request): the floor;
 *   conclave (m)     - POST /v1/chat/completions naming the expert: HTTP, JSON, validation, the
 *                      scheduler and the expert wrapper, routing bypassed;
 *   conclave, routed - the same, naming the ensemble: the lexical tagger and fixed recruitment
 *                      (k 1, single aggregation) run as well;
 *   conclave, fleet  - the expert named as model on a fleet-mode front door: the call goes as an
 *                      online job through Redis to a worker and back on a stream
 *                      (http-overhead-fleet.ts; left out, with a note, when no redis-server exists).
 * All three stay resident together and take turns in --slices interleaved slices of the requests
 * (bench/stats.ts), so the noise of a shared machine lands on every mode alike. Prints wall time,
 * throughput (median and range over slices) and latency percentiles side by side, then per-slice
 * ratios between the modes with their spread and whether a difference exceeds it; writes
 * bench/results/http-overhead.json with the load average.
 * Model: one sparse-MoE Q8_0 model grown to --size, so the token work is small and what the
 * orchestrator adds is visible rather than drowned in generation time.
 *
 *   npm run bench -- http-overhead [--clients 8] [--requests 400] [--max-tokens 32] [--sequences 4] [--size 50MB] [--slices 5] [--out http-overhead]
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { LlamaChat, resolveChatWrapper, type Llama, type LlamaContextSequence } from "node-llama-cpp";
import { parseConfig } from "../orchestrator/config/load.js";
import { parseByteSize } from "../orchestrator/config/schema.js";
import { Orchestrator } from "../orchestrator/orchestrator.js";
import { buildServer } from "../orchestrator/http/server.js";
import { disposeRuntime, getRuntime } from "../experts/llama/runtime.js";
import { writeTestModelSet } from "../experts/testmodels/generate.js";
import { arg } from "./args.js";
import { fleetServer, type FleetServer } from "./http-overhead-fleet.js";
import { DEFAULT_SLICES, formatRatio, formatSpread, interleave, machine, percentile, ratioReport, spread, type Spread } from "./stats.js";

function positiveInt(name: string, fallback: string): number {
  const value = Number(arg(name, fallback));
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} expects a positive integer, got ${arg(name, fallback)}`);
  return value;
}

const CONTEXT_SIZE = 1024;
const TEMPERATURE = 0.7;
// conclave applies generation.topP (default 0.95) to every request; the direct run passes the same
// value so both sample with the same settings and only the serving path differs.
const TOP_P = 0.95;

const TOPICS = [
  "Explain why the sky is blue",
  "Write a haiku about autumn rain",
  "What is the derivative of x^3 + 2x",
  "Summarise the causes of the French Revolution",
  "How does a hash map handle collisions",
  "Translate 'good morning' into Spanish and German",
  "Give three tips for a job interview",
  "Why do cats purr",
];

/** Request i's prompt: varied per request, identical in every mode. */
function prompt(i: number): string {
  return `${TOPICS[i % TOPICS.length]!} (request ${i}).`;
}

interface Mode {
  name: string;
  /** Sends request i and returns its completion tokens. */
  send(i: number): Promise<number>;
}

interface Tally {
  wallS: number;
  requests: number;
  completionTokens: number;
  latencies: number[];
}

/**
 * `clients` loops share one counter over requests [from, to) and each sends its next request as
 * soon as its last one answered: a closed-loop load, as from `clients` users.
 */
async function closedLoop(mode: Mode, clients: number, from: number, to: number, tally: Tally): Promise<void> {
  let next = from;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(clients, to - from) }, async () => {
      while (next < to) {
        const i = next++;
        const t0 = performance.now();
        // Awaited before adding: `total += await x` reads the total before the await and would
        // drop the tokens other clients added meanwhile.
        const tokens = await mode.send(i);
        tally.latencies.push(performance.now() - t0);
        tally.completionTokens += tokens;
      }
    }),
  );
  tally.wallS += (performance.now() - started) / 1000;
  tally.requests += to - from;
}

/**
 * The smallest fair pool of context sequences: first come, first served. Written here rather than
 * borrowed from conclave so the baseline's request path runs no conclave code.
 */
class SequencePool {
  private readonly waiting: Array<(sequence: LlamaContextSequence) => void> = [];

  constructor(private readonly free: LlamaContextSequence[]) {}

  acquire(): Promise<LlamaContextSequence> {
    const sequence = this.free.pop();
    return sequence ? Promise.resolve(sequence) : new Promise((resolve) => this.waiting.push(resolve));
  }

  release(sequence: LlamaContextSequence): void {
    const waiter = this.waiting.shift();
    if (waiter) waiter(sequence);
    else this.free.push(sequence);
  }
}

async function directMode(llama: Llama, modelPath: string, maxTokens: number, sequences: number): Promise<Mode & { close(): Promise<void> }> {
  const model = await llama.loadModel({ modelPath, gpuLayers: 0 });
  const context = await model.createContext({ contextSize: CONTEXT_SIZE, sequences, threads: 1 });
  const pool = new SequencePool(Array.from({ length: sequences }, () => context.getSequence()));
  // Resolved once: resolving renders the model's template several times, far too slow per request.
  const chatWrapper = resolveChatWrapper(model);
  return {
    name: "direct (node-llama-cpp)",
    async send(i) {
      const sequence = await pool.acquire();
      const chat = new LlamaChat({ contextSequence: sequence, chatWrapper, autoDisposeSequence: false });
      const before = sequence.tokenMeter.getState();
      try {
        // An empty model turn last: generateResponse writes the answer into it.
        await chat.generateResponse([{ type: "user", text: prompt(i) }, { type: "model", response: [] }], {
          maxTokens,
          temperature: TEMPERATURE,
          topP: TOP_P,
          seed: i,
        });
        // Counted as conclave counts usage, so the tokens/s columns compare like with like.
        return sequence.tokenMeter.diff(before).usedOutputTokens;
      } finally {
        chat.dispose({ disposeSequence: false });
        // The next request on this sequence must start from an empty state, as in conclave.
        await sequence.clearHistory();
        pool.release(sequence);
      }
    },
    async close() {
      await context.dispose();
      await model.dispose();
    },
  };
}

function httpMode(name: string, url: string, model: string, maxTokens: number): Mode {
  return {
    name,
    async send(i) {
      const response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model, messages: [{ role: "user", content: prompt(i) }], max_tokens: maxTokens, temperature: TEMPERATURE, seed: i }),
      });
      const body = (await response.json()) as { usage?: { completion_tokens?: number }; error?: { message?: string } };
      // A failed request would make the figures meaningless: stop the bench instead.
      if (!response.ok) throw new Error(`${name} request ${i}: HTTP ${response.status}: ${body.error?.message ?? "no message"}`);
      return body.usage?.completion_tokens ?? 0;
    },
  };
}

async function conclaveModes(modelPath: string, maxTokens: number, sequences: number): Promise<{ modes: Mode[]; close(): Promise<void> }> {
  const config = parseConfig(
    {
      runtime: { gpu: false, maxThreads: 2 },
      experts: [{ id: "m", backend: "llama", model: modelPath, contextSize: CONTEXT_SIZE, sequences, threads: 1 }],
      // Fixed routing to the only expert with one recruit and no aggregator: the routed mode pays
      // for tagging and recruitment but generates exactly what the other modes generate.
      routing: { strategy: "fixed", fixed: ["m"], k: 1 },
      aggregation: { method: "single" },
    },
    process.cwd(),
  );
  const orchestrator = await Orchestrator.create(config);
  const server = await buildServer(orchestrator, { apiKeys: [] });
  let fleet: FleetServer | undefined;
  const close = async () => {
    await fleet?.close();
    await server.close();
    await orchestrator.close();
  };
  try {
    const url = `${await server.app.listen({ port: 0, host: "127.0.0.1" })}/v1/chat/completions`;
    const modes = [httpMode("conclave (model m)", url, "m", maxTokens), httpMode("conclave, routed", url, config.server.ensemble, maxTokens)];
    fleet = await fleetServer(config);
    if (fleet) modes.push(httpMode("conclave, fleet (model m)", fleet.url, "m", maxTokens));
    else console.log("no redis-server (REDIS_SERVER or PATH) and no REDIS_URL: the fleet row is left out");
    return { modes, close };
  } catch (error) {
    await close();
    throw error;
  }
}

export async function benchHttpOverhead(): Promise<void> {
  const clients = positiveInt("clients", "8");
  const requests = positiveInt("requests", "400");
  const maxTokens = positiveInt("max-tokens", "32");
  const sequences = positiveInt("sequences", "4");
  const slices = Math.min(positiveInt("slices", String(DEFAULT_SLICES)), requests);
  const size = parseByteSize(arg("size", "50MB"));
  // Another name keeps a second setup's figures (e.g. one client, for the fleet's added latency alone).
  const out = `${arg("out", "http-overhead").replace(/[^\w.-]/g, "")}.json`;
  if (size === undefined) throw new Error(`--size expects a size like 50MB, got ${arg("size", "")}`);

  const dir = join(".cache", "bench-models", "http");
  await mkdir(dir, { recursive: true });
  const id = `moe-${Math.round(size / 1e6)}MB`;
  const spec = { embedding: 64, layers: 2, heads: 4, feedForward: 128, experts: 4, expertsUsed: 2, contextLength: CONTEXT_SIZE, quant: "Q8_0" as const, seed: 21, targetBytes: size };
  const model = (await writeTestModelSet(dir, { [id]: spec }))[id]!;
  console.log(`model: ${model.path}, ${(model.bytes / 1e6).toFixed(0)} MB Q8_0, ${model.expertCount} experts (${model.expertUsedCount} used per token)`);
  console.log(`${clients} clients, ${requests} requests per mode in ${slices} interleaved slices, ${maxTokens} max tokens, ${sequences} sequences, 1 thread per context, CPU`);
  const loadBefore = machine().loadavg;

  // One native runtime for every mode, conclave's own: its getLlama({ gpu: false, build: "never",
  // maxThreads: 2 }) is the baseline's too, the native addon is loaded once per process anyway, and
  // both contexts then split the same 2 threads. Every context runs 1 thread (more make tiny models
  // much slower on this 2-core machine).
  const llama = await getRuntime({ gpu: false, maxThreads: 2 });
  const closers: Array<() => Promise<void>> = [];
  let perSlice = new Map<Mode, Tally[]>();
  try {
    const direct = await directMode(llama, model.path, maxTokens, sequences);
    closers.push(() => direct.close());
    const served = await conclaveModes(model.path, maxTokens, sequences);
    closers.push(() => served.close());
    const modes = [direct, ...served.modes];

    // Warm-up outside the timing, one request per mode: the lazy model load of the conclave expert
    // and first-use costs (graph allocation, JIT, the first connection) are not serving costs.
    for (const mode of modes) await mode.send(requests);

    // The modes take turns in slices, forward then backward (bench/stats.ts), so a noisy moment on
    // a shared machine falls on every mode alike and none is always first or last. Each slice is
    // the same requests for every mode, so per-slice ratios compare like with like.
    perSlice = await interleave(modes, slices, async (mode, slice) => {
      const tally: Tally = { wallS: 0, requests: 0, completionTokens: 0, latencies: [] };
      await closedLoop(mode, clients, Math.floor((slice * requests) / slices), Math.floor(((slice + 1) * requests) / slices), tally);
      return tally;
    });
  } finally {
    // Server first (it drains in-flight requests), then the orchestrator, the baseline's context,
    // and the runtime last since every model hangs off it.
    for (const close of closers.reverse()) await close();
    await disposeRuntime();
  }

  const throughput = (t: Tally) => t.requests / t.wallS;
  const median = (t: Tally) => percentile([...t.latencies].sort((a, b) => a - b), 50);
  const runs = [...perSlice].map(([mode, tallies]) => {
    const latencies = tallies.flatMap((t) => t.latencies).sort((a, b) => a - b);
    const wallS = tallies.reduce((sum, t) => sum + t.wallS, 0);
    const requestCount = tallies.reduce((sum, t) => sum + t.requests, 0);
    const completionTokens = tallies.reduce((sum, t) => sum + t.completionTokens, 0);
    return {
      mode: mode.name,
      requests: requestCount,
      wallS,
      completionTokens,
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      reqPerS: spread(tallies.map(throughput)),
      sliceP50Ms: spread(tallies.map(median)),
      tallies,
    };
  });
  console.log(`\nmode                        requests   wall s   req/s median [min-max] over slices   compl tok/s   p50 ms   p99 ms`);
  for (const run of runs) {
    console.log(
      `${run.mode.padEnd(26)} ${String(run.requests).padStart(9)} ${run.wallS.toFixed(2).padStart(8)}   ${formatSpread(run.reqPerS, 2).padEnd(34)}` +
        ` ${(run.completionTokens / run.wallS).toFixed(1).padStart(11)} ${run.p50Ms.toFixed(0).padStart(8)} ${run.p99Ms.toFixed(0).padStart(8)}`,
    );
  }
  // Ratios slice by slice: slice i of every mode ran back to back, so drift between slices cancels.
  const [direct, byModel, routed, fleet] = runs as [(typeof runs)[number], (typeof runs)[number], (typeof runs)[number], (typeof runs)[number] | undefined];
  const comparisons = [
    { name: `${byModel.mode} vs direct`, a: byModel, b: direct },
    { name: `${routed.mode} vs direct`, a: routed, b: direct },
    { name: `${routed.mode} vs ${byModel.mode}`, a: routed, b: byModel },
    ...(fleet ? [{ name: `${fleet.mode} vs ${byModel.mode}`, a: fleet, b: byModel }] : []),
  ].map(({ name, a, b }) => ({
    name,
    throughput: ratioReport(a.tallies.map(throughput), b.tallies.map(throughput)),
    p50Latency: ratioReport(a.tallies.map(median), b.tallies.map(median)),
  }));
  console.log(`\nper-slice ratios, median [min-max] over ${slices} slices; "within noise" unless every slice agrees:`);
  for (const c of comparisons) console.log(`  ${c.name.padEnd(46)} throughput ${formatRatio(c.throughput)}; p50 latency ${formatRatio(c.p50Latency)}`);
  // What the fleet's path adds at p50, slice by slice (the goal is < 5 ms).
  const fleetAdded = fleet ? spread(fleet.tallies.map((t, i) => median(t) - median(byModel.tallies[i]!))) : undefined;
  if (fleetAdded) console.log(`  fleet p50 minus in-process p50, per slice: ${formatSpread(fleetAdded, 1)} ms`);

  const rounded = (s: Spread) => Object.fromEntries(Object.entries(s).map(([k, v]) => [k, typeof v === "number" ? Number(v.toFixed(4)) : v]));
  await mkdir(join("bench", "results"), { recursive: true });
  await writeFile(
    join("bench", "results", out),
    `${JSON.stringify(
      {
        createdAt: new Date().toISOString(),
        machine: { ...machine(), loadavgBefore: loadBefore },
        setup: { clients, requests, maxTokens, sequences, slices, modelBytes: model.bytes },
        modes: runs.map(({ tallies: _t, reqPerS, sliceP50Ms, ...run }) => ({ ...run, reqPerS: rounded(reqPerS), sliceP50Ms: rounded(sliceP50Ms) })),
        ratios: comparisons.map((c) => ({ name: c.name, throughput: rounded(c.throughput), p50Latency: rounded(c.p50Latency) })),
        ...(fleetAdded ? { fleetAddedP50Ms: rounded(fleetAdded) } : {}),
      },
      null,
      2,
    )}\n`,
  );
  console.log(`\nwrote bench/results/${out}`);
}
