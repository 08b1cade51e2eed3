/**
 * `conclave serve`: the HTTP door on a port until SIGINT/SIGTERM, then a graceful shutdown (stop
 * accepting, finish or cancel in-flight work within server.shutdownTimeoutMs, unload every model).
 */
import type { Orchestrator } from "../orchestrator.js";
import { resolveApiKeys } from "../http/auth.js";
import { buildServer } from "../http/server.js";
import { createExecutor } from "../batches/executor.js";
import { BatchService } from "../batches/service.js";
import type { FleetClient } from "../../queues/fleet/client.js";

export interface ServeOptions {
  port?: number;
  host?: string;
  env: Record<string, string | undefined>;
  print: (text: string) => void;
  /** Resolves when the server should stop (signals in the CLI, a test's trigger otherwise). */
  stopped: Promise<string>;
  /** Fleet mode: the client the orchestrator sends expert calls through (its connection shares limits too). */
  fleet?: FleetClient;
}

export async function serve(orchestrator: Orchestrator, options: ServeOptions): Promise<void> {
  const settings = orchestrator.config.server;
  const apiKeys = resolveApiKeys(settings.apiKeys, settings.apiKeysEnv, options.env);
  const adminKeys = resolveApiKeys(settings.adminKeys, settings.adminKeysEnv, options.env);
  const executor = await createExecutor(orchestrator, options.env);
  const batches = new BatchService(orchestrator, executor);
  let server: Awaited<ReturnType<typeof buildServer>> | undefined;
  let address: string;
  try {
    await batches.start();
    const fleet = options.fleet
      ? { fleet: { redis: options.fleet.connection, prefix: orchestrator.config.batches.queue.prefix, heartbeatMs: settings.heartbeatMs } }
      : {};
    server = await buildServer(orchestrator, { apiKeys, adminKeys, logger: false, batches, ...fleet });
    const envPort = options.env["PORT"] ? Number(options.env["PORT"]) : undefined;
    address = await server.app.listen({ port: options.port ?? envPort ?? settings.port, host: options.host ?? settings.host });
  } catch (error) {
    // A failed start (port in use, Redis down) must not leave sockets open that keep the process alive.
    await server?.close().catch(() => undefined);
    await batches.close().catch(() => undefined);
    throw error;
  }
  const experts = [...orchestrator.statuses.values()].filter((s) => !s.unavailable).map((s) => s.id);
  options.print(`conclave listening on ${address}: model "${settings.ensemble}" routes across ${experts.join(", ")}`);
  options.print(`  POST ${address}/v1/chat/completions · GET /v1/models · POST /v1/route · /v1/files · /v1/batches · /metrics · /docs${apiKeys.length + adminKeys.length ? " (API keys required)" : ""}`);
  options.print(`  batches run ${executor.kind === "bullmq" ? "on BullMQ workers (REDIS_URL)" : "in this process"}; files in ${orchestrator.config.batches.dir}`);
  if (options.fleet) options.print("  fleet mode: expert calls run as online jobs on `conclave worker` processes; tokens come back on Redis Streams");
  const signal = await options.stopped;
  options.print(`${signal}: shutting down (in-flight requests get ${settings.shutdownTimeoutMs} ms)`);
  const { cancelled } = await server.close();
  await batches.close();
  if (cancelled) options.print(`cancelled ${cancelled} request(s) still running at the deadline`);
}

/** Resolves with the first of SIGINT / SIGTERM. */
export function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    const stop = (signal: string) => () => resolve(signal);
    process.once("SIGINT", stop("SIGINT"));
    process.once("SIGTERM", stop("SIGTERM"));
  });
}
