/**
 * The port through which queues reach the engine that does the work. `queues/` defines it and never
 * imports the orchestrator: the orchestrator fills it in (the `Orchestrator` class satisfies both
 * interfaces structurally), and so could any other engine a worker command wires up.
 *
 * - `BatchEngine`: what an executor needs to run a routed batch in this process and write its lines.
 * - `WorkerEngine`: what a BullMQ worker needs on top: its queue settings, the memory budget, each
 *   expert's slots and memory, and the scheduler's live counters, to decide which queues to drain.
 */
import type { Instance, InstanceOutcome, RouteResult } from "../kernel/contracts.js";
import type { ConclaveError } from "../kernel/errors.js";
import type { GenerateResult } from "../experts/spec.js";

/** One recruit's part of an instance: its answer, or why it has none. */
export type RecruitOutcome =
  | { expertId: string; weight: number; result: GenerateResult; ms: number }
  | { expertId: string; weight: number; error: ConclaveError };

/** Writes OpenAI Batch API output lines (one JSON object per line). */
export interface BatchLineFormat {
  success(customId: string, outcome: InstanceOutcome, model: string, warnings?: string[]): string;
  failure(customId: string | null, error: ConclaveError): string;
}

export interface BatchEngine {
  /** Runs an instance whose routing is already decided: its recruits, then aggregation. */
  answer(instance: Instance, options: { routed: RouteResult; signal?: AbortSignal; workClass?: "online" | "batch" }): Promise<InstanceOutcome>;
  /** One recruit's generation through this process's scheduler. */
  generateFor(instance: Instance, expertId: string, signal?: AbortSignal): Promise<GenerateResult>;
  /** The instance's answer from its recruits' outcomes (gathered elsewhere, e.g. by a flow parent). */
  aggregateRecruits(instance: Instance, routed: RouteResult, outcomes: readonly RecruitOutcome[], runMs?: number): Promise<InstanceOutcome>;
  readonly batchLines: BatchLineFormat;
}

/** Settings of the Redis queues (validated and defaulted by whoever fills the port in). */
export interface QueueSettings {
  /** Redis key prefix, so several deployments can share one Redis. */
  prefix: string;
  lockDurationMs: number;
  stalledIntervalMs: number;
  attempts: number;
  backoffMs: number;
}

export interface EngineExpertStatus {
  slots: number;
  unavailable?: { code: string; message: string };
  memory?: { ramBytes: number };
}

export interface EngineExpertCounters {
  resident: boolean;
  /** Its model is being loaded now. */
  loading?: boolean;
  /** Generations that ended with a result, and without one (failed or aborted). */
  served?: number;
  failed?: number;
  /** Sum of the run times of its generations (ms): with served + failed, the mean service time. */
  busyMs?: number;
  inFlight: number;
  backlog: number;
  loads: number;
}

export interface WorkerEngine extends BatchEngine {
  readonly config: { readonly batches: { readonly queue: QueueSettings } };
  readonly budget: Readonly<{ ram: number }>;
  readonly statuses: ReadonlyMap<string, EngineExpertStatus>;
  stats(): { experts: Record<string, EngineExpertCounters> };
}
