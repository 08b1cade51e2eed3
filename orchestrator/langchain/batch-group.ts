/**
 * Turns the N generations of one LangChain batch into a single `orchestrator.runBatch` call.
 *
 * Why: LangChain runs a batch as N independent invocations, while conclave is fastest when it sees
 * the whole batch at once: runBatch routes every instance first and queues them together, so the
 * scheduler groups the work by expert and loads each model once.
 *
 * How: ChatConclave gives every invocation of a batch the same group in a call option (a symbol
 * key, which survives LangChain's option plumbing and is invisible to tracing). Each invocation that
 * reaches `_generate` submits its line; one that will never get there (it failed early, hit the
 * cache or streams on its own) leaves. When every expected invocation has submitted or left, the
 * group runs once and hands each its own result.
 *
 * Aborts: each submission rejects with ABORTED as soon as its own signal fires; the shared run is
 * cancelled once every submitted line has been aborted (a lone abort cannot stop the others' work).
 */
import { setMaxListeners } from "node:events";
import type { InstanceOutcome } from "../../kernel/contracts.js";
import type { BatchResult } from "../orchestrator.js";
import { raceAbort, type ConclaveCall, type InProcessTransport } from "./transport.js";

export const BATCH_SLOT = Symbol.for("conclave.langchain.batchSlot");

/** The call option a batched invocation carries; `index` defaults to LangChain's promptIndex. */
export interface BatchSlot {
  group: BatchGroup;
  index?: number;
}

interface Submission {
  call: ConclaveCall;
  signal: AbortSignal | undefined;
  resolve: (outcome: InstanceOutcome) => void;
  reject: (error: Error) => void;
}

export class BatchGroup {
  private readonly submitted = new Map<number, Submission>();
  private readonly left = new Set<number>();
  private started = false;
  /** How many runBatch calls this group made: 1, unless every invocation left. */
  runs = 0;

  constructor(
    private readonly transport: InProcessTransport,
    private readonly expected: number,
  ) {}

  submit(index: number, call: ConclaveCall, signal: AbortSignal | undefined): Promise<InstanceOutcome> {
    // A late or repeated slot cannot join a run that has begun; it is answered on its own.
    if (this.started || this.submitted.has(index) || this.left.has(index)) {
      const { instance, expertId } = this.transport.line(call);
      return raceAbort(this.transport.orchestrator.answer(instance, { ...(signal ? { signal } : {}), ...(expertId ? { expertId } : {}) }), signal);
    }
    const outcome = new Promise<InstanceOutcome>((resolve, reject) => this.submitted.set(index, { call, signal, resolve, reject }));
    this.settleIfComplete();
    return raceAbort(outcome, signal);
  }

  leave(index: number): void {
    if (this.started || this.submitted.has(index)) return;
    this.left.add(index);
    this.settleIfComplete();
  }

  private settleIfComplete(): void {
    if (this.started || this.submitted.size + this.left.size < this.expected) return;
    this.started = true;
    if (this.submitted.size === 0) return;
    void this.run([...this.submitted.values()]);
  }

  private async run(submissions: Submission[]): Promise<void> {
    this.runs += 1;
    const cancel = new AbortController();
    // The one signal of a runBatch is shared by every line, recruit and stage by design: dozens of
    // listeners on it are expected, not a leak.
    setMaxListeners(0, cancel.signal);
    let aborted = 0;
    for (const { signal } of submissions) {
      signal?.addEventListener(
        "abort",
        () => {
          aborted += 1;
          if (aborted === submissions.length) cancel.abort();
        },
        { once: true },
      );
    }
    let results: BatchResult[];
    try {
      results = await this.transport.orchestrator.runBatch(
        submissions.map(({ call }) => this.transport.line(call)),
        { signal: cancel.signal },
      );
    } catch (error) {
      for (const submission of submissions) submission.reject(error as Error);
      return;
    }
    submissions.forEach((submission, index) => {
      const result = results[index];
      if (result && "outcome" in result) submission.resolve(result.outcome);
      else submission.reject(result?.error ?? new Error("runBatch returned no result"));
    });
  }
}
