/**
 * The fleet's residency registry: every worker publishes, once per heartbeat, what it holds (models
 * resident and loading, the experts it can serve with their memory and slots, sequences in use per
 * expert, its memory budget) into one Redis hash, field = worker id. Each entry is stamped with
 * Redis's own clock (TIME inside the script), and readers compare with the same clock, so machines
 * with skewed clocks still agree on who is alive: an entry older than `staleMs` is a dead worker.
 * Entries dead for long are deleted by readers; a worker that closes deletes its own.
 */
import type { Redis } from "ioredis";
import { fleetWorkersKey } from "../bullmq/names.js";

export interface WorkerEntry {
  id: string;
  /** RAM the worker's resident models may use together. */
  budget: number;
  resident: string[];
  loading: string[];
  /** Generations running or queued in the worker's scheduler, per expert. */
  inFlight: Record<string, number>;
  /** Experts the worker can serve (its config has them and they fit), with their memory (bytes) and slots. */
  serves: Record<string, { memory: number; slots: number }>;
  /** Model loads since the worker started, per expert. */
  loads: Record<string, number>;
  /** Generations since the worker started, per expert: ended with a result, and without one (failed or cancelled). */
  served: Record<string, number>;
  failed: Record<string, number>;
  /** Online generations that clients cancelled, stopped here (running, or skipped before they ran). */
  cancelled: number;
  /** Mean time of a generation per expert on this worker (ms), where it ran any; the placement's service time. */
  serviceMs?: Record<string, number>;
}

export interface RegistryView extends WorkerEntry {
  /** Redis time of the last heartbeat (ms). */
  at: number;
  alive: boolean;
}

export interface RegistrySnapshot {
  /** Redis time of the read (ms). */
  now: number;
  workers: RegistryView[];
}

const PUBLISH = `
local t = redis.call('TIME')
local ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('HSET', KEYS[1], ARGV[1], ms .. ' ' .. ARGV[2])
return ms`;

const READ = `
local t = redis.call('TIME')
local ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return {ms, redis.call('HGETALL', KEYS[1])}`;

/** Entries silent for this many times `staleMs` are deleted (long enough to be seen dead first). */
const FORGET_FACTOR = 20;

export async function publishEntry(redis: Redis, prefix: string, entry: WorkerEntry): Promise<void> {
  await redis.eval(PUBLISH, 1, fleetWorkersKey(prefix), entry.id, JSON.stringify(entry));
}

export async function removeEntry(redis: Redis, prefix: string, workerId: string): Promise<void> {
  await redis.hdel(fleetWorkersKey(prefix), workerId);
}

function parseEntry(raw: string): { at: number; entry: WorkerEntry } | undefined {
  const space = raw.indexOf(" ");
  try {
    return { at: Number(raw.slice(0, space)), entry: JSON.parse(raw.slice(space + 1)) as WorkerEntry };
  } catch {
    return undefined;
  }
}

export async function readRegistry(redis: Redis, prefix: string, staleMs: number): Promise<RegistrySnapshot> {
  const [now, flat] = (await redis.eval(READ, 1, fleetWorkersKey(prefix))) as [number, string[]];
  const workers: RegistryView[] = [];
  const forgotten: string[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const parsed = parseEntry(flat[i + 1]!);
    if (!parsed) continue;
    const age = now - parsed.at;
    if (age > FORGET_FACTOR * staleMs) forgotten.push(flat[i]!);
    else workers.push({ ...parsed.entry, at: parsed.at, alive: age <= staleMs });
  }
  if (forgotten.length > 0) await redis.hdel(fleetWorkersKey(prefix), ...forgotten);
  workers.sort((a, b) => a.id.localeCompare(b.id));
  return { now, workers };
}

/** A worker is taken for dead after this many silent heartbeats. */
export const staleAfter = (heartbeatMs: number): number => 3 * heartbeatMs;
