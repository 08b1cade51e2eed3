/** What every route of one server shares: the orchestrator, settings, in-flight registry, metrics. */
import type { FastifyRequest } from "fastify";
import type { Config } from "../config/schema.js";
import type { Orchestrator } from "../orchestrator.js";
import type { InFlight } from "./in-flight.js";
import type { ServerMetrics } from "./metrics.js";

export interface ServerContext {
  orchestrator: Orchestrator;
  settings: Readonly<Config["server"]>;
  inFlight: InFlight;
  metrics: ServerMetrics;
  /** Throws CLOSED while shutting down and OVER_CAPACITY when the backlog is full. */
  admit(): void;
  /** Streams record their own metrics when the last byte is written. */
  markStreamed(request: FastifyRequest): void;
  isClosing(): boolean;
}

