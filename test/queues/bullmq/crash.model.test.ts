/**
 * A worker process killed mid-batch (SIGKILL: no cleanup, locks left behind) loses nothing and
 * doubles nothing: the jobs it held stall, come back to waiting once their locks expire, and a
 * second worker finishes the batch with exactly one line per custom_id.
 *
 * Every wait is on a state (job counts, the child's output or exit), none on a deadline of its own,
 * so the test passes on a loaded machine; the test's timeout bounds the whole run.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Queue, type Job } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, expect, it } from "vitest";
import { parseConfig } from "../../../orchestrator/config/load.js";
import { Orchestrator } from "../../../orchestrator/orchestrator.js";
import { disposeRuntime } from "../../../experts/llama/runtime.js";
import { runWorker } from "../../../queues/bullmq/worker.js";
import { batchKeys, expertQueue } from "../../../queues/bullmq/names.js";
import { PACKAGE_ROOT } from "../../helpers/paths.js";
import { redisServer, startRedis, type TestRedis } from "../../helpers/redis.js";
import { executorFor, instance, QUEUE_TEST_TIMEOUT_MS, routedItems, testConfigInput, uniquePrefix, waitFor } from "./fixture.js";

const REDIS = redisServer();

let redis: TestRedis;
let dir: string;
let child: ChildProcess | undefined;

beforeAll(async () => {
  if (!REDIS) return;
  redis = await startRedis(REDIS);
  dir = await mkdtemp(join(tmpdir(), "conclave-crash-"));
}, QUEUE_TEST_TIMEOUT_MS);

afterAll(async () => {
  child?.kill("SIGKILL");
  await disposeRuntime();
  await redis?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

it.skipIf(!REDIS)("recovers the jobs of a worker killed mid-batch: every custom_id exactly once", { timeout: QUEUE_TEST_TIMEOUT_MS }, async () => {
  const prefix = uniquePrefix("crash");
  const input = testConfigInput(dir, { prefix, lockDurationMs: 2000, stalledIntervalMs: 1000 }, 200);
  const configPath = join(dir, "conclave.json");
  await writeFile(configPath, JSON.stringify(input));
  // Built first so the demo models exist before the child starts; it routes and later takes over.
  const orchestrator = await Orchestrator.create(parseConfig(input, dir));
  const items = await routedItems(orchestrator, Array.from({ length: 20 }, (_, i) => instance(i)));
  const executor = executorFor(orchestrator, redis.url, prefix);
  await executor.enqueue("crash", items, "conclave");
  const experts = [...orchestrator.statuses.keys()];
  const queues = experts.map((id) => new Queue(expertQueue(prefix, id), { connection: { url: redis.url }, prefix }));
  const client = new Redis(redis.url);
  try {
    const started = performance.now();
    const total = (await Promise.all(queues.map((q) => q.getJobCounts("waiting", "prioritized", "delayed")))).reduce(
      (n, c) => n + Object.values(c).reduce((a, b) => a + b, 0),
      0,
    );
    const first = spawn(process.execPath, ["--import", "tsx", "test/queues/bullmq/worker-process.ts", configPath, redis.url], {
      cwd: PACKAGE_ROOT,
      stdio: ["ignore", "pipe", "inherit"],
    });
    child = first;
    const diedEarly = () => (first.exitCode === null && first.signalCode === null ? undefined : `the child worker exited (${first.exitCode ?? first.signalCode})`);
    const completed = async () => (await Promise.all(queues.map((q) => q.getJobCounts("completed")))).reduce((n, c) => n + (c["completed"] ?? 0), 0);
    let held: Job[] = [];
    await waitFor(
      async () => {
        const done = await completed();
        // Killing after the last job would test nothing: say so rather than pass vacuously.
        if (done >= total) throw new Error(`the child finished all ${total} generations before it could be caught mid-batch`);
        if (done < 8) return false;
        held = (await Promise.all(queues.map((q) => q.getActive()))).flat();
        return held.length > 0;
      },
      "the child worker to be mid-batch",
      { everyMs: 20, failIf: diedEarly },
    );
    child.kill("SIGKILL");
    await new Promise((resolve) => child!.once("exit", resolve));
    const atKill = (await executor.results("crash")).length;
    console.log(`killed the worker after ${Math.round(performance.now() - started)} ms: ${await completed()} generations done, ${held.length} held, ${atKill} lines`);
    expect(atKill).toBeLessThan(20);

    const worker = await runWorker(orchestrator, { redisUrl: redis.url, pollMs: 100 });
    try {
      await waitFor(() => executor.idle("crash"), "the second worker to finish the batch");
    } finally {
      await worker.close();
    }
    const results = await executor.results("crash");
    expect(results.map((r) => r.customId).sort()).toEqual(items.map((i) => i.customId).sort());
    expect(results.every((r) => r.ok)).toBe(true);
    // Each parent settled exactly once: the counter is back to zero, never below.
    expect(await client.get(batchKeys(prefix, "crash").pending)).toBe("0");
    // The jobs the dead worker held were recovered and completed, each result kept once.
    for (const job of held) {
      const queue = queues.find((q) => q.name === job.queueName)!;
      expect(await (await queue.getJob(job.id!))?.getState()).toBe("completed");
    }
    console.log(`batch done ${Math.round(performance.now() - started)} ms after the first worker started; second worker ${JSON.stringify(worker.stats())}`);
  } finally {
    await Promise.all(queues.map((q) => q.close()));
    client.disconnect();
    await executor.close();
    await orchestrator.close();
  }
});
