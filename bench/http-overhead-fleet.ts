/**
 * The fleet row of the HTTP overhead bench: the same expert served in fleet mode. A redis-server
 * child (REDIS_SERVER or redis-server on PATH; REDIS_URL to use a running one instead), a worker
 * (`runWorker` with fleet options, its own orchestrator holding its own copy of the model) and a
 * front door (its orchestrator sends expert calls through a FleetClient) all run in this process,
 * so the row measures what the fleet's path adds (a queued job, the worker's pickup, the stream
 * back through Redis) on the same cores and the same event loop as the in-process rows, without a
 * second process's scheduling noise. `undefined` when no Redis can be had.
 */
import type { Config } from "../orchestrator/config/schema.js";
import { Orchestrator } from "../orchestrator/orchestrator.js";
import { buildServer } from "../orchestrator/http/server.js";
import { FleetClient } from "../queues/fleet/client.js";
import { place } from "../queues/fleet/placement.js";
import { runWorker } from "../queues/bullmq/worker.js";
import { findRedisServer, startRedis } from "../test/helpers/redis.js";

export interface FleetServer {
  /** POST /v1/chat/completions of the fleet-mode front door. */
  url: string;
  close(): Promise<void>;
}

/** REDIS_URL when set, else a private redis-server (test/helpers/redis.ts, as the batch-queues bench does). */
async function redisFor(): Promise<{ url: string; stop(): Promise<void> | void } | undefined> {
  if (process.env["REDIS_URL"]) return { url: process.env["REDIS_URL"], stop: () => undefined };
  const binary = findRedisServer();
  return binary ? startRedis(binary) : undefined;
}

export async function fleetServer(config: Readonly<Config>): Promise<FleetServer | undefined> {
  const redis = await redisFor();
  if (!redis) return undefined;
  const prefix = `bench${process.pid}`;
  const fleetConfig: Readonly<Config> = { ...config, server: { ...config.server, execution: "fleet" }, batches: { ...config.batches, queue: { ...config.batches.queue, prefix } } };
  const closers: Array<() => Promise<unknown> | void> = [() => redis.stop()];
  const close = async () => {
    for (const step of closers.reverse()) await step();
  };
  try {
    const workerEngine = await Orchestrator.create(fleetConfig);
    closers.push(() => workerEngine.close());
    const worker = await runWorker(workerEngine, {
      redisUrl: redis.url,
      prefix,
      fleet: {
        heartbeatMs: fleetConfig.server.heartbeatMs,
        generate: (expertId, request) => workerEngine.scheduler.submit(expertId, request, { workClass: "online" }),
        placement: place,
      },
    });
    closers.push(() => worker.close());
    const client = new FleetClient({ redisUrl: redis.url, prefix, heartbeatMs: fleetConfig.server.heartbeatMs });
    closers.push(() => client.close());
    const front = await Orchestrator.create(fleetConfig, { expertCalls: client });
    closers.push(() => front.close());
    const server = await buildServer(front, { apiKeys: [], fleet: { redis: client.connection, prefix, heartbeatMs: fleetConfig.server.heartbeatMs } });
    closers.push(() => server.close());
    const url = `${await server.app.listen({ port: 0, host: "127.0.0.1" })}/v1/chat/completions`;
    return { url, close };
  } catch (error) {
    await close();
    throw error;
  }
}
