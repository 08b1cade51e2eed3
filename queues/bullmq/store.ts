/**
 * The batch's own Redis state, changed only through small Lua scripts so each step is atomic:
 *
 * - reserve: marks customIds as enqueued (skipping any already enqueued or with a result) and adds
 *   the fresh ones to the pending counter; returns the fresh ones. unreserve undoes it.
 * - record: HSETNX of the result line (counting failed lines, so progress never re-reads them all);
 *   decrements pending only when the field was actually set (and
 *   the parent was not settled as skipped), so a parent re-run after a crash never doubles a line
 *   nor double-counts.
 * - skip: settles a parent of a cancelled batch without a line (once per customId; never after a
 *   line was recorded).
 */
import type { Redis } from "ioredis";
import type { BatchResultLine } from "../batch-executor.js";
import type { BatchKeys } from "./names.js";

const RESERVE = `
local fresh = {}
for i = 1, #ARGV do
  local id = ARGV[i]
  if redis.call('HEXISTS', KEYS[1], id) == 0 and redis.call('SADD', KEYS[2], id) == 1 then fresh[#fresh + 1] = id end
end
if #fresh > 0 then redis.call('INCRBY', KEYS[3], #fresh) end
return fresh`;

const UNRESERVE = `
local removed = redis.call('SREM', KEYS[1], unpack(ARGV))
if removed > 0 then redis.call('DECRBY', KEYS[2], removed) end
return removed`;

const RECORD = `
if redis.call('SISMEMBER', KEYS[3], ARGV[1]) == 1 then return 0 end
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 1 then
  redis.call('DECR', KEYS[2])
  if ARGV[3] == '0' then redis.call('INCR', KEYS[4]) end
  return 1
end
return 0`;

const SKIP = `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return 0 end
if redis.call('SADD', KEYS[3], ARGV[1]) == 1 then
  redis.call('DECR', KEYS[2])
  return 1
end
return 0`;

export async function reserve(redis: Redis, keys: BatchKeys, customIds: readonly string[]): Promise<string[]> {
  if (customIds.length === 0) return [];
  return (await redis.eval(RESERVE, 3, keys.results, keys.enqueued, keys.pending, ...customIds)) as string[];
}

export async function unreserve(redis: Redis, keys: BatchKeys, customIds: readonly string[]): Promise<void> {
  if (customIds.length > 0) await redis.eval(UNRESERVE, 2, keys.enqueued, keys.pending, ...customIds);
}

/** True when this call recorded the line (false: a line for the customId already existed). */
export async function record(redis: Redis, keys: BatchKeys, result: BatchResultLine): Promise<boolean> {
  return (await redis.eval(RECORD, 4, keys.results, keys.pending, keys.skipped, keys.failed, result.customId, JSON.stringify(result), result.ok ? "1" : "0")) === 1;
}

export async function skip(redis: Redis, keys: BatchKeys, customId: string): Promise<boolean> {
  return (await redis.eval(SKIP, 3, keys.results, keys.pending, keys.skipped, customId)) === 1;
}

export async function isCancelled(redis: Redis, keys: BatchKeys): Promise<boolean> {
  return (await redis.exists(keys.cancelled)) === 1;
}
