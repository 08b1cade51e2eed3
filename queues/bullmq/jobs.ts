/**
 * The payloads of the two job kinds and how a failure crosses Redis. A "generate" job is one
 * recruit's generation for one instance, in that expert's queue; an "aggregate" job is the
 * instance's flow parent, run once every child has completed or finally failed.
 *
 * A failed child reaches its parent only as BullMQ's failedReason string, so failures are written
 * as `CODE: message` and read back into a ConclaveError (unknown codes become EXPERT_FAILED).
 */
import type { Instance, RouteResult } from "../../kernel/contracts.js";
import { ConclaveError, ERROR_CATALOGUE, type ErrorCode } from "../../kernel/errors.js";
import type { GenerateRequest, GenerateResult } from "../../experts/spec.js";

export const GENERATE = "generate";
export const AGGREGATE = "aggregate";
/** Fleet mode: one expert call of an online request, streamed back (queues/fleet/). */
export const ONLINE = "online";

/**
 * BullMQ priorities (lower runs first; a worker takes every job of priority 1 before any of 2):
 * someone waits for an online job, a batch job only has to finish within its window.
 */
export const ONLINE_PRIORITY = 1;
export const BATCH_PRIORITY = 2;

export interface GenerateJobData {
  batchId: string;
  customId: string;
  expertId: string;
  instance: Instance;
}

export interface AggregateJobData {
  batchId: string;
  customId: string;
  instance: Instance;
  routed: RouteResult;
  warnings: string[];
  model: string;
}

/** An online expert call: the request as the API fitted it (no signal, no callback: those stay there). */
export interface OnlineJobData {
  requestId: string;
  attempt: number;
  expertId: string;
  request: Omit<GenerateRequest, "signal" | "onText">;
  /** Whether text is streamed as it comes (else only the final record). */
  stream: boolean;
}

/** What a generate job returns: the expert's result, or a note that its batch was cancelled. */
export type GenerateJobResult = { cancelled: true } | (GenerateResult & { cancelled: false; ms: number });

export function failureReason(error: ConclaveError): string {
  return `${error.code}: ${error.message}`;
}

export function parseFailure(reason: string): ConclaveError {
  const match = /^([A-Z_]+): ([\s\S]*)$/.exec(reason);
  const code = match?.[1];
  if (match && code && code in ERROR_CATALOGUE) return new ConclaveError(code as ErrorCode, match[2] ?? "");
  return new ConclaveError("EXPERT_FAILED", reason);
}
