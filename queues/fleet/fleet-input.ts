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

/** An expert no worker has run yet: unknown, and the policy then replicates on backlog alone. */
const UNKNOWN_SERVICE_SECONDS = 0;

/** The mean service time the workers measured for an expert, weighted alike (seconds). */
function serviceSeconds(registry: RegistrySnapshot, expertId: string): number {
  const measured = registry.workers.flatMap((w) => (w.serviceMs?.[expertId] === undefined ? [] : [w.serviceMs[expertId]]));
  if (measured.length === 0) return UNKNOWN_SERVICE_SECONDS;
  return measured.reduce((sum, ms) => sum + ms, 0) / measured.length / 1000;
}

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
      serviceSeconds: serviceSeconds(registry, id),
    })),
    coRecruited: demand.coRecruited.filter((pair) => experts.has(pair.a) && experts.has(pair.b)),
  };
}
