/**
 * The scheduler: holds the backlog of (instance, expert) work items, asks the pure policy what to do
 * next and carries it out through `SchedulerEffects` (load, unload, run). All work for an expert runs
 * while its model is resident, several items at once up to its slots; online requests and batches
 * share the same resident models. Each item has a class (`online` by default, `batch` for batch work):
 * the policy (`grouped` by default, or any `Policy`, e.g. `fifo-lru`) decides which class goes first.
 *
 * Contract: `submit` resolves with the expert's result or rejects with a ConclaveError: the expert's
 * load failure (MODEL_*), MODEL_TOO_LARGE when it can never fit the budget, ABORTED when its signal
 * fires while it waits, CLOSED after `close()`. A failed load fails that expert's backlog only; other
 * experts go on serving. Counters of loads, unloads, evictions and slot use are in `stats()`.
 */
import type { GenerateRequest, GenerateResult } from "../../experts/spec.js";
import { ConclaveError, toConclaveError } from "../../kernel/errors.js";
import { ExpertBacklog } from "../../queues/expert-backlog.js";
import { decide, type Decision, type ExpertSnapshot, type MemoryNeed, type Policy, type WorkClass } from "./policy.js";

export interface SchedulerEffects {
  /** `signal` fires when the policy cancels the load; the effect should stop early and reject. */
  load(expertId: string, signal?: AbortSignal): Promise<void>;
  unload(expertId: string): Promise<void>;
  run(expertId: string, request: GenerateRequest): Promise<GenerateResult>;
}

export interface SchedulableExpert {
  id: string;
  local: boolean;
  slots: number;
  memory: MemoryNeed;
  sticky: boolean;
  /** Set when the expert can never serve (its file is unreadable): every item fails with it. */
  unavailable?: ConclaveError;
}

export interface SchedulerOptions {
  budget: MemoryNeed;
  fairnessCap: number;
  ageWeightMs: number;
  /** The policy; conclave's `decide` (grouped) when absent. */
  policy?: Policy;
  /** Passed to the policy (see `PolicyInput`). */
  prefetch?: boolean;
  maxBatchStarvationMs?: number;
  now?: () => number;
}

export interface SubmitOptions {
  /** Online (the default: a request someone waits for) or batch work. */
  workClass?: WorkClass;
}

export interface ExpertCounters {
  loads: number;
  unloads: number;
  evictions: number;
  loadFailures: number;
  /** Loads the policy cancelled for online work (not failures: their work stays queued). */
  loadsCancelled: number;
  served: number;
  failed: number;
  peakInFlight: number;
  /** Sum over served items of their run time, for slot utilisation. */
  busyMs: number;
  loadMs: number;
}

export interface SchedulerStats {
  loads: number;
  unloads: number;
  evictions: number;
  experts: Record<string, ExpertCounters & { resident: boolean; loading: boolean; inFlight: number; backlog: number; slots: number }>;
}

interface WorkItem {
  request: GenerateRequest;
  workClass: WorkClass;
  /** Arrival order over every expert. */
  seq: number;
  resolve: (result: GenerateResult) => void;
  reject: (error: Error) => void;
  detach: () => void;
}

interface ExpertState {
  spec: SchedulableExpert;
  resident: boolean;
  loading: boolean;
  /** Aborts the load in progress; its signal is aborted once the policy cancelled the load. */
  loadAbort: AbortController | undefined;
  inFlight: number;
  servedSinceLoad: number;
  lastUsedAt: number;
  failure: ConclaveError | undefined;
  counters: ExpertCounters;
}

const emptyCounters = (): ExpertCounters => ({
  loads: 0,
  unloads: 0,
  evictions: 0,
  loadFailures: 0,
  loadsCancelled: 0,
  served: 0,
  failed: 0,
  peakInFlight: 0,
  busyMs: 0,
  loadMs: 0,
});

