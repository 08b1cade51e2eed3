/**
 * The drain decision on hand-made snapshots: keep/stop by backlog, one start at a time, split with
 * other workers via claims, prefer resident models, respect the memory budget and the cap.
 */
import { describe, expect, it } from "vitest";
import { decideDrain, type ControllerInput, type ExpertQueueView } from "../../../queues/bullmq/controller.js";

const MB = 2 ** 20;
const view = (id: string, extra: Partial<ExpertQueueView> = {}): ExpertQueueView => ({
  id,
  slots: 4,
  backlog: 0,
  busy: 0,
  resident: false,
  draining: false,
  claimedByOther: false,
  memory: 50 * MB,
  ...extra,
});
const input = (experts: ExpertQueueView[], extra: Partial<ControllerInput> = {}): ControllerInput => ({
  experts,
  budget: 1000 * MB,
  joinFactor: 4,
  maxDraining: Infinity,
  ...extra,
});

describe("decideDrain", () => {
  it("keeps draining experts with backlog and stops those whose queue is empty", () => {
    const decision = decideDrain(input([view("a", { draining: true, backlog: 3 }), view("b", { draining: true, backlog: 0 })]));
    expect(decision).toEqual({ keep: ["a"], stop: ["b"], start: undefined });
  });

  it("keeps draining an empty queue while its jobs still run here", () => {
    const decision = decideDrain(input([view("a", { draining: true, backlog: 0, busy: 2 })]));
    expect(decision).toEqual({ keep: ["a"], stop: [], start: undefined });
  });

  it("starts the largest backlog, one expert per decision", () => {
    const decision = decideDrain(input([view("a", { backlog: 2 }), view("b", { backlog: 9 }), view("c", { backlog: 5 })]));
    expect(decision.start).toBe("b");
    expect(decision.keep).toEqual([]);
  });

  it("does nothing when no queue has backlog", () => {
    expect(decideDrain(input([view("a"), view("b")]))).toEqual({ keep: [], stop: [], start: undefined });
  });

  it("prefers an unclaimed expert over a larger one another worker drains", () => {
    const decision = decideDrain(input([view("big", { backlog: 12, claimedByOther: true }), view("small", { backlog: 2 })]));
    expect(decision.start).toBe("small");
  });

  it("joins a claimed expert only when its backlog exceeds joinFactor x slots", () => {
    expect(decideDrain(input([view("a", { backlog: 16, claimedByOther: true })])).start).toBeUndefined();
    expect(decideDrain(input([view("a", { backlog: 17, claimedByOther: true })])).start).toBe("a");
    expect(decideDrain(input([view("a", { backlog: 17, claimedByOther: true })], { joinFactor: 10 })).start).toBeUndefined();
  });

  it("prefers a model already resident here over a larger backlog elsewhere", () => {
    const decision = decideDrain(input([view("cold", { backlog: 10 }), view("warm", { backlog: 3, resident: true })]));
    expect(decision.start).toBe("warm");
  });

  it("breaks ties by id", () => {
    expect(decideDrain(input([view("b", { backlog: 4 }), view("a", { backlog: 4 })])).start).toBe("a");
  });

  it("starts nothing that would not fit the memory budget beside the drained experts", () => {
    const experts = [view("a", { draining: true, backlog: 5, memory: 600 * MB }), view("b", { backlog: 9, memory: 500 * MB }), view("c", { backlog: 1, memory: 300 * MB })];
    expect(decideDrain(input(experts)).start).toBe("c");
    expect(decideDrain(input(experts, { budget: 800 * MB })).start).toBeUndefined();
  });

  it("frees the memory of experts it stops before choosing", () => {
    const experts = [view("a", { draining: true, backlog: 0, memory: 600 * MB }), view("b", { backlog: 9, memory: 500 * MB })];
    expect(decideDrain(input(experts, { budget: 800 * MB }))).toEqual({ keep: [], stop: ["a"], start: "b" });
  });

  it("respects the cap on experts drained at once", () => {
    const experts = [view("a", { draining: true, backlog: 5 }), view("b", { backlog: 9 })];
    expect(decideDrain(input(experts, { maxDraining: 1 })).start).toBeUndefined();
    expect(decideDrain(input(experts, { maxDraining: 2 })).start).toBe("b");
  });
});
