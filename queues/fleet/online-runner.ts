/**
 * The worker side of an online expert call (fleet mode): runs an "online" job on this worker's engine
 * and streams its records (stream.ts) to the attempt's Redis Stream.
 *
 * Cancellation: the API sets the attempt's cancel key and publishes its job id on the cancel channel.
 * The runner subscribes to that channel and aborts the running generation's signal (the scheduler
 * then frees its sequence). The key is read once the abort controller is registered, so a cancel
 * published just before is not missed; the read runs beside the generation (a set key aborts it at
 * once) rather than before it, which would put a Redis round trip on every call's path.
 *
 * A generation aborted because this worker closes goes back to the queue (another worker runs it)
 * when no text was streamed yet; with text out, the attempt ends with WORKER_LOST, since a second run
 * cannot continue the first one's tokens. Every other failure is the attempt's `error` record: the job
 * itself completes (the API, not BullMQ, decides about retries). `close()` is idempotent.
 */
import { WaitingError, type Job } from "bullmq";
import type { Redis } from "ioredis";
import type { GenerateRequest, GenerateResult } from "../../experts/spec.js";
import { ConclaveError, toConclaveError } from "../../kernel/errors.js";
import type { OnlineJobData } from "../bullmq/jobs.js";
import { onlineCancelChannel, onlineCancelKey, onlineStreamKey } from "../bullmq/names.js";
import { append } from "./stream.js";

/** Runs one online generation in this process (the scheduler, serving online work first). */
export type OnlineGenerate = (expertId: string, request: GenerateRequest) => Promise<GenerateResult>;

export interface OnlineJobResult {
  outcome: "done" | "error" | "cancelled";
}

export class OnlineRunner {
  private readonly running = new Map<string, AbortController>();
  private subscriber: Redis | undefined;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly workerId: string,
    private readonly generate: OnlineGenerate,
    /** Fires when the worker closes. */
    private readonly shutdown: AbortSignal,
  ) {}

  /** Subscribes to cancellations; call once before jobs run. */
  async start(): Promise<void> {
    this.subscriber = this.redis.duplicate();
    // Without a listener ioredis prints every reconnection error with its stack; the worker reports
    // the outage through its BullMQ workers, which share the connection this one duplicates.
    this.subscriber.on("error", () => undefined);
    this.subscriber.on("message", (_channel: string, jobId: string) => {
      this.running.get(jobId)?.abort(new ConclaveError("ABORTED", "the client cancelled the request"));
    });
    await this.subscriber.subscribe(onlineCancelChannel(this.prefix));
  }

  /** Generations ended early because their client cancelled them (running or about to run). */
  cancelled = 0;

  /** Online jobs running here now. */
  get inFlight(): number {
    return this.running.size;
  }

  async process(job: Job<OnlineJobData>, token: string | undefined, signal: AbortSignal | undefined): Promise<OnlineJobResult> {
    const jobId = job.id!;
    const { expertId, request, stream } = job.data;
    const cancelKey = onlineCancelKey(this.prefix, jobId);
    const key = onlineStreamKey(this.prefix, jobId);
    const controller = new AbortController();
    this.running.set(jobId, controller);
    const cancelled = () => controller.abort(new ConclaveError("ABORTED", "the client cancelled the request"));
    void this.redis.exists(cancelKey).then((set) => (set ? cancelled() : undefined), () => undefined);
    try {
      const abort = AbortSignal.any([this.shutdown, controller.signal, ...(signal ? [signal] : [])]);
      void append(this.redis, key, { kind: "start", worker: this.workerId }).catch(() => undefined);
      let streamed = false;
      const onText = (text: string) => {
        streamed = true;
        // Not awaited: one connection keeps the pieces in order, and the final record follows them.
        void append(this.redis, key, { kind: "text", text }).catch(() => undefined);
      };
      const onReasoning = (text: string) => {
        streamed = true;
        void append(this.redis, key, { kind: "reasoning", text }).catch(() => undefined);
      };
      try {
        // An aborted generation may still resolve, with what it had so far (finish reason "abort").
        const result = await this.generate(expertId, { ...request, signal: abort, ...(stream ? { onText, onReasoning } : {}) });
        await append(this.redis, key, { kind: "done", result });
        // Counted as cancelled only when the cancel really cut the generation short.
        return controller.signal.aborted && result.finishReason === "abort" ? this.skipped() : { outcome: "done" };
      } catch (error) {
        const failure = toConclaveError(error);
        const closing = this.shutdown.aborted && (failure.code === "ABORTED" || failure.code === "CLOSED");
        if (closing && !streamed) {
          await job.moveToWait(token);
          throw new WaitingError();
        }
        const recorded = closing ? new ConclaveError("WORKER_LOST", `worker ${this.workerId} shut down in the middle of the answer; retry the request`) : failure;
        await append(this.redis, key, { kind: "error", error: recorded });
        return controller.signal.aborted ? this.skipped() : { outcome: "error" };
      }
    } finally {
      this.running.delete(jobId);
    }
  }

  private skipped(): OnlineJobResult {
    this.cancelled += 1;
    return { outcome: "cancelled" };
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.subscriber?.quit().catch(() => undefined);
    })();
    return this.closing;
  }
}
