/**
 * Abort plumbing for remote calls: one signal linked to several, and a way to make any promise give
 * up when a signal aborts, so an abort or close is prompt even while the `openai` SDK sleeps between
 * retries (its backoff does not listen to the signal; it checks it only before the next attempt).
 */

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

/**
 * One signal that aborts when any source does. Hand-linked rather than AbortSignal.any so listeners on
 * the expert's long-lived close signal are removed after each call instead of piling up.
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
