/**
 * The job processors a worker runs, dispatched on the job's name:
 *
 * - "generate": unless the batch is cancelled, one recruit's generation through the local scheduler
 *   (`generateFor`); returns the result with its time. A non-retryable ConclaveError becomes
 *   BullMQ's UnrecoverableError (the job fails at once, no retries); a retryable one a plain error
 *   (retried with backoff). A generation aborted because this worker is closing goes back to the
 *   waiting list untouched, for another worker.
 * - "online" (fleet mode): an online request's expert call, streamed back (queues/fleet/online-runner.ts).
 * - "aggregate" (the flow parent): gathers its children's results and ignored failures into
 *   RecruitOutcomes in the routed recruit order, aggregates, and records exactly one line per
 *   customId (an error line when aggregation fails). A parent of a cancelled batch records nothing
 *   and is settled as skipped. `settleFailedParent` records an error line for a parent that failed
 *   for good (all attempts used), so its batch still completes.
 */
import { UnrecoverableError, WaitingError, type Job } from "bullmq";
import type { Redis } from "ioredis";
import type { RecruitOutcome, WorkerEngine } from "../engine.js";
import { ConclaveError, toConclaveError } from "../../kernel/errors.js";
import { AGGREGATE, GENERATE, ONLINE, failureReason, parseFailure, type AggregateJobData, type GenerateJobData, type GenerateJobResult, type OnlineJobData } from "./jobs.js";
import type { OnlineRunner } from "../fleet/online-runner.js";
import { batchKeys, childJobId, jobIdOfKey } from "./names.js";
import { isCancelled, record, skip } from "./store.js";

export interface ProcessorContext {
  engine: WorkerEngine;
  redis: Redis;
  prefix: string;
  /** Fires when this worker closes: running generations are aborted and their jobs requeued. */
  closing: AbortSignal;
  /** Called after every job this processor handled, whatever its outcome. */
  onProcessed?: (job: Job) => void;
  /** Fleet mode: runs "online" jobs (absent: they fail, a worker outside the fleet cannot stream them). */
  online?: OnlineRunner;
}

export type JobProcessor = (job: Job, token: string | undefined, signal: AbortSignal | undefined) => Promise<unknown>;

export function createProcessor(ctx: ProcessorContext): JobProcessor {
  return async (job, token, signal) => {
    try {
      if (job.name === GENERATE) return await generate(ctx, job as Job<GenerateJobData>, token, signal);
      if (job.name === AGGREGATE) return await aggregateJob(ctx, job as Job<AggregateJobData>);
      if (job.name === ONLINE && ctx.online) return await ctx.online.process(job as Job<OnlineJobData>, token, signal);
      throw new UnrecoverableError(`INVALID_REQUEST: unknown job kind "${job.name}"`);
    } finally {
      ctx.onProcessed?.(job);
    }
  };
}

async function generate(ctx: ProcessorContext, job: Job<GenerateJobData>, token: string | undefined, signal: AbortSignal | undefined): Promise<GenerateJobResult> {
  const { batchId, expertId, instance } = job.data;
  if (await isCancelled(ctx.redis, batchKeys(ctx.prefix, batchId))) return { cancelled: true };
  const abort = signal ? AbortSignal.any([ctx.closing, signal]) : ctx.closing;
  const started = performance.now();
  try {
    const result = await ctx.engine.generateFor(instance, expertId, abort);
    return { ...result, cancelled: false, ms: performance.now() - started };
  } catch (error) {
    const failure = toConclaveError(error);
    if (ctx.closing.aborted && (failure.code === "ABORTED" || failure.code === "CLOSED")) {
      // Not this job's fault: hand it back untouched (no attempt used) for another worker.
      await job.moveToWait(token);
      throw new WaitingError();
    }
    if (!failure.retryable) throw new UnrecoverableError(failureReason(failure));
    throw new Error(failureReason(failure));
  }
}

/** The recruits' outcomes, in the routed recruit order; a child with neither value nor failure failed. */
async function collectOutcomes(job: Job<AggregateJobData>): Promise<RecruitOutcome[] | "cancelled"> {
  const { batchId, customId, routed } = job.data;
  const [values, failures] = await Promise.all([job.getChildrenValues<GenerateJobResult>(), job.getIgnoredChildrenFailures()]);
  const byId = <T>(entries: Record<string, T>) => new Map(Object.entries(entries).map(([key, value]) => [jobIdOfKey(key), value]));
  const valueOf = byId(values);
  const failureOf = byId(failures);
  const outcomes: RecruitOutcome[] = [];
  for (const { expertId, weight } of routed.recruitment.recruits) {
    const id = childJobId(batchId, customId, expertId);
    const value = valueOf.get(id);
    const failure = failureOf.get(id);
    if (value?.cancelled) return "cancelled";
    if (value) {
      const { ms, cancelled: _cancelled, ...result } = value;
      outcomes.push({ expertId, weight, result, ms });
    } else {
      const error = failure === undefined ? new ConclaveError("EXPERT_FAILED", `no result from ${expertId}`) : parseFailure(failure);
      outcomes.push({ expertId, weight, error });
    }
  }
  return outcomes;
}

async function aggregateJob(ctx: ProcessorContext, job: Job<AggregateJobData>): Promise<{ recorded: boolean }> {
  const { batchId, customId, instance, routed, warnings, model } = job.data;
  const keys = batchKeys(ctx.prefix, batchId);
  const outcomes = (await isCancelled(ctx.redis, keys)) ? "cancelled" : await collectOutcomes(job);
  if (outcomes === "cancelled") {
    await skip(ctx.redis, keys, customId);
    return { recorded: false };
  }
  const runMs = Math.max(0, ...outcomes.map((o) => ("ms" in o ? o.ms : 0)));
  let line: { ok: boolean; line: string };
  try {
    const outcome = await ctx.engine.aggregateRecruits(instance, routed, outcomes, runMs);
    line = { ok: true, line: ctx.engine.batchLines.success(customId, outcome, model, warnings) };
  } catch (error) {
    const failure = toConclaveError(error);
    // This worker is going away: let the parent run again elsewhere rather than record a failure.
    if (failure.code === "CLOSED") throw new Error(failureReason(failure));
    line = { ok: false, line: ctx.engine.batchLines.failure(customId, failure) };
  }
  return { recorded: await record(ctx.redis, keys, { customId, ...line }) };
}

/** For a worker's "failed" event: a parent that failed for good still gets its (error) line. */
export async function settleFailedParent(ctx: ProcessorContext, job: Job, error: Error): Promise<void> {
  if (job.name !== AGGREGATE || !job.finishedOn) return;
  const { batchId, customId } = job.data as AggregateJobData;
  const keys = batchKeys(ctx.prefix, batchId);
  if (await isCancelled(ctx.redis, keys)) {
    await skip(ctx.redis, keys, customId);
    return;
  }
  const failure = new ConclaveError("INTERNAL_ERROR", `aggregating ${customId} failed: ${error.message}`);
  await record(ctx.redis, keys, { customId, ok: false, line: ctx.engine.batchLines.failure(customId, failure) });
}
