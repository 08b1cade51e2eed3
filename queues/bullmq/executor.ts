/**
 * The BullMQ batch executor (the producer side; `runWorker` is the consumer). Per item, one flow:
 * a parent "aggregate" job (in the aggregator expert's queue when synthesis needs that model, else
 * the aggregate queue) with one "generate" child per recruit in that expert's queue. Children retry
 * transient failures (attempts/backoff) and, once finally failed, are ignored by their parent
 * (ignoreDependencyOnFailure), so one failed expert never blocks its instance.
 *
 * Idempotent: job ids are deterministic and a customId is queued at most once per batch (the
 * reserve script skips customIds already enqueued or with a result), so enqueueing the same batch
 * again adds nothing. `idle` reads the batch's pending counter (parents not yet settled) instead of
 * scanning queues. `cancel` sets a flag that processors check before starting work. `close` is
 * idempotent.
 */
import { FlowProducer, Queue, type FlowJob } from "bullmq";
import { Redis } from "ioredis";
import type { QueueSettings } from "../engine.js";
import { ConclaveError } from "../../kernel/errors.js";
import type { BatchExecutor, BatchProgressCounts, BatchResultLine, RoutedItem } from "../batch-executor.js";
import { AGGREGATE, BATCH_PRIORITY, GENERATE, type AggregateJobData, type GenerateJobData } from "./jobs.js";
import { aggregateQueue, batchKeys, childJobId, expertQueue, expertRegistryKey, parentJobId, workerSwitchesKey } from "./names.js";
import { reserve, unreserve } from "./store.js";

export type { QueueSettings } from "../engine.js";

export interface BullmqExecutorOptions {
  redisUrl: string;
  settings: QueueSettings;
  /** The aggregator's expert id when aggregation needs its model (parents then run where it is resident). */
  aggregationQueueExpert: string | undefined;
  /** Flows per FlowProducer.addBulk call. */
  chunkSize?: number;
}

/** Completed and failed jobs are kept a day for inspection, then trimmed as others finish. */
const KEEP = { age: 24 * 3600 };

export class BullmqExecutor implements BatchExecutor {
  readonly kind = "bullmq" as const;
  private readonly redis: Redis;
  private readonly flows: FlowProducer;
  private closing: Promise<void> | undefined;

  constructor(private readonly options: BullmqExecutorOptions) {
    this.redis = new Redis(options.redisUrl, { maxRetriesPerRequest: null });
    this.flows = new FlowProducer({ connection: this.redis, prefix: options.settings.prefix });
  }

  private get prefix(): string {
    return this.options.settings.prefix;
  }

  private flow(batchId: string, item: RoutedItem, model: string): FlowJob {
    const { attempts, backoffMs } = this.options.settings;
    // Batch priority: a fleet's online jobs in the same expert queues go first (jobs.ts).
    const retry = { attempts, backoff: { type: "exponential", delay: backoffMs }, priority: BATCH_PRIORITY, removeOnComplete: KEEP, removeOnFail: KEEP };
    const expertIds = [...new Set(item.routed.recruitment.recruits.map((r) => r.expertId))];
    const parentQueue = this.options.aggregationQueueExpert
      ? expertQueue(this.prefix, this.options.aggregationQueueExpert)
      : aggregateQueue(this.prefix);
    const data: AggregateJobData = { batchId, customId: item.customId, instance: item.instance, routed: item.routed, warnings: item.warnings, model };
    return {
      name: AGGREGATE,
      queueName: parentQueue,
      data,
      opts: { jobId: parentJobId(batchId, item.customId), ...retry },
      children: expertIds.map((expertId) => {
        const child: GenerateJobData = { batchId, customId: item.customId, expertId, instance: item.instance };
        return {
          name: GENERATE,
          queueName: expertQueue(this.prefix, expertId),
          data: child,
          opts: { jobId: childJobId(batchId, item.customId, expertId), ignoreDependencyOnFailure: true, ...retry },
        };
      }),
    };
  }

  async enqueue(batchId: string, items: readonly RoutedItem[], model: string): Promise<void> {
    this.assertOpen();
    const keys = batchKeys(this.prefix, batchId);
    const size = this.options.chunkSize ?? 500;
    const experts = new Set(items.flatMap((item) => item.routed.recruitment.recruits.map((r) => r.expertId)));
    if (this.options.aggregationQueueExpert) experts.add(this.options.aggregationQueueExpert);
    if (experts.size > 0) await this.redis.sadd(expertRegistryKey(this.prefix), ...experts);
    for (let start = 0; start < items.length; start += size) {
      const chunk = items.slice(start, start + size);
      const fresh = new Set(await reserve(this.redis, keys, chunk.map((item) => item.customId)));
      const todo = chunk.filter((item) => fresh.delete(item.customId));
      try {
        if (todo.length > 0) await this.flows.addBulk(todo.map((item) => this.flow(batchId, item, model)));
      } catch (error) {
        await unreserve(this.redis, keys, todo.map((item) => item.customId)).catch(() => undefined);
        throw error;
      }
    }
  }

  async results(batchId: string): Promise<BatchResultLine[]> {
    const raw = await this.redis.hgetall(batchKeys(this.prefix, batchId).results);
    return Object.values(raw).map((value) => JSON.parse(value) as BatchResultLine);
  }

  /** Two counters, never the lines themselves: polled several times a second on big batches. */
  async counts(batchId: string): Promise<BatchProgressCounts> {
    const keys = batchKeys(this.prefix, batchId);
    const [recorded, failed] = await Promise.all([this.redis.hlen(keys.results), this.redis.get(keys.failed)]);
    return { completed: recorded - Number(failed ?? 0), failed: Number(failed ?? 0) };
  }

  async idle(batchId: string): Promise<boolean> {
    return Number((await this.redis.get(batchKeys(this.prefix, batchId).pending)) ?? 0) <= 0;
  }

  /** Waiting jobs per expert queue, for /metrics. */
  async queueBacklog(): Promise<Record<string, number>> {
    const experts = await this.redis.smembers(expertRegistryKey(this.prefix));
    const backlog: Record<string, number> = {};
    for (const expertId of experts) {
      const queue = new Queue(expertQueue(this.prefix, expertId), { connection: this.redis, prefix: this.prefix });
      const counts = await queue.getJobCounts("waiting", "prioritized", "delayed");
      backlog[expertId] = (counts["waiting"] ?? 0) + (counts["prioritized"] ?? 0) + (counts["delayed"] ?? 0);
      await queue.close();
    }
    return backlog;
  }

  /** Model switches each worker has published, for /metrics. */
  async workerSwitches(): Promise<Record<string, number>> {
    const raw = await this.redis.hgetall(workerSwitchesKey(this.prefix));
    return Object.fromEntries(Object.entries(raw).map(([worker, count]) => [worker, Number(count)]));
  }

  async cancel(batchId: string): Promise<void> {
    await this.redis.set(batchKeys(this.prefix, batchId).cancelled, "1");
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.flows.close().catch(() => undefined);
      await this.redis.quit().catch(() => undefined);
    })();
    return this.closing;
  }

  private assertOpen(): void {
    if (this.closing) throw new ConclaveError("CLOSED", "the BullMQ executor is closed");
  }
}
