/**
 * Per-expert claims: a worker draining an expert's queue holds `${prefix}:claim:<expert>` with its
 * id and a TTL, so other workers prefer other experts instead of loading the same model. `take`
 * succeeds only when the claim is free (SET NX PX); `hold` takes it when free and renews it when
 * ours; `release` deletes it only when ours. A dead worker's claims simply expire.
 */
import type { Redis } from "ioredis";
import { claimKey } from "./names.js";

const HOLD = `
local holder = redis.call('GET', KEYS[1])
if not holder then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
if holder == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
return 0`;

const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

export class Claims {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly workerId: string,
    private readonly ttlMs: number,
  ) {}

  async take(expertId: string): Promise<boolean> {
    return (await this.redis.set(claimKey(this.prefix, expertId), this.workerId, "PX", this.ttlMs, "NX")) !== null;
  }

  async hold(expertId: string): Promise<boolean> {
    return (await this.redis.eval(HOLD, 1, claimKey(this.prefix, expertId), this.workerId, this.ttlMs)) === 1;
  }

  async release(expertId: string): Promise<void> {
    await this.redis.eval(RELEASE, 1, claimKey(this.prefix, expertId), this.workerId);
  }

  /** Per expert: whether another worker holds its claim. */
  async heldByOthers(expertIds: readonly string[]): Promise<boolean[]> {
    if (expertIds.length === 0) return [];
    const holders = await this.redis.mget(expertIds.map((id) => claimKey(this.prefix, id)));
    return holders.map((holder) => holder !== null && holder !== this.workerId);
  }
}
