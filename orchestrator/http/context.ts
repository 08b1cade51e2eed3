/** What every route of one server shares: the orchestrator, settings, in-flight registry, metrics. */
import type { FastifyRequest } from "fastify";
import type { Config } from "../config/schema.js";
import type { RouteResult } from "../../kernel/contracts.js";
import type { Orchestrator } from "../orchestrator.js";
import type { InFlight } from "./in-flight.js";
import type { ServerMetrics } from "./metrics.js";

export interface ServerContext {
  orchestrator: Orchestrator;
  settings: Readonly<Config["server"]>;
  inFlight: InFlight;
  metrics: ServerMetrics;
  /**
   * Throws CLOSED while shutting down and OVER_CAPACITY when the backlog (the fleet's, across replicas,
   * in fleet mode) is full; else resolves with the release to call when the request ends.
   */
  admit(): Promise<() => void>;
  /** A request was routed: its recruits count as demand for the fleet's placement (fleet mode only). */
  routed(routed: RouteResult): void;
  /** Streams record their own metrics when the last byte is written. */
  markStreamed(request: FastifyRequest): void;
  isClosing(): boolean;
  /**
   * Fleet mode: how many of the pool's experts a live worker serves now (from the residency registry),
   * or undefined when Redis does not answer within a heartbeat. This replica generates nothing itself.
   */
  fleetAvailable?(): Promise<number | undefined>;
}

