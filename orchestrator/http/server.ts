/**
 * The OpenAI-compatible HTTP door, built without listening so tests drive it with `inject()`.
 *
 * Every error leaves in OpenAI's shape with a code: the error handler maps conclave's catalogue,
 * Fastify's body errors (invalid JSON 400, too large 413) and the rate limiter (429). Shutdown is
 * graceful: stop accepting, let in-flight work finish until the deadline, cancel the rest.
 * The orchestrator belongs to the caller, who closes it after the server.
 *
 * Fleet mode (`fleet` option): replicas share through Redis what they must agree on: the rate
 * limiter's counters, the online backlog bound (shared-backlog.ts), and the demand each routed request
 * adds for the workers' placement (queues/fleet/demand.ts). API keys come from the same config and
 * environment on every replica.
 */
import Fastify, { type FastifyError, type FastifyInstance, type FastifyRequest } from "fastify";
import rateLimit from "@fastify/rate-limit";
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import type { Config } from "../config/schema.js";
import { ConclaveError, isConclaveError, toOpenAIErrorBody } from "../../kernel/errors.js";
import type { Orchestrator } from "../orchestrator.js";
import { ANONYMOUS, ApiKeys, type Principal } from "./auth.js";
import type { ServerContext } from "./context.js";
import { InFlight } from "./in-flight.js";
import { ServerMetrics } from "./metrics.js";
import { OPENAPI_INFO } from "./openapi.js";
import { chatRoutes } from "./routes/chat.js";
import { infoRoutes } from "./routes/info.js";
import { batchRoutes } from "./routes/batches.js";
import { UI_SHELL_PATHS, uiRoutes } from "./routes/ui.js";
import type { BatchService } from "../batches/service.js";
import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { SharedBacklog } from "./shared-backlog.js";
import { registerFleetMetrics } from "./fleet-metrics.js";
import { readRegistry, staleAfter } from "../../queues/fleet/registry.js";
import { DemandRecorder } from "../../queues/fleet/demand.js";
import { fleetRateLimitPrefix } from "../../queues/bullmq/names.js";

export interface ServerOptions {
  /** Keys already merged from config and environment. */
  apiKeys: readonly string[];
  /** Keys that see every owner's files and batches (merged likewise). */
  adminKeys?: readonly string[];
  logger?: boolean;
  /** The Batch API; without it the batch routes are absent. The caller owns and closes it. */
  batches?: BatchService;
  /** Fleet mode: the Redis connection the replicas share state through (the caller owns it). */
  fleet?: { redis: Redis; prefix: string; heartbeatMs: number; replicaId?: string };
}

export interface ConclaveServer {
  app: FastifyInstance;
  /** Stops accepting, waits for in-flight requests up to `server.shutdownTimeoutMs`, cancels the rest. Idempotent. */
  close(): Promise<{ cancelled: number }>;
}

/** Paths anyone may call: probes, and (unless server.protectMetrics) metrics scrapers and the docs. */
const PROBE_PATHS = /^\/(healthz|readyz)(\/|$|\?)/;
const READER_PATHS = /^\/(metrics|docs)(\/|$|\?)/;

function asConclaveError(thrown: unknown): ConclaveError {
  const error = thrown instanceof Error ? thrown : new Error(String(thrown));
  if (isConclaveError(error)) return error;
  const fastifyError = error as FastifyError;
  if (fastifyError.code === "FST_REQ_FILE_TOO_LARGE") return new ConclaveError("BODY_TOO_LARGE", "file is larger than batches.maxFileBytes");
  if (fastifyError.code === "FST_ERR_CTP_BODY_TOO_LARGE") return new ConclaveError("BODY_TOO_LARGE", "request body is too large (server.bodyLimit)", { param: "body" });
  if (fastifyError.statusCode === 429) return new ConclaveError("RATE_LIMITED", error.message);
  if (fastifyError.statusCode !== undefined && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    return new ConclaveError("INVALID_REQUEST", `body: ${error.message}`, { param: "body" });
  }
  return new ConclaveError("INTERNAL_ERROR", error.message, { cause: error });
}

