/**
 * Two workers (separate orchestrators, as two machines would have) share one batch's queues across
 * the four demo experts and the aggregator: the batch completes once per custom_id, the workers
 * split the experts through their claims (few models loaded twice, at least one loaded once in
 * all), and both do work. A one-worker run of the same batch gives the wall time to compare.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Orchestrator } from "../../../orchestrator/orchestrator.js";
import { disposeRuntime } from "../../../experts/llama/runtime.js";
import { runWorker, type WorkerHandle } from "../../../queues/bullmq/worker.js";
import { redisServer, startRedis, type TestRedis } from "../../helpers/redis.js";
import { createOrchestrator, executorFor, instance, loadsOf, QUEUE_TEST_TIMEOUT_MS, routedItems, uniquePrefix, waitFor } from "./fixture.js";

const REDIS = redisServer();

const INSTANCES = 20;
const MAX_TOKENS = 48;
let redis: TestRedis;
let dir: string;
const orchestrators: Orchestrator[] = [];

beforeAll(async () => {
  if (!REDIS) return;
  redis = await startRedis(REDIS);
  dir = await mkdtemp(join(tmpdir(), "conclave-two-"));
  // Warm-up (writes the demo models, starts the llama runtime) so neither timed run pays for it.
  const warm = await createOrchestrator(dir, {}, MAX_TOKENS);
  await warm.generateFor(instance(0), "demo-math");
  await warm.close();
}, QUEUE_TEST_TIMEOUT_MS);

afterAll(async () => {
  for (const orchestrator of orchestrators) await orchestrator.close();
  await disposeRuntime();
  await redis?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Runs the batch on `count` fresh workers; returns wall time, per-worker loads and stats. */
async function runBatch(count: number) {
  const workers: Orchestrator[] = [];
  for (let i = 0; i < count; i++) workers.push(await createOrchestrator(dir, {}, MAX_TOKENS));
  orchestrators.push(...workers);
  const first = workers[0]!;
  const prefix = uniquePrefix(`w${count}`);
  const items = await routedItems(first, Array.from({ length: INSTANCES }, (_, i) => instance(i)));
  const executor = executorFor(first, redis.url, prefix);
  await executor.enqueue("b", items, "conclave");
  const started = performance.now();
  const handles: WorkerHandle[] = await Promise.all(workers.map((o, i) => runWorker(o, { redisUrl: redis.url, prefix, pollMs: 100, workerId: `worker-${i}` })));
  try {
    await waitFor(() => executor.idle("b"), `the batch on ${count} worker(s)`);
    const wallMs = Math.round(performance.now() - started);
    const results = await executor.results("b");
    expect(results.map((r) => r.customId).sort()).toEqual(items.map((i) => i.customId).sort());
    expect(results.every((r) => r.ok)).toBe(true);
    return { wallMs, loads: workers.map(loadsOf), stats: handles.map((h) => h.stats()) };
  } finally {
    await Promise.all(handles.map((h) => h.close()));
    await executor.close();
    // Closed workers leave no claim behind: the next worker may take any expert at once.
    const client = new Redis(redis.url);
    expect(await client.keys(`${prefix}:claim:*`)).toEqual([]);
    client.disconnect();
  }
}

it.skipIf(!REDIS)("two workers split a batch's experts instead of both loading every model", { timeout: QUEUE_TEST_TIMEOUT_MS }, async () => {
  const one = await runBatch(1);
  console.log(`1 worker: ${one.wallMs} ms, loads ${JSON.stringify(one.loads[0])}`);
  const two = await runBatch(2);
  two.loads.forEach((loads, i) => console.log(`2 workers, worker ${i}: loads ${JSON.stringify(loads)}, ${JSON.stringify(two.stats[i])}`));
  console.log(`2 workers: ${two.wallMs} ms (1 worker: ${one.wallMs} ms)`);

  const [a, b] = two.loads as [Record<string, number>, Record<string, number>];
  const experts = Object.keys(a);
  expect(experts).toHaveLength(5);
  const total = (id: string) => (a[id] ?? 0) + (b[id] ?? 0);
  for (const id of experts) expect(total(id), id).toBeLessThanOrEqual(2);
  expect(experts.some((id) => total(id) === 1)).toBe(true);
  // Both workers took part: each generated for at least one expert.
  for (const stats of two.stats) expect(Object.keys(stats.processed).filter((key) => key !== "aggregate").length).toBeGreaterThan(0);
});
