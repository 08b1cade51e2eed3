/**
 * The discrete-event core of the fleet simulation. Time is simulated seconds; nothing sleeps.
 *
 * GPUs hold models (loaded or loading) within a memory budget and run sequences up to a cap. Each
 * GPU's scheduler is the project's pure per-process policy (`decide` = `grouped`, or
 * `decideFifoLru`) called on a snapshot of that GPU: it picks which held expert serves next (and,
 * for fifo-lru, which model loads and what it evicts). Which GPU holds which model comes from the
 * system under test:
 * - `conclave`: every `placementIntervalSeconds` the fleet calls `place()` (queues/fleet/placement.ts)
 *   on a registry snapshot (models, sequences in flight, per-expert backlog, smoothed demand rate,
 *   measured service time, co-recruitment counts) and starts the loads it names. Jobs wait in one
 *   queue per expert that every holder of the expert drains.
 * - `random`: the same queues and the same rule for when a copy is needed (no holder, or the backlog
 *   exceeds every copy's slots), but the GPU is drawn at random; least-recently-used idle models
 *   make room.
 * - `fifo-lru`: llama-swap on every box: a load balancer sends each request to the box with the
 *   fewest outstanding requests; the box queues its expert calls and runs `decideFifoLru`, which
 *   loads on demand and evicts least-recently-used models.
 *
 * The incremental caller: a GPU's policy runs at most once per `dispatchQuantumSeconds`, when
 * something changed on it (a sequence ended, a load finished, a job arrived for an expert it holds);
 * each call applies one decision and the policy is asked again until it says wait. Only the
 * experts the GPU holds are in its snapshot (plus, for fifo-lru, the expert of the oldest waiting
 * job whose model is not held: the only non-held expert fifo-lru's decision can depend on). When a
 * single held expert has backlog, a "serve" is applied to as many jobs as the policy would take one
 * by one (until slots or backlog run out): the answer cannot change in between.
 */
import { policyNamed } from "../../orchestrator/scheduler/policies.js";
import type { ExpertSnapshot, Policy, PolicyInput } from "../../orchestrator/scheduler/policy.js";
import { mulberry32 } from "../../kernel/prng.js";
import { place, type FleetExpertDemand, type FleetWorkerView } from "../../queues/fleet/placement.js";
import { EventQueue, IntQueue } from "./events.js";
import type { SimParams } from "./params.js";
import { ArrivalStream, type Workload } from "./workload.js";

export type SystemName = "conclave" | "fifo-lru" | "random";

const ARRIVAL = 0;
const JOB_END = 1;
const LOAD_END = 2;
const TICK = 3;
const DISPATCH = 4;

interface Model {
  expert: number;
  loading: boolean;
  inFlight: number;
  servedSinceLoad: number;
  lastUsedAt: number;
  snapshot: ExpertSnapshot;
}

interface Gpu {
  index: number;
  id: string;
  used: number;
  models: Model[];
  running: number;
  loading: boolean;
  dispatchPending: boolean;
  /** fifo-lru: requests sent here and not finished. */
  outstanding: number;
  /** conclave: experts the last placement retired here (held, not drained). */
  retired: Set<number>;
}

export interface SimMetrics {
  system: SystemName;
  requests: number;
  completed: number;
  /**
   * Requests arriving after the warm-up, their end-to-end latency (arrival to last recruit's answer).
   * A request still open at the horizon counts with its age then, a lower bound: a percentile that
   * lands on one is a lower bound too (`censored` says how many there are).
   */
  latency: { p50: number; p95: number; p99: number; max: number; mean: number; censored: number; youngestCensored: number };
  /**
   * The same latencies split by arrival: within a burst or the 30 s after it, and the rest
   * (steady traffic).
   */
  latencyBurst: { p50: number; p99: number; requests: number };
  latencySteady: { p50: number; p99: number; requests: number };
  /** Sequences the arrivals of [warm-up, duration] need on average: the offered load, and its share of the fleet's. */
  offeredSequences: number;
  offeredLoad: number;
  /** Experts recruited at least once by the stream (top-k recruitment leaves some never chosen). */
  expertsRecruited: number;
  /** Longest time a job waited in a queue before a sequence took it. */
  longestWaitSeconds: number;
  /** Time-averaged share of the fleet's sequences in use, over [warm-up, duration]. */
  utilisation: number;
  /** Share of GPU time with a model load in progress, over [warm-up, duration]. */
  loadingShare: number;
  loads: number;
  loadsAfterWarmup: number;
  /** Requests completed per second over [warm-up, duration]. */
  throughput: number;
  /** Expert calls per second the stream offers, and the sequences they need on average. */
  events: number;
  wallSeconds: number;
  /** Simulated time at which the last request finished (the drain after the stream ends included). */
  endSeconds: number;
  unfinished: number;
}

