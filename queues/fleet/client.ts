/**
 * The front door's side of fleet mode: `submit(expertId, request)` has the local scheduler's
 * signature, so the pipeline (tag, recruit, aggregate) runs unchanged while each expert call becomes
 * a job in that expert's BullMQ queue, at online priority, run by a `conclave worker`.
 *
 * Per call, one or more attempts. An attempt adds a job (id `${requestId}|${attempt}`) and reads the
 * attempt's stream (stream.ts) with XREAD BLOCK on a connection of its own, relaying text to
 * `onText` in order, until the final record: `done` resolves, `error` rejects with its code.
 *
 * The client never hangs: each blocking read lasts one heartbeat, after which it checks the registry
 * (registry.ts). When the worker that started the attempt has gone silent for `staleMs`, the attempt
 * is cancelled and, if no text went out yet, a new attempt is queued (another worker runs it; up to
 * `maxAttempts`); with text out the call rejects with WORKER_LOST (503). While the job waits, it
 * rejects with NO_EXPERT_AVAILABLE once no live worker serving the expert has been seen for `staleMs`.
 * The request's signal cancels the attempt (cancel key + channel, job removed when still waiting) and
 * rejects with ABORTED at once. `close()` is idempotent.
 */
import { randomUUID } from "node:crypto";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import type { GenerateRequest, GenerateResult } from "../../experts/spec.js";
import { ConclaveError } from "../../kernel/errors.js";
import { BATCH_PRIORITY, ONLINE, ONLINE_PRIORITY, type OnlineJobData } from "../bullmq/jobs.js";
import { expertQueue, expertRegistryKey, onlineCancelChannel, onlineCancelKey, onlineJobId, onlineStreamKey } from "../bullmq/names.js";
import { readRegistry, staleAfter } from "./registry.js";
import { append, decodeRecord, STREAM_TTL_S } from "./stream.js";

export interface FleetClientOptions {
  redisUrl: string;
  prefix: string;
  /** The workers' heartbeat period: one blocking read lasts this long. */
  heartbeatMs: number;
  /** Attempts of a call whose worker died before any text went out. */
  maxAttempts?: number;
  /** Redis out of reach: called once per outage (at the first error after a connection was ready, or at start). */
  onError?: (error: Error) => void;
}

type AttemptEnd = { result: GenerateResult } | { lost: string; streamed: boolean };

export class FleetClient {
  private readonly redis: Redis;
  private readonly idleReaders: Redis[] = [];
  private readonly readers = new Set<Redis>();
  private readonly queues = new Map<string, Queue>();
  private readonly known = new Set<string>();
  private closing: Promise<void> | undefined;
  private outage = false;

  constructor(private readonly options: FleetClientOptions) {
    this.redis = new Redis(options.redisUrl, { maxRetriesPerRequest: null });
    // A listener on every connection: without one ioredis prints each reconnection error with its stack.
    this.redis.on("error", this.reportError).on("ready", () => (this.outage = false));
  }

  private readonly reportError = (error: Error): void => {
    if (this.outage || this.closing) return;
    this.outage = true;
    this.options.onError?.(error);
  };

  private get prefix(): string {
    return this.options.prefix;
  }

  /** The command connection, for what the front door shares through Redis (demand, backlog, rate limits). */
  get connection(): Redis {
    return this.redis;
  }

  async submit(expertId: string, request: GenerateRequest, options: { workClass?: "online" | "batch" } = {}): Promise<GenerateResult> {
    if (this.closing) throw new ConclaveError("CLOSED", "the fleet client is closed");
    const requestId = randomUUID();
    const maxAttempts = this.options.maxAttempts ?? 3;
    for (let attempt = 0; ; attempt++) {
      const end = await this.attempt(requestId, attempt, expertId, request, options.workClass ?? "online");
      if ("result" in end) return end.result;
      if (end.streamed || attempt + 1 >= maxAttempts) {
        throw new ConclaveError("WORKER_LOST", `${end.lost}${end.streamed ? " after part of the answer was sent" : ` (${attempt + 1} attempts)`}; retry the request`);
      }
    }
  }

  private queueOf(expertId: string): Queue {
    let queue = this.queues.get(expertId);
    if (!queue) {
      queue = new Queue(expertQueue(this.prefix, expertId), { connection: this.redis, prefix: this.prefix });
      // BullMQ prints an error event with no listener (each reconnection attempt of the shared connection).
      queue.on("error", this.reportError);
      this.queues.set(expertId, queue);
    }
    return queue;
  }

