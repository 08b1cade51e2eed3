/**
 * Fleet placement: which worker (one per GPU) drains which expert queue, and which loads start now.
 * A pure function of one registry snapshot (no Redis, no clock, no randomness): every worker computes
 * it on the same snapshot and acts on its own part, so equal inputs must give equal outputs (ties go
 * to the smaller id).
 *
 * Rules, in order:
 * 1. Dead workers (stale heartbeat) get nothing and hold nothing. An expert bigger than every alive
 *    worker's budget is refused (only when it has demand).
 * 2. A worker "holds" an expert when its model is resident there or loading there. Jobs go to
 *    holders: each holder drains its held experts that have backlog.
 * 3. A load starts only when the holders have no room for the demand: the backlog exceeds their
 *    spare sequences now (a loading copy counts as all-spare; with a worker sequence cap,
 *    `sequences`, a copy can only use what the worker's other running models leave), and either
 *    nobody holds the expert (cold: one copy) or it is hot: the sequences its demand keeps busy
 *    (rate x serviceSeconds over `targetOccupancy`, plus backlog x serviceSeconds / `clearSeconds`
 *    when given) exceed its copies' capacity; it gets as many copies as cover the difference. A
 *    copy's capacity is its slots, or, under a sequence cap, what the worker's expected load (each
 *    model's smoothed demand split over its copies) leaves it: a share of the cap on an overloaded
 *    worker. Smoothed demand, not the sequences running at this instant, so copies are not added
 *    and dropped with each moment's traffic. With serviceSeconds unknown (0): hot when the backlog
 *    exceeds the copies' capacity and no copy is still loading; one copy at a time.
 * 4. At most one load per worker, and none on a worker that is loading already (one load at a
 *    time, as the per-process scheduler does).
 * 5. The worker for a load: it fits after evicting idle models only (no sequence in flight there),
 *    never the sole serving holder of an expert with backlog, nor a copy whose expert's demand needs
 *    every copy's capacity it has; among those, the lowest sum of two shares: the share of the
 *    expert's co-recruitment weight carried by the models the worker keeps (experts recruited
 *    together then run in parallel on different GPUs) and the worker's expected load over its
 *    sequences (a copy on a busy GPU serves little); then the fewest evictions, then the id.
 *    Victims go least useful first: no backlog before backlog, then the lowest rate, then the id.
 * 6. When no worker has room even after evicting idle models, busy models are retired for the
 *    load: the chosen worker stops draining them (they leave its drain list and are named in
 *    `retire`), so they empty within one generation and a later decision evicts them and loads. A
 *    model may be retired only when it is less useful than what the load brings: its demand per
 *    copy (rate x serviceSeconds / copies) is below the target's unserved demand (cold: its demand,
 *    and at least its backlog, which grows while it waits, so nothing starves; hot: the demand beyond
 *    its copies' capacity), and never the last serving copy of an expert with backlog; for a hot
 *    expert's extra copy, only copies their own expert can spare. The worker is
 *    the one with the fewest sequences left to finish (so the next decision picks it again), then
 *    the least co-recruitment weight, then the id; it starts no other load meanwhile.
 * 7. Order of service: cold experts before replicas, online backlog before batch-only, then the
 *    larger backlog, then the id.
 */

export interface FleetWorkerView {
  id: string;
  /** Memory this worker's models may use together (bytes; one GPU's VRAM budget, or RAM on CPU). */
  budget: number;
  /** Models loaded now, and models being loaded now. */
  resident: readonly string[];
  loading: readonly string[];
  /** Sequences running per expert on this worker, and sequences the worker runs per expert at most. */
  inFlight: Readonly<Record<string, number>>;
  /** false when its heartbeat is older than the registry's timeout: it gets nothing. */
  alive: boolean;
  /** Sequences the worker runs at once across all its models (one GPU's compute and KV); absent = only each model's slots bound it. */
  sequences?: number;
}