export interface SimOptions {
  /** Stop simulating (requests still open count as unfinished) at this simulated time. */
  horizonSeconds?: number;
  /** Called with the simulator's state when the run stops (for diagnostics). */
  inspect?: (state: unknown) => void;
}

export function simulateFleet(system: SystemName, params: SimParams, workload: Workload, options: SimOptions = {}): SimMetrics {
  const started = performance.now();
  return new FleetSim(system, params, workload, options).run(started);
}

class FleetSim {
  private readonly events = new EventQueue();
  private readonly stream: ArrivalStream;
  private readonly gpus: Gpu[] = [];
  private readonly E: number;
  private readonly policy: Policy;
  private readonly random: () => number;
  /** conclave/random: one queue per expert; fifo-lru: one per (box, expert). */
  private readonly queues: IntQueue[] = [];
  /** conclave/random: the GPUs holding each expert. */
  private readonly holders: Gpu[][] = [];
  // Jobs and requests in growable typed arrays.
  private jobExpert = new Int32Array(1 << 16);
  private jobRequest = new Int32Array(1 << 16);
  private jobService = new Float64Array(1 << 16);
  private jobGpu = new Int32Array(1 << 16);
  private jobs = 0;
  private reqArrival = new Float64Array(1 << 14);
  private reqLeft = new Int32Array(1 << 14);
  /** Finish time of each request (for diagnostics through `inspect`), and its first job (its jobs are consecutive). */
  private reqFinish = new Float64Array(1 << 14);
  private reqFirstJob = new Int32Array(1 << 14);
  private jobStart = new Float64Array(1 << 16);
  private requests = 0;
  private completed = 0;
  private arrivalsDone = false;
  // Measurements.
  private latencies: number[] = [];
  private burstLatencies: number[] = [];
  private steadyLatencies: number[] = [];
  private offeredWork = 0;
  private longestWait = 0;
  private runningTotal = 0;
  private loadingTotal = 0;
  private lastChange = 0;
  private busyArea = 0;
  private loadingArea = 0;
  private loads = 0;
  private loadsAfterWarmup = 0;
  private windowCompleted = 0;
  private endTime = 0;
  private eventCount = 0;
  // Demand as the registry would see it.
  private readonly rate: Float64Array;
  private readonly arrivalsSinceTick: Float64Array;
  private readonly recruitedEver: Uint8Array;
  private readonly serviceSum: Float64Array;
  private readonly serviceCount: Float64Array;
  private readonly pairs: Float64Array;
  private lastTick = 0;
  private readonly fifo: boolean;

  constructor(
    private readonly system: SystemName,
    private readonly params: SimParams,
    private readonly workload: Workload,
    private readonly options: SimOptions,
  ) {
    this.E = workload.experts.length;
    this.fifo = system === "fifo-lru";
    this.policy = policyNamed(this.fifo ? "fifo-lru" : "grouped");
    this.random = mulberry32(params.seed * 31 + 7);
    this.stream = new ArrivalStream(params);
    for (let g = 0; g < params.gpus; g++) {
      this.gpus.push({ index: g, id: `gpu${String(g).padStart(2, "0")}`, used: 0, models: [], running: 0, loading: false, dispatchPending: false, outstanding: 0, retired: new Set() });
    }
    const queueCount = this.fifo ? params.gpus * this.E : this.E;
    for (let i = 0; i < queueCount; i++) this.queues.push(new IntQueue());
    for (let e = 0; e < this.E; e++) this.holders.push([]);
    this.rate = new Float64Array(this.E);
    this.arrivalsSinceTick = new Float64Array(this.E);
    this.recruitedEver = new Uint8Array(this.E);
    this.serviceSum = new Float64Array(this.E);
    this.serviceCount = new Float64Array(this.E);
    this.pairs = new Float64Array(this.E * this.E);
  }

