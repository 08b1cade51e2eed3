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
import type { GenerateResult } from "../../experts/spec.js";

export const GENERATE = "generate";
export const AGGREGATE = "aggregate";

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
