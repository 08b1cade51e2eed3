/** The residency registry and the demand record on a real Redis (Redis's clock, expiry, sums). */
import { Redis } from "ioredis";
import { afterAll, beforeAll, expect, it } from "vitest";
import { fleetWorkersKey } from "../../../queues/bullmq/names.js";
import { BUCKET_MS, DemandRecorder, readDemand, recordRecruitment, WINDOW_BUCKETS } from "../../../queues/fleet/demand.js";
import { publishEntry, readRegistry, removeEntry, type WorkerEntry } from "../../../queues/fleet/registry.js";
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

const entry = (id: string): WorkerEntry => ({ id, budget: 10, resident: ["a"], loading: [], inFlight: { a: 2 }, serves: { a: { memory: 1, slots: 4 } }, loads: { a: 1 }, served: {}, failed: {}, cancelled: 0 });

it.skipIf(!REDIS)("reads live workers as alive, silent ones as dead, and forgets the long silent", async () => {
  const prefix = `registry${process.pid}`;
  await publishEntry(client, prefix, entry("w1"));
  await publishEntry(client, prefix, entry("w2"));
  // w2's last heartbeat 1 s ago, w3's an hour ago (stamped as the script stamps them: Redis ms, a space, JSON).
  const [seconds] = (await client.time()) as [string | number, string | number];
  const now = Number(seconds) * 1000;
  await client.hset(fleetWorkersKey(prefix), "w2", `${now - 1000} ${JSON.stringify(entry("w2"))}`, "w3", `${now - 3_600_000} ${JSON.stringify(entry("w3"))}`);
  const snapshot = await readRegistry(client, prefix, 500);
  expect(snapshot.workers.map((w) => [w.id, w.alive])).toEqual([
    ["w1", true],
    ["w2", false],
  ]);
  expect(snapshot.workers[0]).toMatchObject({ resident: ["a"], inFlight: { a: 2 }, loads: { a: 1 } });
  expect(await client.hexists(fleetWorkersKey(prefix), "w3")).toBe(0);
  await removeEntry(client, prefix, "w1");
  expect((await readRegistry(client, prefix, 500)).workers.map((w) => w.id)).toEqual(["w2"]);
});

it.skipIf(!REDIS)("turns recruitments into per-expert rates and co-recruitment counts over the window", async () => {
  const prefix = `demand${process.pid}`;
  const now = 50 * BUCKET_MS;
  await recordRecruitment(client, prefix, ["a", "b"], now);
  await recordRecruitment(client, prefix, ["b", "a", "a"], now - BUCKET_MS);
  await recordRecruitment(client, prefix, ["c"], now - WINDOW_BUCKETS * BUCKET_MS); // outside the window
  const demand = await readDemand(client, prefix, now);
  const seconds = (WINDOW_BUCKETS * BUCKET_MS) / 1000;
  expect(demand.rate).toEqual({ a: 2 / seconds, b: 2 / seconds });
  expect(demand.coRecruited).toEqual([{ a: "a", b: "b", weight: 2 }]);
  expect(await client.ttl(`${prefix}:fleet:recruits:50`)).toBeGreaterThan(0);
});

it.skipIf(!REDIS)("a front door's recorder counts in memory and writes on flush and on close", async () => {
  const prefix = `recorder${process.pid}`;
  const recorder = new DemandRecorder(client, prefix, 60_000);
  recorder.record(["a", "b"]);
  recorder.record(["a"]);
  expect((await readDemand(client, prefix)).rate).toEqual({});
  await recorder.flush();
  const seconds = (WINDOW_BUCKETS * BUCKET_MS) / 1000;
  expect((await readDemand(client, prefix)).rate).toEqual({ a: 2 / seconds, b: 1 / seconds });
  recorder.record(["b"]);
  await recorder.close();
  await recorder.close();
  expect((await readDemand(client, prefix)).rate["b"]).toBe(2 / seconds);
});
