/**
 * A fixed set of reusable slots (context sequences) handed out first come, first served.
 * `acquire` waits while all slots are busy and gives up when its signal aborts, so a cancelled request
 * never holds a sequence. `drain` resolves once every slot is back, which is when a model may unload.
 */
import { ConclaveError } from "../../kernel/errors.js";

export class SlotPool<T> {
  private readonly free: T[];
  private readonly waiters: Array<{ resolve: (slot: T) => void; reject: (error: Error) => void }> = [];
  private readonly drainers: Array<() => void> = [];

  constructor(private readonly slots: readonly T[]) {
    this.free = [...slots];
  }

  get size(): number {
    return this.slots.length;
  }

  get busy(): number {
    return this.slots.length - this.free.length;
  }

  acquire(signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) return Promise.reject(new ConclaveError("ABORTED", "the request was aborted"));
    const slot = this.free.pop();
    if (slot !== undefined) return Promise.resolve(slot);
    return new Promise<T>((resolve, reject) => {
      const waiter = {
        resolve: (value: T) => {
          signal?.removeEventListener("abort", onAbort);
          resolve(value);
        },
        reject,
      };
      const onAbort = () => {
        const index = this.waiters.indexOf(waiter);
        if (index >= 0) this.waiters.splice(index, 1);
        reject(new ConclaveError("ABORTED", "the request was aborted while waiting for a sequence"));
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  release(slot: T): void {
    const waiter = this.waiters.shift();
    if (waiter) {
      waiter.resolve(slot);
      return;
    }
    this.free.push(slot);
    if (this.busy === 0) this.drainers.splice(0).forEach((done) => done());
  }

  /** Resolves when no slot is in use. */
  drain(): Promise<void> {
    if (this.busy === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainers.push(resolve));
  }

  /** Fails every waiter (used when the model goes away). */
  rejectWaiters(error: Error): void {
    this.waiters.splice(0).forEach((waiter) => waiter.reject(error));
  }
}
