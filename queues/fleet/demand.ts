/**
 * Demand the front doors see, shared through Redis for the placement policy: per time bucket
 * (`BUCKET_MS`), how often each expert was recruited and how often each pair of experts was recruited
 * together. Buckets expire on their own; `readDemand` sums the last `WINDOW_BUCKETS` into a rate
 * (recruitments per second) and co-recruitment counts. A front door counts in memory and writes its
 * counts once a second (`DemandRecorder`), so a request costs no Redis round trip for it.
 */
import type { Redis } from "ioredis";
import { fleetPairsKey, fleetRecruitsKey } from "../bullmq/names.js";

export const BUCKET_MS = 10_000;
export const WINDOW_BUCKETS = 6;

export interface Demand {
  /** Recruitments per second over the window, per expert. */
  rate: Record<string, number>;
  coRecruited: Array<{ a: string; b: string; weight: number }>;
}

const bucketOf = (ms: number) => Math.floor(ms / BUCKET_MS);
const pairField = (a: string, b: string) => (a < b ? `${a}\n${b}` : `${b}\n${a}`);

/** Counts one request's recruits (best effort: demand is a hint, never worth failing a request). */
export async function recordRecruitment(redis: Redis, prefix: string, expertIds: readonly string[], now = Date.now()): Promise<void> {
  const counts = new Counts();
  counts.add(expertIds, now);
  await counts.write(redis, prefix);
}

/** Recruit and pair counts per bucket, kept in memory until written. */
class Counts {
  private readonly buckets = new Map<number, { recruits: Map<string, number>; pairs: Map<string, number> }>();

  add(expertIds: readonly string[], now: number): void {
    const ids = [...new Set(expertIds)];
    if (ids.length === 0) return;
    const bucket = bucketOf(now);
    let counts = this.buckets.get(bucket);
    if (!counts) this.buckets.set(bucket, (counts = { recruits: new Map(), pairs: new Map() }));
    const bump = (map: Map<string, number>, field: string) => map.set(field, (map.get(field) ?? 0) + 1);
    for (const id of ids) bump(counts.recruits, id);
    for (let i = 0; i < ids.length; i++) for (let j = i + 1; j < ids.length; j++) bump(counts.pairs, pairField(ids[i]!, ids[j]!));
  }

  /** Writes and forgets what was counted, in one pipeline. */
  async write(redis: Redis, prefix: string): Promise<void> {
    if (this.buckets.size === 0) return;
    const ttl = Math.ceil(((WINDOW_BUCKETS + 1) * BUCKET_MS) / 1000);
    const batch = redis.multi();
    for (const [bucket, counts] of this.buckets) {
      const recruits = fleetRecruitsKey(prefix, bucket);
      const pairs = fleetPairsKey(prefix, bucket);
      for (const [id, n] of counts.recruits) batch.hincrby(recruits, id, n);
      for (const [field, n] of counts.pairs) batch.hincrby(pairs, field, n);
      batch.expire(recruits, ttl).expire(pairs, ttl);
    }
    this.buckets.clear();
    await batch.exec();
  }
}

/** A front door's demand: counted in memory per request, written every `flushMs`; `close()` writes the rest (idempotent). */
export class DemandRecorder {
  private readonly counts = new Counts();
  private readonly timer: NodeJS.Timeout;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    flushMs = 1000,
  ) {
    this.timer = setInterval(() => void this.flush().catch(() => undefined), flushMs);
    this.timer.unref();
  }

  record(expertIds: readonly string[]): void {
    this.counts.add(expertIds, Date.now());
  }

  flush(): Promise<void> {
    return this.counts.write(this.redis, this.prefix);
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      clearInterval(this.timer);
      await this.flush().catch(() => undefined);
    })();
    return this.closing;
  }
}

export async function readDemand(redis: Redis, prefix: string, now = Date.now()): Promise<Demand> {
  const last = bucketOf(now);
  const buckets = Array.from({ length: WINDOW_BUCKETS }, (_, i) => last - i);
  const batch = redis.multi();
  for (const bucket of buckets) batch.hgetall(fleetRecruitsKey(prefix, bucket)).hgetall(fleetPairsKey(prefix, bucket));
  const replies = ((await batch.exec()) ?? []).map(([, value]) => (value ?? {}) as Record<string, string>);
  const counts: Record<string, number> = {};
  const pairs: Record<string, number> = {};
  replies.forEach((hash, i) => {
    const into = i % 2 === 0 ? counts : pairs;
    for (const [field, value] of Object.entries(hash)) into[field] = (into[field] ?? 0) + Number(value);
  });
  const seconds = (WINDOW_BUCKETS * BUCKET_MS) / 1000;
  return {
    rate: Object.fromEntries(Object.entries(counts).map(([id, n]) => [id, n / seconds])),
    coRecruited: Object.entries(pairs).map(([field, weight]) => {
      const [a, b] = field.split("\n") as [string, string];
      return { a, b, weight };
    }),
  };
}