  run(started: number): SimMetrics {
    this.scheduleNextArrival();
    if (!this.fifo) this.events.push(0, TICK);
    const horizon = this.options.horizonSeconds ?? this.params.durationSeconds + this.params.drainSeconds;
    while (this.events.pop()) {
      const now = this.events.time;
      if (now > horizon) {
        this.account(horizon);
        break;
      }
      this.eventCount++;
      this.account(now);
      switch (this.events.kind) {
        case ARRIVAL:
          this.arrive(now);
          break;
        case JOB_END:
          this.endJob(now, this.events.a);
          break;
        case LOAD_END:
          this.endLoad(now, this.events.a, this.events.b);
          break;
        case TICK:
          this.tick(now);
          break;
        case DISPATCH:
          this.dispatch(now, this.gpus[this.events.a]!);
          break;
      }
      if (this.arrivalsDone && this.completed === this.requests) break;
    }
    this.options.inspect?.(this);
    return this.metrics(started);
  }

  // ---- arrivals ------------------------------------------------------------------------------

  private pending: { time: number; skills: number[]; outputTokens: number[] } | undefined;

  private scheduleNextArrival(): void {
    const next = this.stream.next();
    if (!next) {
      this.arrivalsDone = true;
      this.pending = undefined;
      return;
    }
    this.pending = next;
    this.events.push(next.time, ARRIVAL);
  }

  private arrive(now: number): void {
    const a = this.pending!;
    const recruits = this.workload.recruit(a.skills);
    const r = this.newRequest(now, recruits.length);
    const box = this.fifo ? this.leastOutstanding() : undefined;
    if (box) box.outstanding++;
    for (let i = 0; i < recruits.length; i++) {
      const e = recruits[i]!;
      const expert = this.workload.experts[e]!;
      const service = this.params.promptTokens / this.params.prefillTokensPerSecond + a.outputTokens[i]! / expert.tokensPerSecond;
      const job = this.newJob(e, r, service);
      if (now >= this.params.warmupSeconds) this.offeredWork += service;
      this.arrivalsSinceTick[e]!++;
      this.recruitedEver[e] = 1;
      for (let j = i + 1; j < recruits.length; j++) {
        const f = recruits[j]!;
        this.pairs[Math.min(e, f) * this.E + Math.max(e, f)]!++;
      }
      if (box) {
        this.jobGpu[job] = box.index;
        this.queues[box.index * this.E + e]!.push(job);
        // While the box loads, a job whose model has no free sequence there changes nothing
        // fifo-lru could do (the policy answered "wait" to the same state without it).
        const model = box.models.find((m) => m.expert === e);
        const servable = model !== undefined && !model.loading && model.inFlight < this.params.modelSlots && box.running < this.params.gpuSequences;
        if (!box.loading || servable) this.markDirty(box, now);
      } else {
        this.queues[e]!.push(job);
        for (const gpu of this.holders[e]!) if (gpu.running < this.params.gpuSequences && !gpu.retired.has(e)) this.markDirty(gpu, now);
      }
    }
    this.scheduleNextArrival();
  }

  private leastOutstanding(): Gpu {
    let best = this.gpus[0]!;
    for (const gpu of this.gpus) if (gpu.outstanding < best.outstanding) best = gpu;
    return best;
  }

  private newRequest(now: number, parts: number): number {
    if (this.requests === this.reqArrival.length) {
      this.reqArrival = grow(this.reqArrival, Float64Array);
      this.reqLeft = grow(this.reqLeft, Int32Array);
      this.reqFinish = grow(this.reqFinish, Float64Array);
      this.reqFirstJob = grow(this.reqFirstJob, Int32Array);
    }
    const r = this.requests++;
    this.reqArrival[r] = now;
    this.reqLeft[r] = parts;
    this.reqFirstJob[r] = this.jobs;
    return r;
  }

  private newJob(expert: number, request: number, service: number): number {
    if (this.jobs === this.jobExpert.length) {
      this.jobExpert = grow(this.jobExpert, Int32Array);
      this.jobRequest = grow(this.jobRequest, Int32Array);
      this.jobService = grow(this.jobService, Float64Array);
      this.jobGpu = grow(this.jobGpu, Int32Array);
      this.jobStart = grow(this.jobStart, Float64Array);
    }
    const j = this.jobs++;
    this.jobExpert[j] = expert;
    this.jobRequest[j] = request;
    this.jobService[j] = service;
    return j;
  }

  // ---- per-GPU scheduling ----------------------------------------------------------------------