/** How much of a refused body is read and thrown away, in multiples of the limit, before the socket is cut. */
const DISCARD_FACTOR = 64;

/**
 * A body over the limit is refused while the client may still be uploading. Closing the socket with
 * unread data in it resets the connection, and a client still writing (or one that reads only after
 * its upload, or one that asked for `connection: close`) then sees a reset instead of the 413. So
 * the rest of the body is read and thrown away first; past `maxBytes` the client is cut off.
 */
function discardRestOfBody(raw: FastifyRequest["raw"], maxBytes: number): Promise<void> {
  return new Promise((resolve) => {
    let discarded = 0;
    const done = () => {
      raw.off("data", count);
      resolve();
    };
    const count = (chunk: Buffer) => {
      discarded += chunk.length;
      if (discarded > maxBytes) done();
    };
    raw.on("data", count);
    raw.once("end", done);
    raw.once("close", done);
    raw.once("error", done);
    raw.resume();
  });
}

export async function buildServer(orchestrator: Orchestrator, options: ServerOptions): Promise<ConclaveServer> {
  const settings = orchestrator.config.server as Readonly<Config["server"]>;
  const app = Fastify({ logger: options.logger ?? false, bodyLimit: settings.bodyLimit, return503OnClosing: true });
  const keys = new ApiKeys(options.apiKeys, options.adminKeys ?? []);
  // The dashboard's page shell is open; its data (/ui/events) is not.
  const isOpen = (url: string) => PROBE_PATHS.test(url) || UI_SHELL_PATHS.test(url) || (!settings.protectMetrics && READER_PATHS.test(url));
  const inFlight = new InFlight();
  const metrics = new ServerMetrics(orchestrator, options.batches);
  const streamed = new WeakSet<FastifyRequest>();
  let closing: Promise<{ cancelled: number }> | undefined;
  const fleet = options.fleet;
  if (fleet) registerFleetMetrics(metrics.registry, fleet.redis, fleet.prefix, staleAfter(fleet.heartbeatMs));
  const demand = fleet ? new DemandRecorder(fleet.redis, fleet.prefix) : undefined;
  const shared = fleet ? new SharedBacklog(fleet.redis, fleet.prefix, fleet.replicaId ?? randomUUID(), fleet.heartbeatMs) : undefined;
  const overCapacity = (count: number) =>
    new ConclaveError(
      "OVER_CAPACITY",
      `over capacity: ${count} requests are being served or waiting (server.maxBacklog ${settings.maxBacklog}${shared ? ", across the fleet's API replicas" : ""}); retry in ${settings.retryAfterSeconds} s`,
    );

  const context: ServerContext = {
    orchestrator,
    settings,
    inFlight,
    metrics,
    ...(fleet ? { fleetAvailable: () => fleetAvailable(fleet, [...orchestrator.statuses.keys()]) } : {}),
    async admit() {
      if (closing) throw new ConclaveError("CLOSED", "the server is shutting down");
      // Online requests only: a large batch queued on the same experts must not turn chat away.
      if (inFlight.size >= settings.maxBacklog) throw overCapacity(inFlight.size);
      if (!shared) return () => undefined;
      const place = await shared.admit(settings.maxBacklog);
      if ("full" in place) throw overCapacity(place.full);
      return place.release;
    },
    routed(routed) {
      demand?.record(routed.recruitment.recruits.map((r) => r.expertId));
    },
    markStreamed: (request) => streamed.add(request),
    isClosing: () => closing !== undefined,
  };

  app.setErrorHandler((error, request, reply) => {
    const failure = asConclaveError(error);
    if (failure.code === "INTERNAL_ERROR") request.log.error({ err: error }, "unexpected error");
    if (failure.code === "OVER_CAPACITY") reply.header("retry-after", String(settings.retryAfterSeconds));
    // Only the body parser's refusal leaves the body unread; a multipart file stream is its plugin's to end.
    if ((error as FastifyError).code === "FST_ERR_CTP_BODY_TOO_LARGE" && !request.raw.complete) {
      return discardRestOfBody(request.raw, DISCARD_FACTOR * settings.bodyLimit).then(() => reply.code(failure.status).send(toOpenAIErrorBody(failure)));
    }
    reply.code(failure.status).send(toOpenAIErrorBody(failure));
  });
  app.setNotFoundHandler((request, reply) => {
    const failure = new ConclaveError("ROUTE_NOT_FOUND", `no route for ${request.method} ${request.url.split("?")[0]}`);
    reply.code(failure.status).send(toOpenAIErrorBody(failure));
  });

  // Fastify wants reference-typed decorations set per request: null here, the principal in the hook.
  app.decorateRequest("principal", null as unknown as Principal);
  app.addHook("onRequest", async (request) => {
    request.principal = isOpen(request.url) ? ANONYMOUS : keys.authenticate(request.headers.authorization);
  });
  if (settings.rateLimitPerMinute > 0) {
    await app.register(rateLimit, {
      max: settings.rateLimitPerMinute,
      timeWindow: 60_000,
      // Shared by the fleet's replicas: one client's limit holds whichever replica it reaches.
      ...(fleet ? { redis: fleet.redis, nameSpace: fleetRateLimitPrefix(fleet.prefix), skipOnError: false } : {}),
      // A key identifies a client only when keys are checked; otherwise any token would reset the count.
      keyGenerator: (request) => (keys.enabled && request.principal !== ANONYMOUS ? request.principal.owner : request.ip),
      allowList: (request) => isOpen(request.url),
      errorResponseBuilder: (_request, limit) =>
        new ConclaveError("RATE_LIMITED", `rate limit of ${limit.max} requests per minute reached; retry in ${limit.after}`),
    });
  }
  // While closing, every response ends its connection: keep-alive sockets would hold close() open.
  app.addHook("onSend", async (_request, reply) => {
    if (closing) reply.header("connection", "close");
  });
  app.addHook("onResponse", async (request, reply) => {
    if (!streamed.has(request)) metrics.observe(request.routeOptions.url ?? "unmatched", request.method, reply.statusCode, reply.elapsedTime / 1000);
  });

  await app.register(swagger, { openapi: { info: OPENAPI_INFO, components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } } } });
  await app.register(swaggerUi, { routePrefix: "/docs" });
  chatRoutes(app, context);
  infoRoutes(app, context);
  if (options.batches) await batchRoutes(app, options.batches, orchestrator.config.batches.maxFileBytes);
  uiRoutes(app, context, { ...(options.batches ? { batches: options.batches } : {}), keysEnabled: keys.enabled });
  await app.ready();

  return {
    app,
    close() {
      closing ??= (async () => {
        const closed = app.close();
        const cancelled = await inFlight.drain(settings.shutdownTimeoutMs);
        app.server.closeIdleConnections();
        await closed;
        await shared?.close();
        await demand?.close();
        return { cancelled };
      })();
      return closing;
    },
  };
}

/** The experts of `ids` that a live worker of the fleet serves; undefined when Redis does not answer within a heartbeat. */
async function fleetAvailable(fleet: NonNullable<ServerOptions["fleet"]>, ids: string[]): Promise<number | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), fleet.heartbeatMs);
  });
  try {
    const registry = await Promise.race([readRegistry(fleet.redis, fleet.prefix, staleAfter(fleet.heartbeatMs)), late]);
    if (!registry) return undefined;
    const live = registry.workers.filter((w) => w.alive);
    return ids.filter((id) => live.some((w) => id in w.serves)).length;
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}
