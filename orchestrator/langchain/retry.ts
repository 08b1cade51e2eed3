/**
 * ChatConclave's `maxRetries` and `timeout`, as LangChain's other chat models take them.
 *
 * - `withRetries(retries, signal, attempt)`: runs `attempt` and, on a failure a retry can fix (a
 *   retryable ConclaveError: over capacity, rate limited, unreachable, no expert available; never
 *   ABORTED, CLOSED or a 4xx), runs it again up to `retries` more times, waiting 250 ms, 500 ms, 1 s ...
 *   (at most 4 s) between attempts. An abort ends the wait at once with ABORTED.
 * - `deadline(signal, timeoutMs)`: the caller's signal joined with a timer, and `explain` turns the
 *   ABORTED it causes into one that says the call timed out.
 */
import { ConclaveError, isConclaveError, toConclaveError } from "../../kernel/errors.js";
import { abortedError } from "./transport.js";

const FIRST_WAIT_MS = 250;
const MAX_WAIT_MS = 4000;

export function retryable(error: unknown): boolean {
  return isConclaveError(error) && error.retryable && error.code !== "CLOSED" && error.code !== "ABORTED";
}

/** `fresh` says whether a retry is still clean: false once a streamed attempt has delivered text. */
export async function withRetries<T>(retries: number, signal: AbortSignal | undefined, attempt: () => Promise<T>, fresh: () => boolean = () => true): Promise<T> {
  for (let tries = 0; ; tries++) {
    try {
      return await attempt();
    } catch (error) {
      if (tries >= retries || !retryable(error) || signal?.aborted || !fresh()) throw error;
      await sleep(Math.min(MAX_WAIT_MS, FIRST_WAIT_MS * 2 ** tries), signal);
    }
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortedError());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

export interface Deadline {
  signal: AbortSignal | undefined;
  /** The error to throw: ABORTED saying "timed out" when the timer (not the caller) aborted the call. */
  explain(error: unknown): ConclaveError;
}

export function deadline(signal: AbortSignal | undefined, timeoutMs: number | undefined): Deadline {
  if (timeoutMs === undefined) return { signal, explain: (error) => toConclaveError(error) };
  const timer = AbortSignal.timeout(timeoutMs);
  return {
    signal: signal ? AbortSignal.any([signal, timer]) : timer,
    explain(error) {
      const conclave = toConclaveError(error);
      if (timer.aborted && !signal?.aborted && conclave.code === "ABORTED") {
        return new ConclaveError("ABORTED", `ChatConclave timed out after ${timeoutMs} ms`, { cause: error });
      }
      return conclave;
    },
  };
}
