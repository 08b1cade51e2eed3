/**
 * Which expert queues a worker drains: a pure decision from a snapshot of the expert queues (no
 * Redis, no clock), applied by the worker loop. Rules:
 *
 * 1. keep draining an expert whose queue still has backlog or whose jobs still run here; stop
 *    draining one with neither (its Worker pauses, its claim is released);
 * 2. start at most one more expert per decision (one model load at a time), only while fewer than
 *    `maxDraining` are drained and the drained experts' models, with the new one, fit `budget`;
 * 3. the one started has backlog and is, in order of preference: not claimed by another worker
 *    (so workers split the experts instead of all loading every model), already resident in this
 *    process, the largest backlog, then the smallest id. An expert another worker claims is joined
 *    only when its backlog exceeds `joinFactor` x its slots.
 */

export interface ExpertQueueView {
  id: string;
  /** Sequences the expert runs at once in this process. */
  slots: number;
  /** Jobs ready to run or about to be (waiting, prioritized, delayed). */
  backlog: number;
  /** Generations of this expert running or queued in this process's scheduler. */
  busy: number;
  /** The model is loaded in this process. */
  resident: boolean;
  /** This worker drains the queue now. */
  draining: boolean;
  /** Another worker holds the expert's claim. */
  claimedByOther: boolean;
  /** RAM the model needs (0 when unknown). */
  memory: number;
}

export interface ControllerInput {
  experts: readonly ExpertQueueView[];
  /** RAM the drained experts' models may use together. */
  budget: number;
  joinFactor: number;
  maxDraining: number;
}

export interface DrainDecision {
  keep: string[];
  stop: string[];
  start: string | undefined;
}

function preference(a: ExpertQueueView, b: ExpertQueueView): number {
  return (
    Number(a.claimedByOther) - Number(b.claimedByOther) ||
    Number(b.resident) - Number(a.resident) ||
    b.backlog - a.backlog ||
    a.id.localeCompare(b.id)
  );
}

export function decideDrain(input: ControllerInput): DrainDecision {
  const keep = input.experts.filter((e) => e.draining && (e.backlog > 0 || e.busy > 0));
  const stop = input.experts.filter((e) => e.draining && e.backlog === 0 && e.busy === 0);
  const used = keep.reduce((sum, e) => sum + e.memory, 0);
  const start =
    keep.length >= input.maxDraining
      ? undefined
      : input.experts
          .filter((e) => !e.draining && e.backlog > 0)
          .filter((e) => !e.claimedByOther || e.backlog > input.joinFactor * e.slots)
          .filter((e) => used + e.memory <= input.budget)
          .sort(preference)[0];
  return { keep: keep.map((e) => e.id), stop: stop.map((e) => e.id), start: start?.id };
}
