/**
 * Demand the front doors see, shared through Redis for the placement policy: per time bucket
 * (`BUCKET_MS`), how often each expert was recruited and how often each pair of experts was recruited
 * together. Buckets expire on their own; `readDemand` sums the last `WINDOW_BUCKETS` into a rate
 * (recruitments per second) and co-recruitment counts.
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
  const ids = [...new Set(expertIds)];
  if (ids.length === 0) return;
  const bucket = bucketOf(now);
  const ttl = Math.ceil(((WINDOW_BUCKETS + 1) * BUCKET_MS) / 1000);
  const recruits = fleetRecruitsKey(prefix, bucket);
  const pairs = fleetPairsKey(prefix, bucket);
  const batch = redis.multi();
  for (const id of ids) batch.hincrby(recruits, id, 1);
  for (let i = 0; i < ids.length; i++) for (let j = i + 1; j < ids.length; j++) batch.hincrby(pairs, pairField(ids[i]!, ids[j]!), 1);
  batch.expire(recruits, ttl).expire(pairs, ttl);
  await batch.exec();
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
