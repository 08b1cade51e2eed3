/**
 * The online stream replayed through the real `Scheduler` and the real policies, with effects that
 * take measured times instead of running models: a load takes `loadMs`, a generation `generationMs`
 * (each of a model's slots generates independently; no CPU contention between models). Time runs
 * `speedup` times faster than the stream's. This separates what the policy does from the noise of a
 * shared machine: the same seeded stream gives nearly the same figures every time.
 */
import { Scheduler, type SchedulableExpert } from "../orchestrator/scheduler/scheduler.js";
import { policyNamed, type PolicyName } from "../orchestrator/scheduler/policies.js";
import { percentile } from "./stats.js";

export interface SimRequest {
  atMs: number;
  expertId: string;
}

export interface SimOptions {
  experts: readonly string[];
  slots: number;
  /** How many models the budget holds. */
  budgetModels: number;
  loadMs: number;
  generationMs: number;
  speedup: number;
  policy: PolicyName;
  prefetch: boolean;
  /** Batch items submitted at the start, alongside the stream. */
  batch: readonly string[];
}

export interface SimResult {
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  loads: number;
  batchWallMs?: number;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    // A cancelled load (the policy's `cancel-load`) stops at once, as node-llama-cpp's loadSignal does.
    signal?.addEventListener("abort", () => (clearTimeout(timer), reject(signal.reason)), { once: true });
  });

export async function simulate(stream: readonly SimRequest[], options: SimOptions): Promise<SimResult> {
  const scale = (ms: number) => ms / options.speedup;
  const experts: SchedulableExpert[] = options.experts.map((id) => ({ id, local: true, slots: options.slots, memory: { ram: 1, vram: 0 }, sticky: false }));
  const scheduler = new Scheduler(
    experts,
    {
      load: (_id, signal) => sleep(scale(options.loadMs), signal),
      unload: async () => undefined,
      run: async () => {
        await sleep(scale(options.generationMs));
        return { text: "", finishReason: "length", usage: { promptTokens: 0, completionTokens: 0 }, warnings: [] };
      },
    },
    {
      budget: { ram: options.budgetModels + 0.5, vram: 0 },
      fairnessCap: 64,
      ageWeightMs: 5000 / options.speedup,
      policy: policyNamed(options.policy),
      prefetch: options.prefetch,
    },
  );
  const request = { messages: [{ role: "user" as const, content: "" }], params: { maxTokens: 1 } };
  const t0 = performance.now();
  const batch = Promise.all(options.batch.map((id) => scheduler.submit(id, request, { workClass: "batch" }))).then(() => performance.now() - t0);
  const latencies = await Promise.all(
    stream.map(
      (r) =>
        new Promise<number>((resolve, reject) => {
          setTimeout(() => {
            scheduler.submit(r.expertId, request, { workClass: "online" }).then(() => resolve((performance.now() - t0) * options.speedup - r.atMs), reject);
          }, Math.max(0, scale(r.atMs) - (performance.now() - t0)));
        }),
    ),
  );
  const batchWall = options.batch.length > 0 ? (await batch) * options.speedup : undefined;
  await scheduler.close();
  const sorted = latencies.sort((a, b) => a - b);
  return {
    p50Ms: Math.round(percentile(sorted, 50)),
    p95Ms: Math.round(percentile(sorted, 95)),
    p99Ms: Math.round(percentile(sorted, 99)),
    maxMs: Math.round(sorted.at(-1)!),
    loads: scheduler.stats().loads,
    ...(batchWall === undefined ? {} : { batchWallMs: Math.round(batchWall) }),
  };
}