export interface FleetExpertDemand {
  id: string;
  /** Bytes its model needs on a worker. */
  memory: number;
  /** Sequences one loaded copy runs at once. */
  slots: number;
  /** Jobs waiting now in its queue, by class. */
  backlog: { online: number; batch: number };
  /** Recent demand (jobs per second, smoothed), which decides replication of hot experts. */
  rate: number;
  /** Seconds a job takes on one sequence (measured mean; 0 = unknown). */
  serviceSeconds: number;
}

export interface PlacementInput {
  workers: readonly FleetWorkerView[];
  experts: readonly FleetExpertDemand[];
  /** How often pairs of experts are recruited for the same request (smoothed counts); keep such pairs on different workers. */
  coRecruited: ReadonlyArray<{ a: string; b: string; weight: number }>;
  /** Fraction of a hot expert's slots its steady demand should fill (headroom for bursts). Absent = 0.9. */
  targetOccupancy?: number;
  /**
   * How soon a backlog should be cleared: a backlog adds backlog x serviceSeconds / clearSeconds
   * sequences to an expert's demand, so a burst gets copies before the smoothed rate catches up.
   * Absent = no such term. (In the fleet simulation it made p99 worse: a burst's extra copies
   * evicted models that steady traffic needed.)
   */
  clearSeconds?: number;
}

export interface Placement {
  /** Per alive worker: the experts it should drain (serve jobs of) now. Every expert with backlog that some worker holds or can load appears under at least one worker. */
  drain: Record<string, string[]>;
  /** Loads to start now: at most one per worker; never the same expert on two workers in the same decision unless it is hot enough to replicate; evictions named. */
  loads: Array<{ workerId: string; expertId: string; evict: string[] }>;
  /** Experts nobody can hold (bigger than every budget), with the reason. */
  refused: Array<{ expertId: string; reason: string }>;
  /** Busy models a worker stops draining so that a load can evict them once idle (rule 6). */
  retire?: Array<{ workerId: string; expertId: string; reason: string }>;
}

const DEFAULT_TARGET_OCCUPANCY = 0.9;

/** A worker's state while the decision is built: what it holds after this decision's loads and evictions. */
interface WorkerState {
  view: FleetWorkerView;
  held: Set<string>;
  used: number;
  loadsNow: boolean;
  /** Held models this decision retires: no longer drained here, evicted once idle. */
  retiring: Set<string>;
  /** Loaded (not loading) models. */
  resident: Set<string>;
  /** Sequences running on the worker, all models together. */
  busy: number;
  /** Sequences its models are expected to keep busy (expectedLoad), at the start of the decision. */
  expected: number;
}

interface Need {
  expert: FleetExpertDemand;
  cold: boolean;
  copies: number;
}

const byId = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const backlogOf = (e: FleetExpertDemand) => e.backlog.online + e.backlog.batch;

