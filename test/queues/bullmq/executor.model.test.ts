/**
 * The BullMQ executor end to end on a real redis-server and the generated demo pool, drained by one
 * in-process worker: one line per custom_id, each model loaded once, re-enqueueing adds nothing,
 * a non-retryable failure fails its line only (no retries), and cancel stops new work.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Queue } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Orchestrator } from "../../../orchestrator/orchestrator.js";
import { disposeRuntime } from "../../../experts/llama/runtime.js";
import type { RoutedItem } from "../../../queues/batch-executor.js";
import { runWorker } from "../../../queues/bullmq/worker.js";
import { workerCommand } from "../../../orchestrator/cli/worker.js";
import { childJobId, expertQueue, parentJobId } from "../../../queues/bullmq/names.js";
import { redisServer, startRedis, type TestRedis } from "../../helpers/redis.js";
import { createOrchestrator, executorFor, generationsStarted, instance, loadsOf, QUEUE_TEST_TIMEOUT_MS, routedItems, uniquePrefix, waitFor } from "./fixture.js";

const REDIS = redisServer();

let redis: TestRedis;
let dir: string;
let orchestrator: Orchestrator;

beforeAll(async () => {
  if (!REDIS) return;
  redis = await startRedis(REDIS);
  dir = await mkdtemp(join(tmpdir(), "conclave-bullmq-"));
  orchestrator = await createOrchestrator(dir);
}, QUEUE_TEST_TIMEOUT_MS);

afterAll(async () => {
  await orchestrator?.close();
  await disposeRuntime();
  await redis?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const parse = (line: string) => JSON.parse(line) as { custom_id: string; response: { status_code: number } | null; error: { code: string } | null };

describe.skipIf(!REDIS)("BullmqExecutor with one worker", { timeout: QUEUE_TEST_TIMEOUT_MS }, () => {
  it("answers a 12-instance batch once per custom_id, loading each model once; re-enqueueing adds nothing", async () => {
    const prefix = uniquePrefix("batch");
    const items = await routedItems(orchestrator, Array.from({ length: 12 }, (_, i) => instance(i)));
    expect(items.every((item) => item.routed.recruitment.recruits.length === 3)).toBe(true);
    const executor = executorFor(orchestrator, redis.url, prefix);
    const started = performance.now();
    await executor.enqueue("b1", items, "conclave");
    expect(await executor.idle("b1")).toBe(false);
    const worker = await runWorker(orchestrator, { redisUrl: redis.url, prefix, pollMs: 100 });
    try {
      await waitFor(() => executor.idle("b1"), "batch b1 to finish");
      console.log(`12 instances x 3 recruits on 1 worker: ${Math.round(performance.now() - started)} ms, loads ${JSON.stringify(loadsOf(orchestrator))}, worker ${JSON.stringify(worker.stats())}`);

      const results = await executor.results("b1");
      expect(results.map((r) => r.customId).sort()).toEqual(items.map((i) => i.customId).sort());
      for (const result of results) {
        const line = parse(result.line);
        expect(line.custom_id).toBe(result.customId);
        expect(result.ok).toBe(true);
        expect(line.response?.status_code).toBe(200);
      }
      expect(await executor.counts("b1")).toEqual({ completed: 12, failed: 0 });
      for (const [id, loads] of Object.entries(loadsOf(orchestrator))) expect(loads, id).toBeLessThanOrEqual(1);
      expect(worker.stats().processed["aggregate"]).toBe(12);

      // Synthesis needs the aggregator's model, so the parents ran in its expert queue.
      const writer = new Queue(expertQueue(prefix, orchestrator.aggregator!), { connection: { url: redis.url }, prefix });
      expect(await writer.getJob(parentJobId("b1", "q0"))).toBeDefined();
      await writer.close();

      const before = generationsStarted(orchestrator);
      await executor.enqueue("b1", items, "conclave");
      expect(await executor.idle("b1")).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 600));
      expect(generationsStarted(orchestrator)).toBe(before);
      expect(await executor.results("b1")).toHaveLength(12);
    } finally {
      await worker.close();
      await executor.close();
      await executor.close();
    }
  });

  it("fails a line whose work is invalid without retrying, and only that line", async () => {
    const prefix = uniquePrefix("invalid");
    // A JSON schema node-llama-cpp cannot turn into a grammar: INVALID_REQUEST, not worth retrying.
    const bad = instance(2, { temperature: 0, jsonSchema: { enum: "x" } });
    const items = await routedItems(orchestrator, [instance(0), instance(1)]);
    const [invalid] = await routedItems(orchestrator, [bad]);
    items.push({
      ...invalid!,
      customId: "bad",
      routed: { ...invalid!.routed, recruitment: { strategy: "direct", recruits: [{ expertId: "demo-math", weight: 1, reason: "test" }] } },
    });
    const executor = executorFor(orchestrator, redis.url, prefix, { attempts: 3, backoffMs: 200 });
    await executor.enqueue("b2", items, "conclave");
    const worker = await runWorker(orchestrator, { redisUrl: redis.url, prefix, pollMs: 100 });
    try {
      await waitFor(() => executor.idle("b2"), "batch b2 to finish");
      const byId = new Map((await executor.results("b2")).map((r) => [r.customId, r]));
      expect([...byId.keys()].sort()).toEqual(["bad", "q0", "q1"]);
      expect(byId.get("bad")?.ok).toBe(false);
      expect(parse(byId.get("bad")!.line).error?.code).toBe("invalid_request");
      expect(byId.get("q0")?.ok && byId.get("q1")?.ok).toBe(true);
      expect(await executor.counts("b2")).toEqual({ completed: 2, failed: 1 });

      const queue = new Queue(expertQueue(prefix, "demo-math"), { connection: { url: redis.url }, prefix });
      const failed = await queue.getJob(childJobId("b2", "bad", "demo-math"));
      expect(failed?.failedReason).toMatch(/^INVALID_REQUEST: /);
      expect(failed?.attemptsMade).toBe(1);
      await queue.close();
    } finally {
      await worker.close();
      await executor.close();
    }
  });

  it("leaves work for an expert it does not have to the workers that have it", async () => {
    const prefix = uniquePrefix("ghost");
    const [base] = await routedItems(orchestrator, [instance(0)]);
    const ghost: RoutedItem = {
      ...base!,
      customId: "ghostly",
      routed: { ...base!.routed, recruitment: { strategy: "direct", recruits: [{ expertId: "ghost", weight: 1, reason: "test" }] } },
    };
    const executor = executorFor(orchestrator, redis.url, prefix);
    await executor.enqueue("b5", [ghost], "conclave");
    const worker = await runWorker(orchestrator, { redisUrl: redis.url, prefix, pollMs: 50 });
    try {
      await new Promise((resolve) => setTimeout(resolve, 600));
      expect(await executor.results("b5")).toEqual([]);
      expect(await executor.idle("b5")).toBe(false);
      expect((await executor.queueBacklog())["ghost"]).toBe(1);
    } finally {
      await worker.close();
      await executor.close();
    }
  });

  it("cancel mid-batch: no new work starts, finished lines are kept, the batch goes idle", async () => {
    const prefix = uniquePrefix("cancel");
    // Four quick instances finish first; eight slow ones are still generating when the batch is cancelled.
    const instances = Array.from({ length: 12 }, (_, i) => instance(i, { temperature: 0, maxTokens: i < 4 ? 4 : 300 }));
    const items = await routedItems(orchestrator, instances);
    const executor = executorFor(orchestrator, redis.url, prefix);
    await executor.enqueue("b3", items, "conclave");
    const worker = await runWorker(orchestrator, { redisUrl: redis.url, prefix, pollMs: 100 });
    try {
      await waitFor(async () => (await executor.results("b3")).length > 0, "a first result", { everyMs: 20 });
      await executor.cancel("b3");
      await new Promise((resolve) => setTimeout(resolve, 50));
      const kept = await executor.results("b3");
      const startedAtCancel = generationsStarted(orchestrator);
      await waitFor(() => executor.idle("b3"), "cancelled batch b3 to go idle");
      const final = await executor.results("b3");
      console.log(`cancel: ${kept.length} lines at cancel, ${final.length} at the end; generations ${startedAtCancel} at cancel, ${generationsStarted(orchestrator)} at the end`);
      expect(final.length).toBeGreaterThanOrEqual(kept.length);
      for (const line of kept) expect(final.find((r) => r.customId === line.customId)?.line).toBe(line.line);
      expect(final.length).toBeLessThan(12);
      expect(generationsStarted(orchestrator)).toBeLessThanOrEqual(startedAtCancel);
      expect(await executor.idle("b3")).toBe(true);
    } finally {
      await worker.close();
      await executor.close();
    }
  });

  it("`conclave worker` needs REDIS_URL, drains until stopped and reports what it drained", async () => {
    const lines: string[] = [];
    const print = (text: string) => lines.push(text);
    await expect(workerCommand(orchestrator, { env: {}, print, stopped: new Promise(() => undefined) })).rejects.toMatchObject({
      code: "CONFIG_INVALID",
      message: expect.stringContaining("REDIS_URL"),
    });

    const prefix = orchestrator.config.batches.queue.prefix;
    const executor = executorFor(orchestrator, redis.url, prefix);
    await executor.enqueue("cli", await routedItems(orchestrator, [instance(0), instance(3)]), "conclave");
    let stop: (signal: string) => void = () => undefined;
    const stopped = new Promise<string>((resolve) => (stop = resolve));
    const run = workerCommand(orchestrator, { env: { REDIS_URL: redis.url }, print, stopped });
    try {
      await waitFor(() => executor.idle("cli"), "the CLI worker to drain the batch");
      stop("SIGTERM");
      const stats = await run;
      expect(stats.processed["aggregate"]).toBe(2);
      expect(lines[0]).toContain(`draining ${prefix}-expert-*`);
      expect(lines.at(-1)).toMatch(/^drained .*demo-.*×\d+.*; aggregated 2 instance\(s\)/);
      expect(await executor.counts("cli")).toEqual({ completed: 2, failed: 0 });
    } finally {
      stop("SIGTERM");
      await run.catch(() => undefined);
      await executor.close();
    }
  });
});
