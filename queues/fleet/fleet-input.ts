/**
 * Builds the placement policy's input from what the fleet shares in Redis: the residency registry
 * (workers alive or not, what they hold and run), each expert queue's backlog split by priority, and
 * the front doors' demand (recruitment rates, co-recruitment). Pure: the worker loop does the reads.
 */
import type { Demand } from "./demand.js";
import type { PlacementInput } from "./placement-port.js";
import type { RegistrySnapshot } from "./registry.js";

export interface QueueBacklog {
  online: number;
  batch: number;
}

/** Unknown (the policy then replicates on backlog alone): workers do not measure service times yet. */
const UNKNOWN_SERVICE_SECONDS = 0;

export function placementInput(registry: RegistrySnapshot, backlog: ReadonlyMap<string, QueueBacklog>, demand: Demand): PlacementInput {
  const experts = new Map<string, { memory: number; slots: number }>();
  for (const worker of registry.workers) for (const [id, spec] of Object.entries(worker.serves)) if (!experts.has(id)) experts.set(id, spec);
  return {
    workers: registry.workers.map((w) => ({ id: w.id, budget: w.budget, resident: w.resident, loading: w.loading, inFlight: w.inFlight, alive: w.alive })),
    experts: [...experts].map(([id, spec]) => ({
      id,
      memory: spec.memory,
      slots: spec.slots,
      backlog: backlog.get(id) ?? { online: 0, batch: 0 },
      rate: demand.rate[id] ?? 0,
      serviceSeconds: UNKNOWN_SERVICE_SECONDS,
    })),
    coRecruited: demand.coRecruited.filter((pair) => experts.has(pair.a) && experts.has(pair.b)),
  };
}
