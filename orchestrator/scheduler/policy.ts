/**
 * The scheduling policy: a pure function from a snapshot of the experts (resident or not, backlog,
 * memory, slots in use) to the next thing to do. The scheduler applies the decision and asks again
 * until the answer is "wait".
 *
 * Rules, in order:
 * 1. serve: a resident expert with backlog and a free slot takes its next item (the one with the
 *    heaviest age-weighted backlog first), unless it is yielding: it has served `fairnessCap` items
 *    since its load while another expert waits for memory it holds.
 * 2. one load at a time: while a model loads, only serving happens.
 * 3. load: the waiting expert with the heaviest age-weighted backlog is loaded when it fits, after
 *    evicting idle experts (no backlog, or yielding) - least recently used first, sticky experts (the
 *    aggregator) only when no other local expert is resident. A model bigger than the whole budget is
 *    refused.
 * 4. otherwise wait for running work to finish.
 */

export interface MemoryNeed {
  ram: number;
  vram: number;
}

export interface ExpertSnapshot {
  id: string;
  /** Local experts need loading and memory; remote ones are always resident. */
  local: boolean;
  resident: boolean;
  loading: boolean;
  memory: MemoryNeed;
  slots: number;
  inFlight: number;
  backlog: number;
  /** How long the oldest waiting item has waited (0 with no backlog). */
  oldestWaitMs: number;
  servedSinceLoad: number;
  /** Monotonic time of its last use, for least-recently-used eviction. */
  lastUsedAt: number;
  /** Prefer to keep resident (the aggregator). */
  sticky: boolean;
}

export interface PolicyInput {
  experts: readonly ExpertSnapshot[];
  budget: MemoryNeed;
  fairnessCap: number;
  ageWeightMs: number;
}

export type Decision =
  | { kind: "serve"; expertId: string }
  | { kind: "load"; expertId: string; evict: string[] }
  | { kind: "refuse"; expertId: string; reason: string }
  | { kind: "wait"; reason: string };

export function backlogWeight(expert: ExpertSnapshot, ageWeightMs: number): number {
  return expert.backlog + expert.oldestWaitMs / ageWeightMs;
}

function byWeightThenId(ageWeightMs: number) {
  return (a: ExpertSnapshot, b: ExpertSnapshot) =>
    backlogWeight(b, ageWeightMs) - backlogWeight(a, ageWeightMs) || a.id.localeCompare(b.id);
}

function add(a: MemoryNeed, b: MemoryNeed): MemoryNeed {
  return { ram: a.ram + b.ram, vram: a.vram + b.vram };
}

function fits(need: MemoryNeed, used: MemoryNeed, budget: MemoryNeed): boolean {
  return used.ram + need.ram <= budget.ram && used.vram + need.vram <= budget.vram;
}

const NONE: MemoryNeed = { ram: 0, vram: 0 };

function memoryInUse(experts: readonly ExpertSnapshot[]): MemoryNeed {
  return experts.filter((e) => e.local && (e.resident || e.loading)).reduce((sum, e) => add(sum, e.memory), NONE);
}

function waitingForMemory(input: PolicyInput): ExpertSnapshot[] {
  return input.experts.filter((e) => e.local && !e.resident && !e.loading && e.backlog > 0);
}

/** A resident expert past its fairness cap gives way when some waiting expert cannot fit beside it. */
function isYielding(expert: ExpertSnapshot, input: PolicyInput, used: MemoryNeed): boolean {
  if (!expert.local || expert.servedSinceLoad < input.fairnessCap) return false;
  return waitingForMemory(input).some((waiting) => !fits(waiting.memory, used, input.budget));
}

export function decide(input: PolicyInput): Decision {
  const used = memoryInUse(input.experts);
  const servable = input.experts
    .filter((e) => e.resident && !e.loading && e.backlog > 0 && e.inFlight < e.slots)
    .filter((e) => !isYielding(e, input, used))
    .sort(byWeightThenId(input.ageWeightMs));
  const serve = servable[0];
  if (serve) return { kind: "serve", expertId: serve.id };

  const loading = input.experts.find((e) => e.loading);
  if (loading) return { kind: "wait", reason: `loading ${loading.id}` };

  const target = waitingForMemory(input).sort(byWeightThenId(input.ageWeightMs))[0];
  if (!target) return { kind: "wait", reason: "no backlog to place" };
  if (!fits(target.memory, NONE, input.budget)) {
    return { kind: "refuse", expertId: target.id, reason: describeShortfall(target, input.budget) };
  }
  if (fits(target.memory, used, input.budget)) return { kind: "load", expertId: target.id, evict: [] };

  const victims = evictionOrder(input, used);
  const evict: string[] = [];
  let freed = used;
  for (const victim of victims) {
    evict.push(victim.id);
    freed = { ram: freed.ram - victim.memory.ram, vram: freed.vram - victim.memory.vram };
    if (fits(target.memory, freed, input.budget)) return { kind: "load", expertId: target.id, evict };
  }
  return { kind: "wait", reason: `${target.id} waits for memory held by busy experts` };
}

function evictionOrder(input: PolicyInput, used: MemoryNeed): ExpertSnapshot[] {
  const residents = input.experts.filter((e) => e.local && e.resident && !e.loading);
  const idle = residents.filter((e) => e.inFlight === 0 && (e.backlog === 0 || isYielding(e, input, used)));
  // The aggregator is needed again at the end of every instance: evict it only as a last resort.
  const onlyStickyLeft = residents.every((e) => e.sticky);
  return idle
    .filter((e) => !e.sticky || onlyStickyLeft)
    .sort((a, b) => Number(a.backlog > 0) - Number(b.backlog > 0) || a.lastUsedAt - b.lastUsedAt || a.id.localeCompare(b.id));
}

function describeShortfall(expert: ExpertSnapshot, budget: MemoryNeed): string {
  const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(2)} GiB`;
  if (expert.memory.ram > budget.ram) {
    return `${expert.id} needs ${gib(expert.memory.ram)} of RAM but the memory budget is ${gib(budget.ram)}`;
  }
  return `${expert.id} needs ${gib(expert.memory.vram)} of VRAM but the VRAM budget is ${gib(budget.vram)}`;
}