export class Scheduler {
  private readonly experts = new Map<string, ExpertState>();
  private readonly backlogs: Record<WorkClass, ExpertBacklog<WorkItem>>;
  private readonly now: () => number;
  private readonly policy: Policy;
  private arrivals = 0;
  private batchInFlight = 0;
  /** When a batch item last started or finished: batch starvation counts from there. */
  private batchActiveAt = -Infinity;
  private closed = false;
  private idleWaiters: Array<() => void> = [];

  constructor(
    experts: readonly SchedulableExpert[],
    private readonly effects: SchedulerEffects,
    private readonly options: SchedulerOptions,
  ) {
    this.now = options.now ?? (() => performance.now());
    this.backlogs = { online: new ExpertBacklog(this.now), batch: new ExpertBacklog(this.now) };
    this.policy = options.policy ?? decide;
    for (const spec of experts) {
      this.experts.set(spec.id, {
        spec,
        // Remote experts need no load: they count as resident from the start.
        resident: !spec.local,
        loading: false,
        loadAbort: undefined,
        inFlight: 0,
        servedSinceLoad: 0,
        lastUsedAt: 0,
        failure: spec.unavailable,
        counters: emptyCounters(),
      });
    }
  }

  submit(expertId: string, request: GenerateRequest, options: SubmitOptions = {}): Promise<GenerateResult> {
    if (this.closed) return Promise.reject(new ConclaveError("CLOSED", "the scheduler is closed"));
    const expert = this.experts.get(expertId);
    if (!expert) return Promise.reject(new ConclaveError("MODEL_NOT_FOUND", `no expert with id "${expertId}"`, { param: "model" }));
    if (expert.failure) return Promise.reject(expert.failure);
    if (request.signal?.aborted) return Promise.reject(new ConclaveError("ABORTED", "the request was aborted"));
    const backlog = this.backlogs[options.workClass ?? "online"];
    return new Promise<GenerateResult>((resolve, reject) => {
      const onAbort = () => {
        if (backlog.remove(expertId, item)) {
          reject(new ConclaveError("ABORTED", `the request was aborted while waiting for ${expertId}`));
          this.notifyIfIdle();
        }
      };
      const item: WorkItem = {
        request,
        workClass: options.workClass ?? "online",
        seq: this.arrivals++,
        resolve,
        reject,
        detach: () => request.signal?.removeEventListener("abort", onAbort),
      };
      request.signal?.addEventListener("abort", onAbort, { once: true });
      backlog.push(expertId, item);
      this.pump();
    });
  }

  /** Applies policy decisions until the policy says wait. Synchronous: effects run in the background. */
  private pump(): void {
    for (;;) {
      if (this.closed) break;
      const decision = this.policy({
        experts: this.snapshots(),
        budget: this.options.budget,
        fairnessCap: this.options.fairnessCap,
        ageWeightMs: this.options.ageWeightMs,
        batchStarvedMs: this.batchStarvedMs(),
        ...(this.options.prefetch === undefined ? {} : { prefetch: this.options.prefetch }),
        ...(this.options.maxBatchStarvationMs === undefined ? {} : { maxBatchStarvationMs: this.options.maxBatchStarvationMs }),
      });
      if (decision.kind === "wait") break;
      this.apply(decision);
    }
    this.notifyIfIdle();
  }

  private apply(decision: Exclude<Decision, { kind: "wait" }>): void {
    const expert = this.experts.get(decision.expertId)!;
    switch (decision.kind) {
      case "serve":
        return this.serve(expert, decision.workClass);
      case "load":
        return this.load(expert, decision.evict);
      case "refuse":
        return this.fail(expert, new ConclaveError("MODEL_TOO_LARGE", decision.reason));
      case "cancel-load":
        expert.loadAbort?.abort(new ConclaveError("ABORTED", `load of ${expert.spec.id} cancelled: ${decision.reason}`));
        return;
      default: {
        const unreachable: never = decision;
        throw new Error(`unknown decision ${JSON.stringify(unreachable)}`);
      }
    }
  }

