/**
 * Batch queues benchmark: the same routed batch run on the embedded queue and on BullMQ (a real
 * redis-server) with one and two workers, each worker with its own orchestrator (its own models),
 * in this process. Prints wall time, loads per model (per worker), model switches, and the queue's
 * cost per job against the embedded run.
 *
 *   npm run bench -- batch-queues [--instances 60] [--max-tokens 16]
 */
import { mkdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { parseConfig } from "../orchestrator/config/load.js";
import { Orchestrator } from "../orchestrator/orchestrator.js";
import { parseBatchLine } from "../orchestrator/batch/lines.js";
import type { BatchExecutor, RoutedItem } from "../queues/batch-executor.js";
import { EmbeddedExecutor } from "../queues/embedded-executor.js";
import { BullmqExecutor } from "../queues/bullmq/executor.js";
import { runWorker } from "../queues/bullmq/worker.js";
import { disposeRuntime } from "../experts/llama/runtime.js";
import { startRedis } from "../test/helpers/redis.js";
import { arg } from "./args.js";

interface Row {
  mode: string;
  wallS: number;
  jobs: number;
  loads: string;
  switches: string;
  ok: number;
}

async function drain(executor: BatchExecutor, batchId: string, total: number): Promise<number> {
  for (;;) {
    const counts = await executor.counts(batchId);
    if (counts.completed + counts.failed >= total) return counts.completed;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export async function benchBatchQueues(): Promise<void> {
  const instances = Number(arg("instances", "60"));
  const maxTokens = Number(arg("max-tokens", "16"));
  const root = join(".cache", "bench-queues");
  await rm(join(root, "batches"), { recursive: true, force: true });
  await mkdir(root, { recursive: true });
  const config = (prefix: string) =>
    parseConfig({ runtime: { gpu: false }, models: { dir: "models" }, generation: { maxTokens }, aggregation: { maxTokens }, batches: { dir: "batches", queue: { prefix } } }, root);
  const silent = { notice: () => undefined };

  const source = (await readFile("examples/demo-batch.jsonl", "utf8")).split("\n").filter((l) => l.trim());
  const router = await Orchestrator.create(config("route"), silent);
  const items: RoutedItem[] = [];
  for (let i = 0; i < instances; i++) {
    const line = parseBatchLine(source[i % source.length]!, i + 1)!;
    const instance = { ...line.instance, id: `b${i}`, params: { maxTokens, temperature: 0, seed: i } };
    items.push({ customId: instance.id, instance, routed: await router.route(instance.messages), warnings: [] });
  }
  const jobs = items.reduce((sum, item) => sum + item.routed.recruitment.recruits.length + 1, 0);
  const loadsOf = (o: Orchestrator) => Object.entries(o.stats().experts).filter(([, e]) => e.loads).map(([id, e]) => `${id.replace("demo-", "")}:${e.loads}`).join(" ");
  const rows: Row[] = [];

  {
    const orchestrator = await Orchestrator.create(config("embedded"), silent);
    const executor = new EmbeddedExecutor(orchestrator, join(root, "batches", "embedded"));
    const started = performance.now();
    await executor.enqueue("bench-embedded", items, "conclave");
    const ok = await drain(executor, "bench-embedded", items.length);
    rows.push({ mode: "embedded queue", wallS: (performance.now() - started) / 1000, jobs, loads: loadsOf(orchestrator), switches: "-", ok });
    await executor.close();
    await orchestrator.close();
  }

  const redis = await startRedis();
  try {
    for (const workers of [1, 2]) {
      const prefix = `bench${process.pid}w${workers}`;
      const producer = new BullmqExecutor({ redisUrl: redis.url, settings: config(prefix).batches.queue, aggregationQueueExpert: router.aggregationNeedsModel ? router.aggregator : undefined });
      const pool = await Promise.all(Array.from({ length: workers }, () => Orchestrator.create(config(prefix), silent)));
      const handles = await Promise.all(pool.map((orchestrator, i) => runWorker(orchestrator, { redisUrl: redis.url, workerId: `w${i + 1}`, prefix, pollMs: 100 })));
      const started = performance.now();
      await producer.enqueue("bench", items, "conclave");
      const ok = await drain(producer, "bench", items.length);
      const wallS = (performance.now() - started) / 1000;
      rows.push({
        mode: `BullMQ, ${workers} worker${workers > 1 ? "s" : ""}`,
        wallS,
        jobs,
        loads: pool.map((o, i) => `w${i + 1}[${loadsOf(o)}]`).join(" "),
        switches: handles.map((h) => h.stats().switches).join("+"),
        ok,
      });
      await Promise.all(handles.map((h) => h.close()));
      await producer.close();
      await Promise.all(pool.map((o) => o.close()));
    }
  } finally {
    await redis.stop();
    await router.close();
    await disposeRuntime();
  }

  console.log(`\n${instances} instances (${jobs} jobs: k recruits + 1 aggregation each), ${maxTokens} tokens per answer, demo pool, CPU`);
  console.log("mode                 wall s   ok   switches  loads per model (per worker)");
  for (const row of rows) console.log(`${row.mode.padEnd(19)} ${row.wallS.toFixed(2).padStart(7)}  ${String(row.ok).padStart(3)}   ${row.switches.padEnd(8)}  ${row.loads}`);
  const embedded = rows[0]!;
  for (const row of rows.slice(1)) {
    const perJob = ((row.wallS - embedded.wallS) * 1000) / row.jobs;
    console.log(`${row.mode}: ${perJob >= 0 ? "+" : ""}${perJob.toFixed(1)} ms per job against the embedded queue`);
  }
}