export function place(input: PlacementInput): Placement {
  const experts = new Map(input.experts.map((e) => [e.id, e]));
  const memoryOf = (id: string) => experts.get(id)?.memory ?? 0;
  const workers = input.workers
    .filter((w) => w.alive)
    .slice()
    .sort((a, b) => byId(a.id, b.id))
    .map((view): WorkerState => {
      const held = new Set([...view.resident, ...view.loading]);
      return { view, held, used: [...held].reduce((sum, id) => sum + memoryOf(id), 0), loadsNow: view.loading.length > 0,
        retiring: new Set<string>(),
        resident: new Set(view.resident.filter((id) => !view.loading.includes(id))),
        busy: Object.values(view.inFlight).reduce((sum, n) => sum + n, 0),
        expected: 0,
      };
    });
  const affinity = coRecruitment(input.coRecruited);
  const occupancy = input.targetOccupancy ?? DEFAULT_TARGET_OCCUPANCY;
  const fleet: Fleet = { workers, experts, affinity, occupancy, clearSeconds: input.clearSeconds ?? Infinity, copies: new Map() };
  for (const worker of workers) for (const id of worker.held) fleet.copies.set(id, (fleet.copies.get(id) ?? 0) + 1);
  for (const worker of workers) {
    for (const id of worker.held) {
      const e = experts.get(id);
      if (e) worker.expected += expectedLoad(e, fleet, worker);
    }
  }

  const refused: Placement["refused"] = [];
  const largest = Math.max(0, ...workers.map((w) => w.view.budget));
  const needs: Need[] = [];
  for (const expert of [...experts.values()].sort((a, b) => byId(a.id, b.id))) {
    const demanded = backlogOf(expert) > 0 || expert.rate > 0;
    if (workers.length > 0 && demanded && expert.memory > largest) {
      refused.push({ expertId: expert.id, reason: `${expert.id} needs ${gib(expert.memory)} but the largest worker budget is ${gib(largest)}` });
      continue;
    }
    const copies = copiesToAdd(expert, fleet);
    if (copies > 0) needs.push({ expert, cold: holdersOf(expert.id, workers).length === 0, copies });
  }
  needs.sort(
    (a, b) =>
      Number(b.cold) - Number(a.cold) ||
      Number(b.expert.backlog.online > 0) - Number(a.expert.backlog.online > 0) ||
      backlogOf(b.expert) - backlogOf(a.expert) ||
      byId(a.expert.id, b.expert.id),
  );

  const loads: Placement["loads"] = [];
  const retire: NonNullable<Placement["retire"]> = [];
  for (const need of needs) {
    for (let copy = 0; copy < need.copies; copy++) {
      const choice = chooseWorker(need.expert, fleet);
      if (!choice) {
        const retiring = chooseRetirement(need.expert, need.cold, unservedDemand(need.expert, fleet), fleet);
        if (retiring) {
          retiring.worker.loadsNow = true;
          for (const id of retiring.evict) {
            retiring.worker.retiring.add(id);
            retire.push({ workerId: retiring.worker.view.id, expertId: id, reason: `makes room for ${need.expert.id}` });
          }
          continue;
        }
        break;
      }
      const { worker, evict } = choice;
      for (const victim of evict) {
        worker.held.delete(victim);
        worker.resident.delete(victim);
        worker.used -= memoryOf(victim);
        fleet.copies.set(victim, (fleet.copies.get(victim) ?? 1) - 1);
      }
      worker.held.add(need.expert.id);
      holderIndex.delete(workers);
      fleet.copies.set(need.expert.id, (fleet.copies.get(need.expert.id) ?? 0) + 1);
      worker.used += need.expert.memory;
      worker.loadsNow = true;
      loads.push({ workerId: worker.view.id, expertId: need.expert.id, evict });
    }
  }

  const drain: Record<string, string[]> = {};
  for (const worker of workers) {
    drain[worker.view.id] = [...worker.held].filter((id) => !worker.retiring.has(id) && backlogOf(experts.get(id) ?? NO_DEMAND) > 0).sort(byId);
  }
  return { drain, loads, refused, retire };
}

/** What one decision reads while it builds the placement (copies counts held copies, this decision's loads included). */
interface Fleet {
  workers: readonly WorkerState[];
  experts: ReadonlyMap<string, FleetExpertDemand>;
  affinity: ReadonlyMap<string, ReadonlyMap<string, number>>;
  occupancy: number;
  clearSeconds: number;
  copies: Map<string, number>;
}

/**
 * Sequences the expert's demand keeps busy, over the target occupancy: its smoothed rate, plus its
 * backlog spread over `clearSeconds`; undefined when its service time is unknown.
 */
function steadyDemand(expert: FleetExpertDemand, fleet: Fleet): number | undefined {
  if (expert.serviceSeconds <= 0) return undefined;
  const perSecond = expert.rate + backlogOf(expert) / fleet.clearSeconds;
  return (perSecond * expert.serviceSeconds) / fleet.occupancy;
}

/**
 * Sequences the expert can expect from its copy on `worker` (the worker's expected load as of the
 * decision's start): with room on the worker, its share plus the room (up to its slots); on an
 * overloaded worker (expected load beyond its sequence cap), a share of the cap in proportion to its
 * load. Based on smoothed demand, so copies are not added and dropped with each moment's traffic.
 */