  /** Takes the expert's next item of the class (or the oldest of either) and runs it. */
  private serve(expert: ExpertState, workClass: WorkClass | undefined): void {
    const id = expert.spec.id;
    const online = this.backlogs.online.peek(id);
    const batch = this.backlogs.batch.peek(id);
    const pick = workClass ?? (online && (!batch || online.seq < batch.seq) ? "online" : "batch");
    const from = (pick === "online" ? online : batch) ? pick : pick === "online" ? "batch" : "online";
    const item = this.backlogs[from].shift(id);
    if (!item) return;
    item.detach();
    if (item.workClass === "batch") {
      this.batchInFlight += 1;
      this.batchActiveAt = this.now();
    }
    expert.inFlight += 1;
    expert.servedSinceLoad += 1;
    expert.lastUsedAt = this.now();
    expert.counters.peakInFlight = Math.max(expert.counters.peakInFlight, expert.inFlight);
    const started = this.now();
    this.effects.run(expert.spec.id, item.request).then(
      (result) => {
        expert.counters.served += 1;
        item.resolve(result);
      },
      (error: unknown) => {
        expert.counters.failed += 1;
        item.reject(toConclaveError(error));
      },
    ).finally(() => {
      if (item.workClass === "batch") {
        this.batchInFlight -= 1;
        this.batchActiveAt = this.now();
      }
      expert.inFlight -= 1;
      expert.counters.busyMs += this.now() - started;
      expert.lastUsedAt = this.now();
      this.pump();
    });
  }

  private load(expert: ExpertState, evict: string[]): void {
    expert.loading = true;
    const abort = new AbortController();
    expert.loadAbort = abort;
    const started = this.now();
    const victims = evict.map((id) => this.experts.get(id)!);
    // Victims leave the resident set at once so the policy never serves them while they unload.
    for (const victim of victims) victim.resident = false;
    void (async () => {
      for (const victim of victims) {
        await this.effects.unload(victim.spec.id);
        victim.counters.unloads += 1;
        victim.counters.evictions += 1;
      }
      abort.signal.throwIfAborted();
      await this.effects.load(expert.spec.id, abort.signal);
    })().then(
      () => {
        expert.resident = true;
        expert.servedSinceLoad = 0;
        expert.lastUsedAt = this.now();
        expert.counters.loads += 1;
        expert.counters.loadMs += this.now() - started;
      },
      (error: unknown) => {
        // A cancelled load is no failure: the expert's work stays queued for its next turn.
        if (abort.signal.aborted) {
          expert.counters.loadsCancelled += 1;
          return;
        }
        expert.counters.loadFailures += 1;
        this.fail(expert, toConclaveError(error, "MODEL_LOAD_FAILED"));
      },
    ).finally(() => {
      expert.loading = false;
      expert.loadAbort = undefined;
      this.pump();
    });
  }

  /** The expert can never serve: fail what waits for it and whatever comes later. */
  private fail(expert: ExpertState, error: ConclaveError): void {
    expert.failure = error;
    for (const item of this.drain(expert.spec.id)) {
      item.detach();
      item.reject(error);
    }
  }

  private drain(expertId: string): WorkItem[] {
    return [...this.backlogs.online.drain(expertId), ...this.backlogs.batch.drain(expertId)];
  }

  private backlogCount(expertId: string): number {
    return this.backlogs.online.stats(expertId).count + this.backlogs.batch.stats(expertId).count;
  }

  /** How long waiting batch work has gone without a batch item running (0 when none waits or one runs). */
  private batchStarvedMs(): number {
    if (this.batchInFlight > 0) return 0;
    let oldest = Infinity;
    for (const id of this.backlogs.batch.expertIds()) oldest = Math.min(oldest, this.backlogs.batch.stats(id).oldestEnqueuedAt ?? Infinity);
    if (oldest === Infinity) return 0;
    return this.now() - Math.max(oldest, this.batchActiveAt);
  }

