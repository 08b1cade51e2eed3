/**
 * A fixed set of reusable slots (context sequences) handed out first come, first served.
 * `acquire` waits while all slots are busy and gives up when its signal aborts, so a cancelled request
 * never holds a sequence. `drain` resolves once every slot is back, which is when a model may unload.
 *
 * With a `score` (prefix reuse: how many of the request's prompt tokens a slot already holds),
 * `acquire` takes the free slot that scores highest, like llama-server's slot selection by prompt
 * similarity; ties go to the slot released longest ago, so a request that matches nothing evicts
 * the state least likely to be asked for again. A waiter takes the next released slot, whatever it
 * holds: waiting for a better one could wait forever.
 */
import { ConclaveError } from "../../kernel/errors.js";

export class SlotPool<T> {
  private readonly free: T[];
  private readonly waiters: Array<{ resolve: (slot: T) => void; reject: (error: Error) => void }> = [];
  private readonly drainers: Array<() => void> = [];
  /** When each slot was last released (a counter), for the tie-break. */
  private readonly releasedAt = new Map<T, number>();
  private releases = 0;

  constructor(private readonly slots: readonly T[]) {
    this.free = [...slots];
  }

  get size(): number {
    return this.slots.length;
  }

  get busy(): number {
    return this.slots.length - this.free.length;
  }

  acquire(signal?: AbortSignal, score?: (slot: T) => number): Promise<T> {
    if (signal?.aborted) return Promise.reject(new ConclaveError("ABORTED", "the request was aborted"));
    const slot = score ? this.takeBest(score) : this.free.pop();
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

  /** The free slot with the highest score; ties: released longest ago (never-used slots first). */
  private takeBest(score: (slot: T) => number): T | undefined {
    let best = -1;
    let bestScore = -Infinity;
    for (let i = 0; i < this.free.length; i++) {
      const value = score(this.free[i]!);
      const older = best >= 0 && value === bestScore && (this.releasedAt.get(this.free[i]!) ?? -1) < (this.releasedAt.get(this.free[best]!) ?? -1);
      if (value > bestScore || older) {
        best = i;
        bestScore = value;
      }
    }
    return best < 0 ? undefined : this.free.splice(best, 1)[0];
  }

  release(slot: T): void {
    this.releasedAt.set(slot, this.releases++);
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
