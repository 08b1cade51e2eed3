/**
 * The JobQueue port of batch execution. A batch arrives already validated and routed (skills and
 * recruits decided for every instance); an executor runs the recruits' generations grouped by
 * expert, aggregates each instance, and records exactly one result line per custom_id.
 *
 * Two adapters: the embedded one (in this process, results appended to a file in the batch
 * directory) and BullMQ (one Redis queue per expert, a flow parent per instance, `conclave worker`
 * processes anywhere). Recording is idempotent per custom_id: a job that runs twice after a crash
 * never doubles a line.
 */
import type { Instance, RouteResult } from "../kernel/contracts.js";

export interface RoutedItem {
  customId: string;
  instance: Instance;
  routed: RouteResult;
  /** Warnings from parsing the line (parameters accepted but not honoured). */
  warnings: string[];
}

export interface BatchResultLine {
  customId: string;
  ok: boolean;
  /** The output line in OpenAI's batch output format (successLine / errorLine). */
  line: string;
}

export interface BatchProgressCounts {
  completed: number;
  failed: number;
}

export interface BatchExecutor {
  readonly kind: "embedded" | "bullmq";
  /** Queues a batch's routed instances; `model` is the name written into each output body. */
  enqueue(batchId: string, items: readonly RoutedItem[], model: string): Promise<void>;
  /** Results recorded so far, one per custom_id. */
  results(batchId: string): Promise<BatchResultLine[]>;
  counts(batchId: string): Promise<BatchProgressCounts>;
  /** True once no work of the batch is queued or running (after completion or cancellation). */
  idle(batchId: string): Promise<boolean>;
  /** Stops starting new work of the batch; running generations finish or are cancelled. */
  cancel(batchId: string): Promise<void>;
  close(): Promise<void>;
  /** Jobs waiting per expert queue (queue-backed executors). */
  queueBacklog?(): Promise<Record<string, number>>;
  /** Model switches per worker process (queue-backed executors). */
  workerSwitches?(): Promise<Record<string, number>>;
}