function copyCapacity(expert: FleetExpertDemand, worker: WorkerState, fleet: Fleet): number {
  const slots = Math.max(1, expert.slots);
  const cap = worker.view.sequences;
  if (cap === undefined) return slots;
  const own = expectedLoad(expert, fleet, worker);
  if (worker.expected <= cap) return Math.min(slots, cap - worker.expected + own);
  return (cap * own) / worker.expected;
}

function fleetCapacity(expert: FleetExpertDemand, fleet: Fleet, holders: readonly WorkerState[]): number {
  return holders.reduce((sum, w) => sum + copyCapacity(expert, w, fleet), 0);
}

/** Can the copy on `worker` go without its expert's steady demand losing capacity it needs? */
function spareCopy(expert: FleetExpertDemand, worker: WorkerState, fleet: Fleet): boolean {
  const demand = steadyDemand(expert, fleet);
  if (demand === undefined) return true;
  const holders = holdersOf(expert.id, fleet.workers);
  return fleetCapacity(expert, fleet, holders) - copyCapacity(expert, worker, fleet) >= demand;
}

const NO_DEMAND: FleetExpertDemand = { id: "", memory: 0, slots: 0, backlog: { online: 0, batch: 0 }, rate: 0, serviceSeconds: 0 };

/** Per decision's worker list: expert -> holders. Dropped whenever a load changes what is held. */
const holderIndex = new WeakMap<readonly WorkerState[], Map<string, WorkerState[]>>();

function holdersOf(expertId: string, workers: readonly WorkerState[]): readonly WorkerState[] {
  let index = holderIndex.get(workers);
  if (!index) {
    index = new Map();
    for (const w of workers) {
      for (const id of w.held) {
        const list = index.get(id);
        if (list) list.push(w);
        else index.set(id, [w]);
      }
    }
    holderIndex.set(workers, index);
  }
  return index.get(expertId) ?? [];
}

/** Holders that still drain the expert (not retiring it). */
function servingHolders(expertId: string, workers: readonly WorkerState[]): number {
  let n = 0;
  for (const w of holdersOf(expertId, workers)) if (!w.retiring.has(expertId)) n++;
  return n;
}

/** Sequences of the expert's demand its copies do not cover (rule 6); > 0 for every expert that needs a copy. */
function unservedDemand(expert: FleetExpertDemand, fleet: Fleet): number {
  const holders = holdersOf(expert.id, fleet.workers);
  const backlog = backlogOf(expert);
  if (holders.length === 0) return Math.max(expert.rate * expert.serviceSeconds, backlog);
  const demand = steadyDemand(expert, fleet);
  if (demand !== undefined) return demand - fleetCapacity(expert, fleet, holders);
  return backlog - holders.reduce((sum, w) => sum + holderCapacity(w, expert), 0);
}

/** Sequences one copy of the expert keeps busy on average (rule 6). */
function demandPerCopy(expert: FleetExpertDemand, workers: readonly WorkerState[]): number {
  const holders = holdersOf(expert.id, workers);
  const copies = Math.max(1, holders.length);
  if (expert.serviceSeconds > 0) return (expert.rate * expert.serviceSeconds) / copies;
  return holders.reduce((sum, w) => sum + (w.view.inFlight[expert.id] ?? 0), 0) / copies;
}

/**
 * Sequences a holder can give the expert: its slots, or less when the worker's sequence cap is
 * shared with its other models' running sequences.
 */
function holderCapacity(worker: WorkerState, expert: FleetExpertDemand): number {
  const slots = Math.max(1, expert.slots);
  const cap = worker.view.sequences;
  if (cap === undefined) return slots;
  const others = worker.busy - (worker.view.inFlight[expert.id] ?? 0);
  return Math.max(0, Math.min(slots, cap - others));
}

/** Sequences the expert's holders can still start now (a copy still loading counts as all free). */
function spareOf(expert: FleetExpertDemand, holders: readonly WorkerState[]): number {
  return holders.reduce((sum, w) => sum + Math.max(0, holderCapacity(w, expert) - (w.resident.has(expert.id) ? (w.view.inFlight[expert.id] ?? 0) : 0)), 0);
}

