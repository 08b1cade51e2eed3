/**
 * The scheduling policy types, and conclave's own policy, `grouped`: a pure function from a snapshot
 * of the experts (resident or not, backlog per class, memory, slots in use) to the next thing to do.
 * The scheduler applies the decision and asks again until the answer is "wait". Other policies with
 * the same signature live beside it (`fifo-lru.ts`); `policies.ts` chooses one by name.
 *
 * `grouped` runs its rules twice: first over online work only, then over batch work, so a chat is
 * never queued behind a batch's backlog (unless batch work has been starved for longer than
 * `maxBatchStarvationMs`: then both classes weigh alike, as one tier, until a batch item starts).
 * The online tier puts latency first: the expert with the oldest waiting item is served or loaded
 * next (a loaded model then serves all its waiting requests at once); the batch tier puts
 * throughput first: the heaviest age-weighted backlog.
 * Rules of one tier, in order:
 * 1. serve: a resident expert with backlog and a free slot takes its next item (the one with the
 *    heaviest age-weighted backlog first), unless it is yielding: it has served `fairnessCap` items
 *    since its load while another expert waits for memory it holds.
 * 2. one load at a time: while a model loads, only serving happens.
 * 3. load: the waiting expert with the heaviest age-weighted backlog is loaded when it fits, after
 *    evicting idle experts (no backlog, or yielding) - least recently used first, sticky experts (the
 *    aggregator) only when no other local expert is resident. A model bigger than the whole budget is
 *    refused. With `prefetch` (the default) a load may start while other experts still generate, so
 *    the next model is ready when the current one finishes; without it a load waits for them.
 * 4. otherwise wait for running work to finish.
 * Preemption: when online work waits for a model that cannot fit, the experts it would evict (least
 * recently used first, none holding online work) take no new batch items, so they empty after the
 * generations in flight and the online model loads then. A load that only batch work waits for is
 * cancelled when online work waits for another model (`cancel-load`): otherwise a chat could wait a
 * whole model load behind a batch (the online bench measured this as most of its p99 with a batch
 * running). The cancelled expert keeps its backlog and loads again in its turn.
 */

export interface MemoryNeed {
  ram: number;
  vram: number;
}

/** Online requests (the HTTP door, chats) go before batch items (batch files, the Batch API). */
export type WorkClass = "online" | "batch";

export interface ExpertSnapshot {
  id: string;
  /** Local experts need loading and memory; remote ones are always resident. */
  local: boolean;
  resident: boolean;
  loading: boolean;
  memory: MemoryNeed;
  slots: number;
  inFlight: number;
  /** Waiting items of both classes. */
  backlog: number;
  /** How long the oldest waiting item (either class) has waited (0 with no backlog). */
  oldestWaitMs: number;
  servedSinceLoad: number;
  /** Monotonic time of its last use, for least-recently-used eviction. */
  lastUsedAt: number;
  /** Prefer to keep resident (the aggregator). */
  sticky: boolean;
  /** Its load was cancelled and is winding down (still `loading` until it has). */
  cancelling?: boolean;
  /** Of `backlog`, the online items and the age of the oldest of them; absent = none is online. */
  onlineBacklog?: number;
  onlineOldestWaitMs?: number;
  /** Age of the oldest waiting batch item; absent = `oldestWaitMs`. */
  batchOldestWaitMs?: number;
  /** Arrival order (a sequence over every expert) of its oldest waiting item; for first-in-first-out policies. */
  oldestArrival?: number;
}

export interface PolicyInput {
  experts: readonly ExpertSnapshot[];
  budget: MemoryNeed;
  fairnessCap: number;
  ageWeightMs: number;
  /** May a load start while other experts still generate (when memory allows)? Absent = yes. */
  prefetch?: boolean;
  /** How long waiting batch work has gone without any batch item running (0 when not waiting). */
  batchStarvedMs?: number;
  /** Past this, online work loses its priority until a batch item starts. Absent = never. */
  maxBatchStarvationMs?: number;
}

export type Decision =
  /** `workClass` names the queue to take from; absent = the oldest item of either class. */
  | { kind: "serve"; expertId: string; workClass?: WorkClass }
  | { kind: "load"; expertId: string; evict: string[] }
  | { kind: "refuse"; expertId: string; reason: string }
  /** Stop loading `expertId` (its waiting work stays queued): online work needs the load slot. */
  | { kind: "cancel-load"; expertId: string; reason: string }
  | { kind: "wait"; reason: string };