  private markDirty(gpu: Gpu, now: number): void {
    if (gpu.dispatchPending) return;
    gpu.dispatchPending = true;
    const q = this.params.dispatchQuantumSeconds;
    this.events.push(q > 0 ? Math.max(now, Math.ceil(now / q) * q) : now, DISPATCH, gpu.index);
  }

  private queueOf(gpu: Gpu, expert: number): IntQueue {
    return this.queues[this.fifo ? gpu.index * this.E + expert : expert]!;
  }

  private readonly snapshots: ExpertSnapshot[] = [];
  private readonly outsider: ExpertSnapshot = blankSnapshot("");
  private readonly input: PolicyInput = { experts: this.snapshots, budget: { ram: 0, vram: 0 }, fairnessCap: 64, ageWeightMs: 5000 };

  private dispatch(now: number, gpu: Gpu): void {
    gpu.dispatchPending = false;
    this.input.budget.ram = this.params.gpuBudgetGB;
    for (let guard = 0; guard < 100_000; guard++) {
      const only = this.fillSnapshots(now, gpu);
      const decision = this.policy(this.input);
      switch (decision.kind) {
        case "serve": {
          const model = gpu.models.find((m) => this.workload.experts[m.expert]!.id === decision.expertId)!;
          const queue = this.queueOf(gpu, model.expert);
          const free = Math.min(this.params.modelSlots - model.inFlight, this.params.gpuSequences - gpu.running);
          const n = only ? Math.min(free, queue.size) : 1;
          for (let i = 0; i < n; i++) this.startJob(now, gpu, model, queue.shift());
          // grouped, on a snapshot of held models only, with every sequence in use: nothing is
          // servable and no expert waits for memory, so asking again can only answer "wait".
          if (!this.fifo && gpu.running >= this.params.gpuSequences) return;
          break;
        }
        case "load": {
          const expert = this.expertIndex(decision.expertId);
          this.startLoad(now, gpu, expert, decision.evict.map((id) => this.expertIndex(id)));
          break;
        }
        case "refuse":
          throw new Error(`simulation: ${decision.reason}`);
        default:
          return;
      }
    }
    throw new Error(`simulation: ${gpu.id} did not settle`);
  }

  /** Fills the policy's snapshot of `gpu`; true when exactly one held expert has backlog. */
  private fillSnapshots(now: number, gpu: Gpu): boolean {
    const snapshots = this.snapshots;
    snapshots.length = 0;
    let withBacklog = 0;
    const freeOnGpu = this.params.gpuSequences - gpu.running;
    for (const model of gpu.models) {
      const s = model.snapshot;
      const queue = this.queueOf(gpu, model.expert);
      s.resident = !model.loading;
      s.loading = model.loading;
      s.inFlight = model.inFlight;
      // The GPU's sequence cap, shared by its models, shows as fewer slots.
      s.slots = Math.min(this.params.modelSlots, model.inFlight + freeOnGpu);
      if (gpu.retired.has(model.expert)) this.fillBacklog(s, EMPTY, now);
      else this.fillBacklog(s, queue, now);
      s.servedSinceLoad = model.servedSinceLoad;
      s.lastUsedAt = model.lastUsedAt;
      if (s.backlog > 0) withBacklog++;
      snapshots.push(s);
    }
    if (this.fifo) {
      const outsider = this.oldestOutsider(gpu);
      if (outsider >= 0) {
        const s = this.outsider;
        const expert = this.workload.experts[outsider]!;
        s.id = expert.id;
        s.memory.ram = expert.memoryGB;
        s.resident = false;
        s.loading = false;
        s.inFlight = 0;
        s.slots = this.params.modelSlots;
        this.fillBacklog(s, this.queueOf(gpu, outsider), now);
        s.servedSinceLoad = 0;
        s.lastUsedAt = 0;
        snapshots.push(s);
        withBacklog++;
      }
    }
    return withBacklog === 1;
  }

  private fillBacklog(s: ExpertSnapshot, queue: IntQueue, now: number): void {
    const head = queue.peek();
    const age = head >= 0 ? (now - this.reqArrival[this.jobRequest[head]!]!) * 1000 : 0;
    s.backlog = queue.size;
    s.onlineBacklog = queue.size;
    s.oldestWaitMs = age;
    s.onlineOldestWaitMs = age;
    s.oldestArrival = head;
  }

