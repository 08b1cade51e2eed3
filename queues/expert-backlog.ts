/**
 * The embedded backlog: one FIFO queue per expert, in memory. This is what the scheduler drains,
 * one expert at a time; the Redis mode keeps the same shape as one BullMQ queue per expert.
 *
 * Contract: `push` appends; `shift` takes the oldest item of an expert (`peek` looks at it); `remove` takes a given item
 * out wherever it is (a request cancelled while waiting); `stats` reports count and oldest enqueue
 * time per expert without copying the queues.
 */

interface Entry<T> {
  item: T;
  enqueuedAt: number;
}

export interface BacklogStats {
  count: number;
  /** When the oldest waiting item was enqueued; undefined with no backlog. */
  oldestEnqueuedAt: number | undefined;
}

export class ExpertBacklog<T> {
  private readonly queues = new Map<string, Entry<T>[]>();

  constructor(private readonly now: () => number) {}

  push(expertId: string, item: T): void {
    let queue = this.queues.get(expertId);
    if (!queue) this.queues.set(expertId, (queue = []));
    queue.push({ item, enqueuedAt: this.now() });
  }

  /** The oldest item of an expert, left in place. */
  peek(expertId: string): T | undefined {
    return this.queues.get(expertId)?.[0]?.item;
  }

  shift(expertId: string): T | undefined {
    return this.queues.get(expertId)?.shift()?.item;
  }

  /** Removes one item; true when it was still waiting. */
  remove(expertId: string, item: T): boolean {
    const queue = this.queues.get(expertId);
    const index = queue?.findIndex((entry) => entry.item === item) ?? -1;
    if (index < 0) return false;
    queue!.splice(index, 1);
    return true;
  }

  /** Takes every waiting item of an expert out (its model failed, or the scheduler closes). */
  drain(expertId: string): T[] {
    const queue = this.queues.get(expertId) ?? [];
    this.queues.delete(expertId);
    return queue.map((entry) => entry.item);
  }

  stats(expertId: string): BacklogStats {
    const queue = this.queues.get(expertId);
    return { count: queue?.length ?? 0, oldestEnqueuedAt: queue?.[0]?.enqueuedAt };
  }

  total(): number {
    let sum = 0;
    for (const queue of this.queues.values()) sum += queue.length;
    return sum;
  }

  expertIds(): string[] {
    return [...this.queues.keys()];
  }
}