/** How many new copies of `expert` the demand calls for now (rule 3). */
function copiesToAdd(expert: FleetExpertDemand, fleet: Fleet): number {
  const backlog = backlogOf(expert);
  if (backlog === 0) return 0;
  const holders = holdersOf(expert.id, fleet.workers);
  if (holders.length === 0) return 1;
  if (backlog <= spareOf(expert, holders)) return 0;
  const slots = Math.max(1, expert.slots);
  const demand = steadyDemand(expert, fleet);
  if (demand !== undefined) {
    const beyond = demand - fleetCapacity(expert, fleet, holders);
    return beyond > 0 ? Math.ceil(beyond / slots) : 0;
  }
  // Without a measured service time only an overflowing queue says hot, and a copy still loading
  // may be all it needs: wait for it.
  if (holders.some((w) => !w.resident.has(expert.id))) return 0;
  return backlog > holders.reduce((sum, w) => sum + holderCapacity(w, expert), 0) ? 1 : 0;
}

function coRecruitment(pairs: PlacementInput["coRecruited"]): Map<string, Map<string, number>> {
  const map = new Map<string, Map<string, number>>();
  const add = (x: string, y: string, w: number) => {
    const row = map.get(x) ?? new Map<string, number>();
    row.set(y, (row.get(y) ?? 0) + w);
    map.set(x, row);
  };
  for (const { a, b, weight } of pairs) {
    if (a === b || !(weight > 0)) continue;
    add(a, b, weight);
    add(b, a, weight);
  }
  return map;
}

interface Choice {
  worker: WorkerState;
  evict: string[];
  /**
   * Lower is better: the share of the expert's co-recruitment weight that the worker's other models
   * carry (0..1: they would compete for the same requests) plus the share of the worker's sequences
   * in use (0..1: a busy GPU gives a new copy little).
   */
  score: number;
}

/** Rule 5: the best worker to load `expert` on now, with its evictions; undefined when none can. */
function chooseWorker(expert: FleetExpertDemand, fleet: Fleet): Choice | undefined {
  let best: Choice | undefined;
  const row = fleet.affinity.get(expert.id);
  const total = row ? totalWeight(row) : 1;
  for (const worker of fleet.workers) {
    if (worker.loadsNow || worker.held.has(expert.id) || expert.memory > worker.view.budget) continue;
    const evict = victims(expert.memory, worker, fleet);
    if (!evict) continue;
    let conflict = 0;
    let load = 0;
    let slots = 0;
    for (const id of worker.held) {
      if (evict.includes(id)) continue;
      const kept = fleet.experts.get(id);
      conflict += row?.get(id) ?? 0;
      slots += kept?.slots ?? 0;
      load += kept ? expectedLoad(kept, fleet, worker) : 0;
    }
    const busy = load / Math.max(1, worker.view.sequences ?? slots);
    const candidate: Choice = { worker, evict, score: conflict / total + busy };
    if (!best || better(candidate, best)) best = candidate;
  }
  return best;
}

/**
 * Sequences a model is expected to keep busy on `worker`: its steady demand split over its copies
 * (at most its slots), or, with the service time unknown, what runs there now. Smoother than the
 * sequences in flight at this instant.
 */
function expectedLoad(expert: FleetExpertDemand, fleet: Fleet, worker: WorkerState): number {
  const running = worker.view.inFlight[expert.id] ?? 0;
  if (expert.serviceSeconds <= 0) return running;
  const perCopy = (expert.rate * expert.serviceSeconds) / Math.max(1, fleet.copies.get(expert.id) ?? 1);
  return Math.min(Math.max(1, expert.slots), Math.max(perCopy, running));
}

function better(a: Choice, b: Choice): boolean {
  if (a.score !== b.score) return a.score < b.score;
  if (a.evict.length !== b.evict.length) return a.evict.length < b.evict.length;
  return a.worker.view.id < b.worker.view.id;
}