  /** fifo-lru: the expert of the oldest job queued on `gpu` whose model it does not hold; -1 if none. */
  private oldestOutsider(gpu: Gpu): number {
    let best = -1;
    let bestJob = Infinity;
    const base = gpu.index * this.E;
    for (let e = 0; e < this.E; e++) {
      const head = this.queues[base + e]!.peek();
      if (head >= 0 && head < bestJob && !gpu.models.some((m) => m.expert === e)) {
        best = e;
        bestJob = head;
      }
    }
    return best;
  }

  private startJob(now: number, gpu: Gpu, model: Model, job: number): void {
    model.inFlight++;
    model.servedSinceLoad++;
    model.lastUsedAt = now;
    gpu.running++;
    this.runningTotal++;
    this.jobGpu[job] = gpu.index;
    this.jobStart[job] = now;
    const wait = now - this.reqArrival[this.jobRequest[job]!]!;
    if (wait > this.longestWait) this.longestWait = wait;
    this.events.push(now + this.jobService[job]!, JOB_END, job);
  }

  private endJob(now: number, job: number): void {
    const gpu = this.gpus[this.jobGpu[job]!]!;
    const expert = this.jobExpert[job]!;
    const model = gpu.models.find((m) => m.expert === expert)!;
    model.inFlight--;
    model.lastUsedAt = now;
    gpu.running--;
    this.runningTotal--;
    this.serviceSum[expert]! += this.jobService[job]!;
    this.serviceCount[expert]!++;
    const r = this.jobRequest[job]!;
    const left = --this.reqLeft[r]!;
    if (left < 0) throw new Error(`simulation: request ${r} finished twice`);
    if (left === 0) this.finishRequest(now, r, gpu);
    this.markDirty(gpu, now);
  }

  private finishRequest(now: number, r: number, gpu: Gpu): void {
    this.completed++;
    this.endTime = now;
    this.reqFinish[r] = now;
    if (this.fifo) gpu.outstanding--;
    const arrival = this.reqArrival[r]!;
    if (arrival >= this.params.warmupSeconds) {
      this.latencies.push(now - arrival);
      (this.inBurstWindow(arrival) ? this.burstLatencies : this.steadyLatencies).push(now - arrival);
    }
    if (now >= this.params.warmupSeconds && now <= this.params.durationSeconds) this.windowCompleted++;
  }

  private startLoad(now: number, gpu: Gpu, expert: number, evict: readonly number[]): void {
    for (const victim of evict) this.unload(gpu, victim);
    const e = this.workload.experts[expert]!;
    const snapshot = blankSnapshot(e.id);
    snapshot.memory.ram = e.memoryGB;
    gpu.models.push({ expert, loading: true, inFlight: 0, servedSinceLoad: 0, lastUsedAt: now, snapshot });
    gpu.used += e.memoryGB;
    gpu.loading = true;
    this.loadingTotal++;
    this.loads++;
    if (now >= this.params.warmupSeconds) this.loadsAfterWarmup++;
    if (!this.fifo) this.holders[expert]!.push(gpu);
    this.events.push(now + e.loadSeconds, LOAD_END, gpu.index, expert);
  }

  private unload(gpu: Gpu, expert: number): void {
    const index = gpu.models.findIndex((m) => m.expert === expert);
    const model = gpu.models[index];
    if (!model || model.inFlight > 0 || model.loading) throw new Error(`simulation: cannot evict ${expert} from ${gpu.id}`);
    gpu.models.splice(index, 1);
    gpu.used -= this.workload.experts[expert]!.memoryGB;
    if (!this.fifo) {
      const list = this.holders[expert]!;
      list.splice(list.indexOf(gpu), 1);
    }
  }

  private endLoad(now: number, g: number, expert: number): void {
    const gpu = this.gpus[g]!;
    const model = gpu.models.find((m) => m.expert === expert)!;
    model.loading = false;
    model.lastUsedAt = now;
    gpu.loading = false;
    this.loadingTotal--;
    this.markDirty(gpu, now);
  }

  // ---- fleet placement ---------------------------------------------------------------------------

  private tick(now: number): void {
    const dt = now - this.lastTick;
    this.lastTick = now;
    if (dt > 0) {
      const keep = Math.pow(0.5, dt / this.params.rateHalfLifeSeconds);
      for (let e = 0; e < this.E; e++) {
        this.rate[e] = this.rate[e]! * keep + (this.arrivalsSinceTick[e]! / dt) * (1 - keep);
        this.arrivalsSinceTick[e] = 0;
      }
    }
    if (this.system === "conclave") this.placeConclave(now);
    else this.placeRandom(now);
    if (!(this.arrivalsDone && this.completed === this.requests)) this.events.push(now + this.params.placementIntervalSeconds, TICK);
  }

