/**
 * Timing helpers for remote calls: backoff delays, Retry-After parsing, and ways to make any promise
 * give up when a signal aborts, so an abort or close is prompt even if a fetch ignores its signal.
 */

const BASE_DELAY_MS = 200;
/** A server asking for a longer wait is better served by failing over than by holding the slot. */
export const MAX_DELAY_MS = 5_000;

/** The wait before retry number `attempt + 1`: the server's Retry-After when given, else exponential. */
export function backoffMs(attempt: number, retryAfterMs?: number): number {
  return Math.min(MAX_DELAY_MS, retryAfterMs ?? BASE_DELAY_MS * 2 ** attempt);
}

/** Retry-After is either delay-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function parseRetryAfter(header: string | null, now = Date.now()): number | undefined {
  const value = header?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Settles like `promise`, or rejects with the signal's reason as soon as it aborts. */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => undefined); // the abandoned promise must not become an unhandled rejection
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      promise.catch(() => undefined);
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const done = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  return abortable(done, signal).finally(() => clearTimeout(timer));
}

/**
 * One signal that aborts when any source does. Hand-linked rather than AbortSignal.any so listeners on
 * the expert's long-lived close signal are removed after each attempt instead of piling up.
 */
export function linkSignals(sources: ReadonlyArray<AbortSignal | undefined>): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onAbort = () => controller.abort();
  const linked: AbortSignal[] = [];
  for (const source of sources) {
    if (!source) continue;
    if (source.aborted) {
      controller.abort();
      break;
    }
    source.addEventListener("abort", onAbort, { once: true });
    linked.push(source);
  }
  return { signal: controller.signal, dispose: () => linked.forEach((source) => source.removeEventListener("abort", onAbort)) };
}