  private async attempt(requestId: string, attempt: number, expertId: string, request: GenerateRequest, workClass: "online" | "batch"): Promise<AttemptEnd> {
    const { signal, onText, onReasoning, ...payload } = request;
    signal?.throwIfAborted();
    const jobId = onlineJobId(requestId, attempt);
    const key = onlineStreamKey(this.prefix, jobId);
    // Workers find an expert's queue through this set (as batch jobs do).
    if (!this.known.has(expertId)) {
      await this.redis.sadd(expertRegistryKey(this.prefix), expertId);
      this.known.add(expertId);
    }
    const data: OnlineJobData = { requestId, attempt, expertId, request: payload, stream: onText !== undefined };
    await this.queueOf(expertId).add(ONLINE, data, {
      jobId,
      priority: workClass === "online" ? ONLINE_PRIORITY : BATCH_PRIORITY,
      attempts: 1,
      removeOnComplete: true,
      removeOnFail: true,
    });
    const cancel = () => void this.cancel(expertId, jobId, key);
    signal?.addEventListener("abort", cancel, { once: true });
    const reader = this.idleReaders.pop() ?? this.newReader();
    try {
      return await this.follow(reader, key, expertId, { onText, onReasoning }, signal);
    } catch (error) {
      // Whatever ended the read (abort, lost Redis, a closing client), the worker must stop too.
      if (!(error instanceof ConclaveError) || error.code === "ABORTED" || error.code === "CLOSED") cancel();
      throw error;
    } finally {
      signal?.removeEventListener("abort", cancel);
      if (this.closing) reader.disconnect();
      else this.idleReaders.push(reader);
    }
  }

  private newReader(): Redis {
    const reader = this.redis.duplicate();
    reader.on("error", this.reportError);
    this.readers.add(reader);
    return reader;
  }

  private async follow(reader: Redis, key: string, expertId: string, sinks: Pick<GenerateRequest, "onText" | "onReasoning">, signal: AbortSignal | undefined): Promise<AttemptEnd> {
    const staleMs = staleAfter(this.options.heartbeatMs);
    let last = "0";
    let worker: string | undefined;
    let streamed = false;
    let unservedSince: number | undefined;
    // The final record read, the stream has served its purpose (expiry covers a reader that went away).
    const consumed = () => void this.redis.del(key).catch(() => undefined);
    for (;;) {
      const reply = (await reader.xread("BLOCK", this.options.heartbeatMs, "STREAMS", key, last)) as Array<[string, Array<[string, string[]]>]> | null;
      if (signal?.aborted) throw new ConclaveError("ABORTED", "the request was aborted");
      if (this.closing) throw new ConclaveError("CLOSED", "the fleet client is closed");
      for (const [id, fields] of reply?.[0]?.[1] ?? []) {
        last = id;
        const record = decodeRecord(fields);
        if (record.kind === "start") worker = record.worker;
        else if (record.kind === "text" || record.kind === "reasoning") {
          streamed = true;
          (record.kind === "text" ? sinks.onText : sinks.onReasoning)?.(record.text);
        } else if (record.kind === "done") {
          consumed();
          return { result: record.result };
        } else {
          consumed();
          throw record.error;
        }
      }
      if (reply) continue;
      // A heartbeat without a record: is anyone still working on it?
      const registry = await readRegistry(this.redis, this.prefix, staleMs);
      if (worker !== undefined) {
        const holder = registry.workers.find((w) => w.id === worker);
        if (!holder?.alive) {
          await this.cancel(expertId, onlineJobIdOfKey(key), key);
          return { lost: `worker ${worker} stopped answering`, streamed };
        }
        continue;
      }
      const served = registry.workers.some((w) => w.alive && expertId in w.serves);
      if (served) unservedSince = undefined;
      else if (unservedSince === undefined) unservedSince = registry.now;
      else if (registry.now - unservedSince >= staleMs) {
        await this.cancel(expertId, onlineJobIdOfKey(key), key);
        throw new ConclaveError("NO_EXPERT_AVAILABLE", `no live worker serves ${expertId} (fleet mode: start a \`conclave worker\` that has it)`);
      }
    }
  }

  /** Stops an attempt wherever it is: skipped if not started, aborted if running; wakes its reader. */
  private async cancel(expertId: string, jobId: string, key: string): Promise<void> {
    await this.redis
      .multi()
      .set(onlineCancelKey(this.prefix, jobId), "1", "EX", STREAM_TTL_S)
      .publish(onlineCancelChannel(this.prefix), jobId)
      .exec()
      .catch(() => undefined);
    await append(this.redis, key, { kind: "error", error: new ConclaveError("ABORTED", "the request was cancelled") }).catch(() => undefined);
    // A job still waiting is simply removed; a running (locked) one refuses, and stops on the channel.
    await this.queueOf(expertId).remove(jobId).catch(() => undefined);
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.all([...this.queues.values()].map((queue) => queue.close().catch(() => undefined)));
      for (const reader of this.readers) reader.disconnect();
      await this.redis.quit().catch(() => undefined);
    })();
    return this.closing;
  }
}

/** The job id at the end of an attempt's stream key. */
const onlineJobIdOfKey = (key: string): string => key.slice(key.lastIndexOf(":") + 1);