  private coRecruited: Array<{ a: string; b: string; weight: number }> = [];
  private coRecruitedAt = -Infinity;

  private placeConclave(now: number): void {
    const experts = this.workload.experts;
    const workers: FleetWorkerView[] = this.gpus.map((gpu) => {
      const inFlight: Record<string, number> = {};
      const resident: string[] = [];
      const loading: string[] = [];
      for (const m of gpu.models) {
        const id = experts[m.expert]!.id;
        (m.loading ? loading : resident).push(id);
        inFlight[id] = m.inFlight;
      }
      return { id: gpu.id, budget: this.params.gpuBudgetGB, resident, loading, inFlight, alive: true, sequences: this.params.gpuSequences };
    });
    const demand: FleetExpertDemand[] = experts.map((e) => ({
      id: e.id,
      memory: e.memoryGB,
      slots: this.params.modelSlots,
      backlog: { online: this.queues[e.index]!.size, batch: 0 },
      rate: this.rate[e.index]!,
      serviceSeconds: this.serviceCount[e.index]! > 0 ? this.serviceSum[e.index]! / this.serviceCount[e.index]! : 0,
    }));
    // Co-recruitment changes slowly: the registry's counts are refreshed every 10 s.
    if (now >= this.coRecruitedAt + 10) {
      this.coRecruitedAt = now;
      this.coRecruited = [];
      const elapsed = Math.max(now, 1);
      for (let a = 0; a < this.E; a++) {
        for (let b = a + 1; b < this.E; b++) {
          const count = this.pairs[a * this.E + b]!;
          if (count > 0) this.coRecruited.push({ a: experts[a]!.id, b: experts[b]!.id, weight: count / elapsed });
        }
      }
    }
    const placement = place({ workers, experts: demand, coRecruited: this.coRecruited, targetOccupancy: this.params.targetOccupancy, ...(this.params.clearSeconds > 0 ? { clearSeconds: this.params.clearSeconds } : {}) });
    const gpuById = new Map(this.gpus.map((g) => [g.id, g]));
    for (const gpu of this.gpus) gpu.retired.clear();
    for (const r of placement.retire ?? []) gpuById.get(r.workerId)!.retired.add(this.expertIndex(r.expertId));
    for (const load of placement.loads) {
      const gpu = gpuById.get(load.workerId)!;
      this.startLoad(now, gpu, this.expertIndex(load.expertId), load.evict.map((id) => this.expertIndex(id)));
    }
  }

  /** The baseline: the same "a copy is needed" rule as the S-unknown case of place(), a random GPU. */
  private placeRandom(now: number): void {
    const slots = this.params.modelSlots;
    for (let e = 0; e < this.E; e++) {
      const backlog = this.queues[e]!.size;
      if (backlog === 0) continue;
      const holders = this.holders[e]!;
      let spare = 0;
      let loading = false;
      for (const gpu of holders) {
        const m = gpu.models.find((x) => x.expert === e)!;
        loading ||= m.loading;
        spare += m.loading ? slots : slots - m.inFlight;
      }
      const needed = holders.length === 0 || (!loading && backlog > spare && backlog > holders.length * slots);
      if (!needed) continue;
      const expert = this.workload.experts[e]!;
      const candidates: Array<{ gpu: Gpu; evict: number[] }> = [];
      for (const gpu of this.gpus) {
        if (gpu.loading || holders.includes(gpu)) continue;
        const evict = this.lruVictims(gpu, expert.memoryGB);
        if (evict) candidates.push({ gpu, evict });
      }
      if (candidates.length === 0) continue;
      const pick = candidates[Math.floor(this.random() * candidates.length)]!;
      this.startLoad(now, pick.gpu, e, pick.evict);
    }
  }

  private lruVictims(gpu: Gpu, memory: number): number[] | undefined {
    const budget = this.params.gpuBudgetGB;
    if (gpu.used + memory <= budget) return [];
    const idle = gpu.models
      .filter((m) => !m.loading && m.inFlight === 0)
      .filter((m) => this.queues[m.expert]!.size === 0 || this.holders[m.expert]!.length > 1)
      .sort((a, b) => a.lastUsedAt - b.lastUsedAt || a.expert - b.expert);
    const evict: number[] = [];
    let used = gpu.used;
    for (const m of idle) {
      evict.push(m.expert);
      used -= this.workload.experts[m.expert]!.memoryGB;
      if (used + memory <= budget) return evict;
    }
    return undefined;
  }

