/**
 * Fleet mode's wiring for the CLI (server.execution: fleet): the front door's client that turns expert
 * calls into jobs, and a worker's fleet options (online jobs, heartbeat, placement). Both need
 * REDIS_URL; without it fleet mode is a CONFIG_INVALID naming it.
 */
import type { Config } from "../config/schema.js";
import type { Orchestrator } from "../orchestrator.js";
import { ConclaveError } from "../../kernel/errors.js";
import { FleetClient } from "../../queues/fleet/client.js";
import { place } from "../../queues/fleet/placement.js";
import type { FleetWorkerOptions } from "../../queues/bullmq/worker.js";

export function fleetRedisUrl(env: Record<string, string | undefined>): string {
  const url = env["REDIS_URL"];
  if (!url) throw new ConclaveError("CONFIG_INVALID", "server.execution: fleet needs REDIS_URL (for example redis://localhost:6379)", { param: "REDIS_URL" });
  return url;
}

/**
 * The expert-call client of a front door in fleet mode; undefined when the config runs experts locally.
 * `warn` hears of a Redis outage once (until the connection is back).
 */
export function fleetClientFor(config: Readonly<Config>, env: Record<string, string | undefined>, warn?: (text: string) => void): FleetClient | undefined {
  if (config.server.execution !== "fleet") return undefined;
  return new FleetClient({
    redisUrl: fleetRedisUrl(env),
    prefix: config.batches.queue.prefix,
    heartbeatMs: config.server.heartbeatMs,
    ...(warn ? { onError: (error: Error) => warn(`warning: fleet Redis unreachable (${error.message}); expert calls wait until it answers`) } : {}),
  });
}

/** A worker's part of the fleet: online jobs run on this process's scheduler at online priority. */
export function fleetWorkerOptions(orchestrator: Orchestrator): FleetWorkerOptions | undefined {
  if (orchestrator.config.server.execution !== "fleet") return undefined;
  return {
    heartbeatMs: orchestrator.config.server.heartbeatMs,
    generate: (expertId, request) => orchestrator.scheduler.submit(expertId, request, { workClass: "online" }),
    placement: place,
  };
}
