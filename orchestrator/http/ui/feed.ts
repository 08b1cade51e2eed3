/**
 * What the dashboard shows, as plain JSON: a snapshot of every expert (state, memory against the
 * budget, sequences in use, backlog, loads and evictions so far), a ring buffer of the last N routing
 * traces, and a caller's own batches.
 *
 * Input: the orchestrator (statuses, scheduler counters, finished instances through `onFinished`)
 * and, when there is one, the batch service. Output: `snapshot()`, `traces(viewer)` and `subscribe`
 * for new traces. Traces carry a question, so each one records the owner of the request that asked
 * it (from the request's async context, see ui.ts) and a viewer sees only its own unless it is an
 * admin key or keys are off. `close()` detaches from the orchestrator and is idempotent.
 */
import type { InstanceOutcome } from "../../../kernel/contracts.js";
import type { FinishedInstance, Orchestrator } from "../../orchestrator.js";
import { routingText } from "../../pipeline.js";
import type { Principal } from "../../principal.js";

export type ExpertState = "resident" | "loading" | "evicted" | "cold" | "remote" | "unavailable";

export interface ExpertView {
  id: string;
  state: ExpertState;
  aggregator: boolean;
  ramBytes: number;
  inFlight: number;
  slots: number;
  backlog: number;
  loads: number;
  evictions: number;
  served: number;
  unavailable: string | null;
}

export interface Snapshot {
  at: number;
  budgetRamBytes: number;
  loads: number;
  evictions: number;
  experts: ExpertView[];
}

export interface TraceView {
  id: string;
  at: number;
  workClass: FinishedInstance["workClass"];
  question: string;
  skills: Array<{ skill: string; score: number }>;
  strategy: string;
  recruits: Array<{ expertId: string; weight: number; reason: string }>;
  aggregation: InstanceOutcome["trace"]["aggregation"];
  times: InstanceOutcome["trace"]["times"];
  finishReason: string;
  failures: number;
}

/** Questions longer than this are cut in the trace list (the full text stays with the caller). */
const QUESTION_CHARS = 120;

export function traceView(finished: FinishedInstance, at = Date.now()): TraceView {
  const { instance, outcome, workClass } = finished;
  const question = routingText(instance.messages);
  const { trace } = outcome;
  return {
    id: outcome.id,
    at,
    workClass,
    question: question.length > QUESTION_CHARS ? `${question.slice(0, QUESTION_CHARS - 1)}…` : question,
    skills: trace.skills.map(({ skill, score }) => ({ skill, score: Math.round(score * 1000) / 1000 })),
    strategy: trace.recruitment.strategy,
    recruits: trace.recruitment.recruits.map(({ expertId, weight, reason }) => ({ expertId, weight: Math.round(weight * 1000) / 1000, reason })),
    aggregation: trace.aggregation,
    times: trace.times,
    finishReason: outcome.finishReason,
    failures: trace.failures.length,
  };
}

interface OwnedTrace {
  owner: string | undefined;
  view: TraceView;
}

export class DashboardFeed {
  private readonly ring: OwnedTrace[] = [];
  private readonly listeners = new Set<(trace: OwnedTrace) => void>();
  private readonly detach: () => void;

  constructor(
    private readonly orchestrator: Orchestrator,
    /** How many traces are kept. */
    private readonly capacity: number,
    /** Whether keys are checked: without keys every viewer is the same anonymous owner. */
    private readonly keysEnabled: boolean,
    /** The owner of the request the current async context serves, if any. */
    ownerNow: () => string | undefined,
  ) {
    this.detach = orchestrator.onFinished((finished) => {
      const owned = { owner: ownerNow(), view: traceView(finished) };
      this.ring.push(owned);
      if (this.ring.length > this.capacity) this.ring.shift();
      for (const listener of this.listeners) listener(owned);
    });
  }

  /** Whether `viewer` may see a trace its owner's request produced. */
  private visible(viewer: Principal, owner: string | undefined): boolean {
    return !this.keysEnabled || viewer.admin || owner === viewer.owner;
  }

  traces(viewer: Principal): TraceView[] {
    return this.ring.filter((t) => this.visible(viewer, t.owner)).map((t) => t.view);
  }

  /** New traces `viewer` may see; returns the unsubscribe. */
  subscribe(viewer: Principal, listener: (trace: TraceView) => void): () => void {
    const filtered = (trace: OwnedTrace) => {
      if (this.visible(viewer, trace.owner)) listener(trace.view);
    };
    this.listeners.add(filtered);
    return () => this.listeners.delete(filtered);
  }

  snapshot(): Snapshot {
    const stats = this.orchestrator.stats();
    const experts = [...this.orchestrator.statuses.values()].map((status): ExpertView => {
      const counters = stats.experts[status.id];
      const state: ExpertState = status.unavailable
        ? "unavailable"
        : status.kind !== "llama"
          ? "remote"
          : counters?.loading
            ? "loading"
            : counters?.resident
              ? "resident"
              : (counters?.unloads ?? 0) > 0
                ? "evicted"
                : "cold";
      return {
        id: status.id,
        state,
        aggregator: status.id === this.orchestrator.aggregator,
        ramBytes: status.memory?.ramBytes ?? 0,
        inFlight: counters?.inFlight ?? 0,
        slots: counters?.slots ?? status.slots,
        backlog: counters?.backlog ?? 0,
        loads: counters?.loads ?? 0,
        evictions: counters?.evictions ?? 0,
        served: counters?.served ?? 0,
        unavailable: status.unavailable?.message ?? null,
      };
    });
    return { at: Date.now(), budgetRamBytes: this.orchestrator.budget.ram, loads: stats.loads, evictions: stats.evictions, experts };
  }

  close(): void {
    this.detach();
    this.listeners.clear();
  }
}