/** A scheduling policy: pure, the same input always gives the same decision. */
export type Policy = (input: PolicyInput) => Decision;

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

function subtract(a: MemoryNeed, b: MemoryNeed): MemoryNeed {
  return { ram: a.ram - b.ram, vram: a.vram - b.vram };
}

export function fits(need: MemoryNeed, used: MemoryNeed, budget: MemoryNeed): boolean {
  return used.ram + need.ram <= budget.ram && used.vram + need.vram <= budget.vram;
}

export const NONE: MemoryNeed = { ram: 0, vram: 0 };

export function memoryInUse(experts: readonly ExpertSnapshot[]): MemoryNeed {
  return experts.filter((e) => e.local && (e.resident || e.loading)).reduce((sum, e) => add(sum, e.memory), NONE);
}

function waitingForMemory(experts: readonly ExpertSnapshot[]): ExpertSnapshot[] {
  return experts.filter((e) => e.local && !e.resident && !e.loading && e.backlog > 0);
}

/** The snapshot seen by one class: its backlog and age only. */
function viewOf(expert: ExpertSnapshot, workClass: WorkClass): ExpertSnapshot {
  const online = expert.onlineBacklog ?? 0;
  if (workClass === "online") return { ...expert, backlog: online, oldestWaitMs: online > 0 ? (expert.onlineOldestWaitMs ?? 0) : 0 };
  const batch = expert.backlog - online;
  return { ...expert, backlog: batch, oldestWaitMs: batch > 0 ? (expert.batchOldestWaitMs ?? expert.oldestWaitMs) : 0 };
}

interface Tier {
  experts: readonly ExpertSnapshot[];
  workClass: WorkClass | undefined;
  /** Experts that take no new work of this tier (drained for an online load). */
  draining: ReadonlySet<string>;
  /** Experts that must not be evicted by this tier (they hold online work). */
  protect: ReadonlySet<string>;
  /** Online preemption: reports whom it waits for (they take no new batch items). */
  preempt: boolean;
  /**
   * Latency first (online): the expert whose oldest item waited longest goes first. Otherwise (batch)
   * throughput first: the heaviest age-weighted backlog.
   */
  latency: boolean;
}

type TierResult = { decision: Decision; draining: string[] };

export function decide(input: PolicyInput): Decision {
  const starving = (input.batchStarvedMs ?? 0) > (input.maxBatchStarvationMs ?? Infinity);
  const hasOnline = input.experts.some((e) => (e.onlineBacklog ?? 0) > 0);
  if (starving || !hasOnline) {
    const workClass = starving ? undefined : "batch";
    return tier(input, { experts: input.experts.map((e) => (starving ? e : viewOf(e, "batch"))), workClass, draining: new Set(), protect: new Set(), preempt: false, latency: false }).decision;
  }
  const online = tier(input, { experts: input.experts.map((e) => viewOf(e, "online")), workClass: "online", draining: new Set(), protect: new Set(), preempt: true, latency: true });
  if (online.decision.kind !== "wait") return online.decision;
  const protect = new Set(input.experts.filter((e) => (e.onlineBacklog ?? 0) > 0).map((e) => e.id));
  const batch = tier(input, { experts: input.experts.map((e) => viewOf(e, "batch")), workClass: "batch", draining: new Set(online.draining), protect, preempt: false, latency: false });
  return batch.decision.kind === "wait" ? online.decision : batch.decision;
}

/** A resident expert past its fairness cap gives way when some waiting expert cannot fit beside it. */
function isYielding(expert: ExpertSnapshot, experts: readonly ExpertSnapshot[], input: PolicyInput, used: MemoryNeed): boolean {
  if (!expert.local || expert.servedSinceLoad < input.fairnessCap) return false;
  return waitingForMemory(experts).some((waiting) => !fits(waiting.memory, used, input.budget));
}

function byAgeThenWeight(ageWeightMs: number) {
  return (a: ExpertSnapshot, b: ExpertSnapshot) => b.oldestWaitMs - a.oldestWaitMs || byWeightThenId(ageWeightMs)(a, b);
}