  private expertIndex(id: string): number {
    return Number(id.slice(1));
  }

  // ---- measurements ------------------------------------------------------------------------------

  /** Integrates sequences in use and loads in progress over [warm-up, duration]. */
  private account(now: number): void {
    const from = Math.max(this.lastChange, this.params.warmupSeconds);
    const to = Math.min(now, this.params.durationSeconds);
    if (to > from) {
      this.busyArea += this.runningTotal * (to - from);
      this.loadingArea += this.loadingTotal * (to - from);
    }
    this.lastChange = now;
  }

  /** Did a request arriving at `time` arrive during a burst or in its aftermath? */
  private inBurstWindow(time: number): boolean {
    const p = this.params;
    if (p.burstEverySeconds <= 0) return false;
    const into = time % p.burstEverySeconds;
    const start = p.burstEverySeconds - p.burstSeconds;
    // Bursts close each cycle, so their aftermath opens the next one.
    return into >= start || into < BURST_AFTERMATH_SECONDS;
  }

  private metrics(started: number): SimMetrics {
    this.account(Math.max(this.lastChange, this.params.durationSeconds));
    const window = this.params.durationSeconds - this.params.warmupSeconds;
    const stop = this.lastChange;
    let censored = 0;
    let youngestCensored = Infinity;
    for (let r = 0; r < this.requests; r++) {
      if (this.reqLeft[r]! > 0 && this.reqArrival[r]! >= this.params.warmupSeconds) {
        const age = stop - this.reqArrival[r]!;
        this.latencies.push(age);
        (this.inBurstWindow(this.reqArrival[r]!) ? this.burstLatencies : this.steadyLatencies).push(age);
        youngestCensored = Math.min(youngestCensored, age);
        censored++;
      }
    }
    const sorted = Float64Array.from(this.latencies).sort();
    const capacity = this.params.gpus * this.params.gpuSequences;
    const at = (p: number) => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!);
    const mean = sorted.length === 0 ? NaN : sorted.reduce((a, b) => a + b, 0) / sorted.length;
    return {
      system: this.system,
      requests: this.requests,
      completed: this.completed,
      latency: { p50: at(0.5), p95: at(0.95), p99: at(0.99), max: at(1), mean, censored, youngestCensored },
      latencyBurst: split(this.burstLatencies),
      latencySteady: split(this.steadyLatencies),
      offeredSequences: this.offeredWork / window,
      offeredLoad: this.offeredWork / window / capacity,
      expertsRecruited: this.recruitedEver.reduce((sum, x) => sum + x, 0),
      longestWaitSeconds: this.longestWait,
      utilisation: this.busyArea / (window * this.params.gpus * this.params.gpuSequences),
      loadingShare: this.loadingArea / (window * this.params.gpus),
      loads: this.loads,
      loadsAfterWarmup: this.loadsAfterWarmup,
      throughput: this.windowCompleted / window,
      events: this.eventCount,
      wallSeconds: (performance.now() - started) / 1000,
      endSeconds: this.endTime,
      unfinished: this.requests - this.completed,
    };
  }
}

const EMPTY = new IntQueue();

/** Requests arriving up to this long after a burst ends count as burst traffic in the split. */
const BURST_AFTERMATH_SECONDS = 30;

function split(latencies: number[]): { p50: number; p99: number; requests: number } {
  const sorted = Float64Array.from(latencies).sort();
  const at = (p: number) => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!);
  return { p50: at(0.5), p99: at(0.99), requests: sorted.length };
}

function blankSnapshot(id: string): ExpertSnapshot {
  return {
    id,
    local: true,
    resident: false,
    loading: false,
    memory: { ram: 0, vram: 0 },
    slots: 0,
    inFlight: 0,
    backlog: 0,
    oldestWaitMs: 0,
    servedSinceLoad: 0,
    lastUsedAt: 0,
    sticky: false,
    onlineBacklog: 0,
    onlineOldestWaitMs: 0,
    oldestArrival: 0,
  };
}

function grow<T extends Float64Array | Int32Array>(array: T, make: new (n: number) => T): T {
  const next = new make(array.length * 2);
  next.set(array);
  return next;
}