  private snapshots(): ExpertSnapshot[] {
    const now = this.now();
    return [...this.experts.values()]
      .filter((expert) => !expert.failure)
      .map((expert) => {
        const online = this.backlogs.online.stats(expert.spec.id);
        const batch = this.backlogs.batch.stats(expert.spec.id);
        const oldest = Math.min(online.oldestEnqueuedAt ?? Infinity, batch.oldestEnqueuedAt ?? Infinity);
        const heads = [this.backlogs.online.peek(expert.spec.id)?.seq, this.backlogs.batch.peek(expert.spec.id)?.seq];
        return {
          id: expert.spec.id,
          local: expert.spec.local,
          resident: expert.resident,
          loading: expert.loading,
          cancelling: expert.loadAbort?.signal.aborted ?? false,
          memory: expert.spec.memory,
          slots: expert.spec.slots,
          inFlight: expert.inFlight,
          backlog: online.count + batch.count,
          oldestWaitMs: oldest === Infinity ? 0 : now - oldest,
          onlineBacklog: online.count,
          onlineOldestWaitMs: online.oldestEnqueuedAt === undefined ? 0 : now - online.oldestEnqueuedAt,
          batchOldestWaitMs: batch.oldestEnqueuedAt === undefined ? 0 : now - batch.oldestEnqueuedAt,
          oldestArrival: Math.min(...heads.map((seq) => seq ?? Infinity)),
          servedSinceLoad: expert.servedSinceLoad,
          lastUsedAt: expert.lastUsedAt,
          sticky: expert.spec.sticky,
        };
      });
  }

  stats(): SchedulerStats {
    const experts: SchedulerStats["experts"] = {};
    let loads = 0;
    let unloads = 0;
    let evictions = 0;
    for (const [id, expert] of this.experts) {
      loads += expert.counters.loads;
      unloads += expert.counters.unloads;
      evictions += expert.counters.evictions;
      experts[id] = {
        ...expert.counters,
        resident: expert.resident,
        loading: expert.loading,
        inFlight: expert.inFlight,
        backlog: this.backlogCount(id),
        slots: expert.spec.slots,
      };
    }
    return { loads, unloads, evictions, experts };
  }

  /** The reason an expert cannot serve, if it cannot. */
  unavailableReason(expertId: string): ConclaveError | undefined {
    return this.experts.get(expertId)?.failure;
  }

  private isIdle(): boolean {
    return this.backlogs.online.total() + this.backlogs.batch.total() === 0 && [...this.experts.values()].every((e) => e.inFlight === 0 && !e.loading);
  }

  private notifyIfIdle(): void {
    if (this.idleWaiters.length > 0 && this.isIdle()) this.idleWaiters.splice(0).forEach((done) => done());
  }

  /** Resolves when nothing waits, runs or loads. */
  whenIdle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Unloads every resident local model that has nothing to do. The per-instance baseline of the batch
   * benchmark uses it to reproduce naive loading; operators can use it to free memory.
   */
  async unloadIdle(): Promise<string[]> {
    const idle = [...this.experts.values()].filter(
      (e) => e.spec.local && e.resident && !e.loading && e.inFlight === 0 && this.backlogCount(e.spec.id) === 0,
    );
    for (const expert of idle) {
      expert.resident = false;
      await this.effects.unload(expert.spec.id);
      expert.counters.unloads += 1;
    }
    return idle.map((e) => e.spec.id);
  }

  /** Fails waiting work with CLOSED, lets running work finish, then unloads every resident model. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const error = new ConclaveError("CLOSED", "the scheduler is shutting down");
    for (const id of new Set([...this.backlogs.online.expertIds(), ...this.backlogs.batch.expertIds()])) {
      for (const item of this.drain(id)) {
        item.detach();
        item.reject(error);
      }
    }
    await this.whenIdle();
    for (const expert of this.experts.values()) {
      if (expert.spec.local && expert.resident) {
        expert.resident = false;
        await this.effects.unload(expert.spec.id).catch(() => undefined);
        expert.counters.unloads += 1;
      }
    }
  }
}
