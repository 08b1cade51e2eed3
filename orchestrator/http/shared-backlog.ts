/**
 * The online backlog several API replicas share (fleet mode): `server.maxBacklog` bounds the online
 * requests in flight across all replicas, not per replica. Each replica counts its own requests in a
 * Redis hash (field = replica id) and stamps a lease in a second hash, renewed every heartbeat; the
 * admit script sums the counts of replicas whose lease is current (a replica that died stops counting
 * once its lease lapses, and its fields are dropped) and increments ours only below the limit, in one
 * atomic step, so two replicas never both take the last place. Redis's clock stamps the leases.
 * `close()` removes this replica's fields and is idempotent.
 */
import type { Redis } from "ioredis";
import { fleetBacklogKey } from "../../queues/bullmq/names.js";

const NOW = `local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/** KEYS: counts, leases. ARGV: replica, max, lease ms. Returns {admitted 0/1, total before}. */
const ADMIT = `${NOW}
local flat = redis.call('HGETALL', KEYS[2])
local total = 0
for i = 1, #flat, 2 do
  if tonumber(flat[i + 1]) < now then
    redis.call('HDEL', KEYS[1], flat[i]) redis.call('HDEL', KEYS[2], flat[i])
  else
    total = total + math.max(0, tonumber(redis.call('HGET', KEYS[1], flat[i]) or '0'))
  end
end
redis.call('HSET', KEYS[2], ARGV[1], now + tonumber(ARGV[3]))
if total >= tonumber(ARGV[2]) then return {0, total} end
redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
return {1, total}`;

const RENEW = `${NOW} redis.call('HSET', KEYS[2], ARGV[1], now + tonumber(ARGV[2])) return 1`;

/**
 * KEYS: counts. ARGV: replica. Gives a place back, never below zero: when this replica's lease lapsed
 * while it lived (a stalled event loop, Redis out of reach for three heartbeats), another replica's
 * admit dropped its count, and the requests it had admitted end afterwards; decrementing past zero
 * would leave a negative count that lets the replica exceed the limit by as much for good.
 */
const RELEASE = `local n = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if n > 0 then redis.call('HINCRBY', KEYS[1], ARGV[1], -1) end
return 1`;

export class SharedBacklog {
  private readonly counts: string;
  private readonly leases: string;
  private readonly timer: NodeJS.Timeout;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    private readonly replicaId: string,
    private readonly heartbeatMs: number,
  ) {
    this.counts = `${fleetBacklogKey(prefix)}:counts`;
    this.leases = `${fleetBacklogKey(prefix)}:leases`;
    this.timer = setInterval(() => void this.renew().catch(() => undefined), heartbeatMs);
    this.timer.unref();
  }

  private get leaseMs(): number {
    return 3 * this.heartbeatMs;
  }

  private renew(): Promise<unknown> {
    return this.redis.eval(RENEW, 2, this.counts, this.leases, this.replicaId, this.leaseMs);
  }

  /** Takes a place when the replicas together hold fewer than `max`; returns its release, or the total in flight when full. */
  async admit(max: number): Promise<{ release: () => void } | { full: number }> {
    const [admitted, total] = (await this.redis.eval(ADMIT, 2, this.counts, this.leases, this.replicaId, max, this.leaseMs)) as [number, number];
    if (admitted !== 1) return { full: total };
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        void this.redis.eval(RELEASE, 1, this.counts, this.replicaId).catch(() => undefined);
      },
    };
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      clearInterval(this.timer);
      await Promise.all([this.redis.hdel(this.counts, this.replicaId), this.redis.hdel(this.leases, this.replicaId)]).catch(() => undefined);
    })();
    return this.closing;
  }
}