function totalWeight(row: ReadonlyMap<string, number>): number {
  let sum = 0;
  for (const w of row.values()) sum += w;
  return sum || 1;
}

/**
 * The idle models to evict from `worker` so `memory` fits, least useful first; undefined if it
 * cannot fit. A copy whose expert's demand needs every copy it has stays.
 */
function victims(memory: number, worker: WorkerState, fleet: Fleet): string[] | undefined {
  const budget = worker.view.budget;
  if (worker.used + memory <= budget) return [];
  const experts = fleet.experts;
  const idle = [...worker.held]
    .filter((id) => worker.resident.has(id))
    .filter((id) => (worker.view.inFlight[id] ?? 0) === 0)
    .filter((id) => {
      const e = experts.get(id);
      if (!e) return true;
      return (backlogOf(e) === 0 || servingHolders(id, fleet.workers) > 1) && spareCopy(e, worker, fleet);
    })
    .sort((a, b) => {
      const ea = experts.get(a) ?? NO_DEMAND;
      const eb = experts.get(b) ?? NO_DEMAND;
      return Number(backlogOf(ea) > 0) - Number(backlogOf(eb) > 0) || ea.rate - eb.rate || byId(a, b);
    });
  const evict: string[] = [];
  let used = worker.used;
  for (const id of idle) {
    evict.push(id);
    used -= experts.get(id)?.memory ?? 0;
    if (used + memory <= budget) return evict;
  }
  return undefined;
}

interface Retirement {
  worker: WorkerState;
  evict: string[];
  /** Sequences still running in the models to retire. */
  running: number;
  conflict: number;
}

/**
 * Rule 6: the worker and the busy models to retire there so `expert` can load later; undefined if
 * none. For another copy of a held (hot) expert, only copies their own expert can spare may go:
 * otherwise two hot experts would take copies from each other in turn.
 */
function chooseRetirement(expert: FleetExpertDemand, cold: boolean, need: number, fleet: Fleet): Retirement | undefined {
  const { workers, experts, affinity } = fleet;
  let best: Retirement | undefined;
  // The fleet does not change during this call: each model's worth is computed once.
  const worth = new Map<string, { demand: number; retirable: boolean }>();
  const worthOf = (id: string) => {
    let w = worth.get(id);
    if (!w) {
      const e = experts.get(id);
      w = { demand: demandPerCopy(e ?? { ...NO_DEMAND, id }, workers), retirable: !e || backlogOf(e) === 0 || servingHolders(id, workers) > 1 };
      worth.set(id, w);
    }
    return w;
  };
  for (const worker of workers) {
    if (worker.loadsNow || worker.held.has(expert.id) || expert.memory > worker.view.budget) continue;
    const candidates = [...worker.held]
      .filter((id) => worker.resident.has(id) && !worker.retiring.has(id))
      .map((id) => ({ id, ...worthOf(id) }))
      .filter(({ id, demand, retirable }) => demand < need && retirable && (cold || spareCopy(experts.get(id) ?? { ...NO_DEMAND, id }, worker, fleet)))
      .sort((a, b) => a.demand - b.demand || byId(a.id, b.id));
    const evict: string[] = [];
    let used = worker.used;
    for (const { id } of candidates) {
      if (used + expert.memory <= worker.view.budget) break;
      evict.push(id);
      used -= experts.get(id)?.memory ?? 0;
    }
    if (used + expert.memory > worker.view.budget) continue;
    const running = evict.reduce((sum, id) => sum + (worker.view.inFlight[id] ?? 0), 0);
    const row = affinity.get(expert.id);
    const conflict = row ? [...worker.held].filter((id) => !evict.includes(id)).reduce((sum, id) => sum + (row.get(id) ?? 0), 0) : 0;
    const candidate: Retirement = { worker, evict, running, conflict };
    if (
      !best ||
      running < best.running ||
      (running === best.running && (conflict < best.conflict || (conflict === best.conflict && worker.view.id < best.worker.view.id)))
    ) {
      best = candidate;
    }
  }
  return best;
}

function gib(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(2)} GiB`;
}
