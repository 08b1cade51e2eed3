/**
 * `fifo-lru`: how local multi-model servers schedule today (Ollama's scheduler, llama-swap). Requests
 * are taken in arrival order, whatever their expert or class; a request for a resident model is
 * dispatched at once (up to its slots); the first request for a model that is not resident blocks
 * every later one until that model is loaded, on demand, after evicting least-recently-used models
 * that have no dispatched work, within the same memory budget as `grouped`. One load at a time.
 * No grouping, no fairness cap, no sticky aggregator, no online priority, no prefetch.
 *
 * Pure: the arrival order comes from each expert's `oldestArrival` (a sequence over all experts).
 */
import { fits, memoryInUse, NONE, type Decision, type ExpertSnapshot, type PolicyInput } from "./policy.js";

/** Arrival of an expert's oldest item; without a sequence, the older wait comes first. */
function arrival(expert: ExpertSnapshot): number {
  return expert.oldestArrival ?? -expert.oldestWaitMs;
}

export function decideFifoLru(input: PolicyInput): Decision {
  const queued = input.experts.filter((e) => e.backlog > 0).sort((a, b) => arrival(a) - arrival(b) || a.id.localeCompare(b.id));
  // The oldest request whose model is not ready: nothing that arrived after it is dispatched.
  const blocker = queued.find((e) => !e.resident || e.loading);
  const before = (e: ExpertSnapshot) => !blocker || arrival(e) < arrival(blocker);
  const serve = queued.find((e) => e.resident && !e.loading && e.inFlight < e.slots && before(e));
  if (serve) return { kind: "serve", expertId: serve.id };
  if (!blocker) return { kind: "wait", reason: "every request is dispatched" };

  const loading = input.experts.find((e) => e.loading);
  if (loading) return { kind: "wait", reason: `loading ${loading.id}` };
  if (!fits(blocker.memory, NONE, input.budget)) {
    return { kind: "refuse", expertId: blocker.id, reason: `${blocker.id} needs more memory than the whole budget` };
  }
  const used = memoryInUse(input.experts);
  if (fits(blocker.memory, used, input.budget)) return { kind: "load", expertId: blocker.id, evict: [] };

  // Idle: nothing running and nothing dispatched (its waiting items, if any, came after the blocker).
  const victims = input.experts
    .filter((e) => e.local && e.resident && !e.loading && e.inFlight === 0 && (e.backlog === 0 || !before(e)))
    .sort((a, b) => a.lastUsedAt - b.lastUsedAt || a.id.localeCompare(b.id));
  const evict: string[] = [];
  let freed = used;
  for (const victim of victims) {
    evict.push(victim.id);
    freed = { ram: freed.ram - victim.memory.ram, vram: freed.vram - victim.memory.vram };
    if (fits(blocker.memory, freed, input.budget)) return { kind: "load", expertId: blocker.id, evict };
  }
  return { kind: "wait", reason: `${blocker.id} waits for least-recently-used models to finish` };
}
