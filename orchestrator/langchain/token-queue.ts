/**
 * A push-to-pull bridge: the orchestrator and the HTTP reader push text pieces through a callback,
 * an async generator pulls them. Pieces are kept in order and never dropped; `end` lets the reader
 * drain what is left, `fail` (or the abort signal firing) rejects the reader's next pull at once,
 * so a cancelled stream stops promptly even while no token is arriving.
 */
import { abortedError } from "./transport.js";

export class TokenQueue implements AsyncIterable<string> {
  private readonly pieces: string[] = [];
  private finished = false;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;

  constructor(signal?: AbortSignal) {
    if (signal?.aborted) this.fail(abortedError());
    else signal?.addEventListener("abort", () => this.fail(abortedError()), { once: true });
  }

  push(text: string): void {
    if (this.finished) return;
    this.pieces.push(text);
    this.notify();
  }

  end(): void {
    this.finished = true;
    this.notify();
  }

  fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    this.finished = true;
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<string> {
    for (;;) {
      // A failure wins over pieces still queued: an aborted stream must not keep yielding.
      if (this.failure) throw this.failure;
      const piece = this.pieces.shift();
      if (piece !== undefined) {
        yield piece;
        continue;
      }
      if (this.finished) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }
}