function tier(input: PolicyInput, t: Tier): TierResult {
  const wait = (reason: string, draining: string[] = []): TierResult => ({ decision: { kind: "wait", reason }, draining });
  const used = memoryInUse(t.experts);
  const servable = t.experts
    .filter((e) => e.resident && !e.loading && e.backlog > 0 && e.inFlight < e.slots && !t.draining.has(e.id))
    .filter((e) => !isYielding(e, t.experts, input, used))
    .sort(t.latency ? byAgeThenWeight(input.ageWeightMs) : byWeightThenId(input.ageWeightMs));
  const serve = servable[0];
  if (serve) return { decision: { kind: "serve", expertId: serve.id, ...(t.workClass ? { workClass: t.workClass } : {}) }, draining: [] };

  const target = waitingForMemory(t.experts).sort(t.latency ? byAgeThenWeight(input.ageWeightMs) : byWeightThenId(input.ageWeightMs))[0];
  const loading = t.experts.find((e) => e.loading);
  if (loading) {
    // In the online tier a loading expert with no online backlog loads for batch work only.
    if (t.preempt && target && loading.backlog === 0 && loading.local && !loading.cancelling) {
      return { decision: { kind: "cancel-load", expertId: loading.id, reason: `online work waits for ${target.id}` }, draining: [] };
    }
    return wait(`loading ${loading.id}`);
  }
  if (!target) return wait("no backlog to place");
  if (!fits(target.memory, NONE, input.budget)) {
    return { decision: { kind: "refuse", expertId: target.id, reason: describeShortfall(target, input.budget) }, draining: [] };
  }
  const generating = t.experts.find((e) => e.local && e.inFlight > 0);
  if (input.prefetch === false && generating) return wait(`no prefetch: ${target.id} loads after ${generating.id} finishes`);
  if (fits(target.memory, used, input.budget)) return { decision: { kind: "load", expertId: target.id, evict: [] }, draining: [] };

  const evict: string[] = [];
  let freed = used;
  for (const victim of evictionOrder(input, t, used)) {
    evict.push(victim.id);
    freed = subtract(freed, victim.memory);
    if (fits(target.memory, freed, input.budget)) return { decision: { kind: "load", expertId: target.id, evict }, draining: [] };
  }
  const reason = `${target.id} waits for memory held by busy experts`;
  // Preemption: the idle victims and enough busy ones take no new batch items until the load.
  return t.preempt ? wait(reason, drainFor(target, input, t, evict, freed)) : wait(reason);
}

function evictionOrder(input: PolicyInput, t: Tier, used: MemoryNeed): ExpertSnapshot[] {
  const residents = t.experts.filter((e) => e.local && e.resident && !e.loading);
  const idle = residents.filter(
    (e) => !t.protect.has(e.id) && e.inFlight === 0 && (e.backlog === 0 || isYielding(e, t.experts, input, used)),
  );
  // The aggregator is needed again at the end of every instance: evict it only as a last resort.
  const onlyStickyLeft = residents.every((e) => e.sticky);
  return idle
    .filter((e) => !e.sticky || onlyStickyLeft)
    .sort((a, b) => Number(a.backlog > 0) - Number(b.backlog > 0) || a.lastUsedAt - b.lastUsedAt || a.id.localeCompare(b.id));
}

/**
 * The busy experts (running batch work, no online backlog) whose memory the online `target` needs
 * beyond what idle experts free, least recently used first: they stop taking batch items.
 */
function drainFor(target: ExpertSnapshot, input: PolicyInput, t: Tier, idle: readonly string[], freedByIdle: MemoryNeed): string[] {
  const busy = t.experts
    .filter((e) => e.local && e.resident && !e.loading && e.backlog === 0 && e.inFlight > 0)
    .sort((a, b) => Number(a.sticky) - Number(b.sticky) || a.lastUsedAt - b.lastUsedAt || a.id.localeCompare(b.id));
  const draining = [...idle];
  let freed = freedByIdle;
  for (const expert of busy) {
    draining.push(expert.id);
    freed = subtract(freed, expert.memory);
    if (fits(target.memory, freed, input.budget)) return draining;
  }
  return [];
}

function describeShortfall(expert: ExpertSnapshot, budget: MemoryNeed): string {
  const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(2)} GiB`;
  if (expert.memory.ram > budget.ram) {
    return `${expert.id} needs ${gib(expert.memory.ram)} of RAM but the memory budget is ${gib(budget.ram)}`;
  }
  return `${expert.id} needs ${gib(expert.memory.vram)} of VRAM but the VRAM budget is ${gib(budget.vram)}`;
}
