/**
 * The online backlog bound shared by API replicas, on a real Redis: the replicas together never
 * hold more than the limit, a release frees a place for any replica, and a replica whose lease
 * lapsed (a dead process) stops counting.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, expect, it } from "vitest";
import { fleetBacklogKey } from "../../../queues/bullmq/names.js";
import { SharedBacklog } from "../../../orchestrator/http/shared-backlog.js";
import { redisServer, startRedis, type TestRedis } from "../../helpers/redis.js";

const REDIS = redisServer();
let redis: TestRedis;
let client: Redis;

beforeAll(async () => {
  if (!REDIS) return;
  redis = await startRedis(REDIS);
  client = new Redis(redis.url);
});

afterAll(async () => {
  client?.disconnect();
  await redis?.stop();
});

const release = (place: { release: () => void } | { full: number }) => {
  if (!("release" in place)) throw new Error(`expected a place, the backlog was full at ${place.full}`);
  return place.release;
};

it.skipIf(!REDIS)("bounds the online requests of all replicas together, and forgets a replica whose lease lapsed", async () => {
  const prefix = `backlog${process.pid}`;
  const a = new SharedBacklog(client, prefix, "a", 1000);
  const b = new SharedBacklog(client, prefix, "b", 1000);
  const dead = new SharedBacklog(client, prefix, "dead", 1000);
  try {
    const first = release(await a.admit(3));
    release(await a.admit(3));
    release(await b.admit(3));
    expect(await b.admit(3)).toEqual({ full: 3 });
    expect(await a.admit(3)).toEqual({ full: 3 });
    first();
    first(); // twice is once
    const third = release(await b.admit(3));
    expect(await a.admit(3)).toEqual({ full: 3 });
    third();
    release(await dead.admit(3));
    expect(await a.admit(3)).toEqual({ full: 3 });
    // The dead replica stops renewing: once its lease is in the past, its requests no longer count.
    await dead.close().then(() => client.hset(`${fleetBacklogKey(prefix)}:counts`, "dead", 1)).then(() => client.hset(`${fleetBacklogKey(prefix)}:leases`, "dead", 0));
    release(await a.admit(3));
    expect(await client.hexists(`${fleetBacklogKey(prefix)}:counts`, "dead")).toBe(0);
  } finally {
    await Promise.all([a.close(), b.close(), dead.close()]);
  }
});

it.skipIf(!REDIS)("a live replica whose lease lapsed and whose count was dropped does not go below zero when its requests end", async () => {
  const prefix = `backlog-lapse${process.pid}`;
  const counts = `${fleetBacklogKey(prefix)}:counts`;
  const a = new SharedBacklog(client, prefix, "a", 1000);
  const b = new SharedBacklog(client, prefix, "b", 1000);
  try {
    const one = release(await a.admit(2));
    const two = release(await a.admit(2));
    // a stalls past its lease (no renewal for three heartbeats): b's next admit drops a's fields.
    await client.hset(`${fleetBacklogKey(prefix)}:leases`, "a", 0);
    release(await b.admit(2))();
    // a's two requests end after their count was dropped.
    one();
    two();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(Number((await client.hget(counts, "a")) ?? "0")).toBeGreaterThanOrEqual(0);
    await new Promise((resolve) => setTimeout(resolve, 50)); // b's release lands
    // Idle now: the bound holds again, two places and no more.
    release(await a.admit(2));
    release(await a.admit(2));
    expect(await a.admit(2)).toEqual({ full: 2 });
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
});
