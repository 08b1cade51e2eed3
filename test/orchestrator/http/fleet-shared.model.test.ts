/**
 * Two API replicas in fleet mode share the rate limiter through Redis: a key's requests count on
 * whichever replica they reach; either replica's /metrics shows the whole fleet's registry. (The
 * backlog bound: shared-backlog.int.test.ts; expert calls: test/queues/fleet/.)
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, expect, it } from "vitest";
import { parseConfig } from "../../../orchestrator/config/load.js";
import { buildServer, type ConclaveServer } from "../../../orchestrator/http/server.js";
import { Orchestrator } from "../../../orchestrator/orchestrator.js";
import { disposeRuntime } from "../../../experts/llama/runtime.js";
import { publishEntry } from "../../../queues/fleet/registry.js";
import { redisServer, startRedis, type TestRedis } from "../../helpers/redis.js";

const REDIS = redisServer();
let redis: TestRedis;
let client: Redis;
let orchestrator: Orchestrator;
let replicas: ConclaveServer[] = [];

beforeAll(async () => {
  if (!REDIS) return;
  redis = await startRedis(REDIS);
  client = new Redis(redis.url, { maxRetriesPerRequest: null });
  orchestrator = await Orchestrator.create(parseConfig({ runtime: { gpu: false, maxThreads: 1 }, server: { execution: "fleet", rateLimitPerMinute: 3 } }, process.cwd()));
  const fleet = { redis: client, prefix: `shared${process.pid}`, heartbeatMs: 1000 };
  replicas = await Promise.all([0, 1].map(() => buildServer(orchestrator, { apiKeys: ["sk-one", "sk-two"], fleet })));
});

afterAll(async () => {
  for (const replica of replicas) await replica.close();
  await orchestrator?.close();
  await disposeRuntime();
  client?.disconnect();
  await redis?.stop();
});

it.skipIf(!REDIS)("counts a key's requests across replicas: the fourth in a minute is refused on either one", async () => {
  const get = (replica: number, key: string) => replicas[replica]!.app.inject({ method: "GET", url: "/v1/models", headers: { authorization: `Bearer ${key}` } });
  expect((await get(0, "sk-one")).statusCode).toBe(200);
  expect((await get(1, "sk-one")).statusCode).toBe(200);
  expect((await get(0, "sk-one")).statusCode).toBe(200);
  const refused = await get(1, "sk-one");
  expect(refused.statusCode).toBe(429);
  expect(refused.json().error.code).toBe("rate_limited");
  // Another key has its own count.
  expect((await get(1, "sk-two")).statusCode).toBe(200);
});

it.skipIf(!REDIS)("shows every worker of the fleet registry in /metrics, alive or not", async () => {
  const prefix = `shared${process.pid}`;
  await publishEntry(client, prefix, { id: "gpu0", budget: 1, resident: ["zoo-numbers"], loading: [], inFlight: { "zoo-numbers": 2 }, serves: {}, loads: { "zoo-numbers": 1 }, served: { "zoo-numbers": 5 }, failed: {}, cancelled: 0 });
  const text = (await replicas[1]!.app.inject({ method: "GET", url: "/metrics" })).body;
  expect(text).toContain('conclave_fleet_worker_alive{worker="gpu0"} 1');
  expect(text).toContain('conclave_fleet_model_resident{worker="gpu0",expert="zoo-numbers"} 1');
  expect(text).toContain('conclave_fleet_expert_in_flight{worker="gpu0",expert="zoo-numbers"} 2');
  expect(text).toContain('conclave_fleet_model_loads_total{worker="gpu0",expert="zoo-numbers"} 1');
  expect(text).toContain('conclave_fleet_expert_served_total{worker="gpu0",expert="zoo-numbers"} 5');
});

it.skipIf(!REDIS)("is ready only while a live worker serves an expert: a front door generates nothing itself", async () => {
  const prefix = `shared${process.pid}`;
  const ready = async () => {
    const response = await replicas[0]!.app.inject({ method: "GET", url: "/readyz" });
    return { code: response.statusCode, body: response.json() as { status: string; available_experts: number } };
  };
  // The models load fine in this process, but no worker serves any of them.
  expect(await ready()).toEqual({ code: 503, body: { status: "no_expert_available", available_experts: 0 } });
  const entry = { budget: 1, resident: [], loading: [], inFlight: {}, loads: {}, served: {}, failed: {}, cancelled: 0 };
  await publishEntry(client, prefix, { ...entry, id: "gpu-ready", serves: { "zoo-numbers": { memory: 1, slots: 4 }, "zoo-letters": { memory: 1, slots: 4 }, unknown: { memory: 1, slots: 1 } } });
  expect(await ready()).toEqual({ code: 200, body: { status: "ready", available_experts: 2 } });
});
