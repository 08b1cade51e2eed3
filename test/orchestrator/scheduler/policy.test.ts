import { describe, expect, it } from "vitest";
import { decide, type ExpertSnapshot, type PolicyInput } from "../../../orchestrator/scheduler/policy.js";

const GB = 1e9;

function expert(id: string, overrides: Partial<ExpertSnapshot> = {}): ExpertSnapshot {
  return {
    id,
    local: true,
    resident: false,
    loading: false,
    memory: { ram: 1 * GB, vram: 0 },
    slots: 2,
    inFlight: 0,
    backlog: 0,
    oldestWaitMs: 0,
    servedSinceLoad: 0,
    lastUsedAt: 0,
    sticky: false,
    ...overrides,
  };
}

function input(experts: ExpertSnapshot[], budgetGb = 2, fairnessCap = 100): PolicyInput {
  return { experts, budget: { ram: budgetGb * GB, vram: 0 }, fairnessCap, ageWeightMs: 1000 };
}

describe("scheduling policy", () => {
  it("serves a resident expert with backlog and a free slot before loading anything", () => {
    const decision = decide(input([expert("a", { resident: true, backlog: 1 }), expert("b", { backlog: 9 })]));
    expect(decision).toEqual({ kind: "serve", expertId: "a" });
  });

  it("does not serve beyond the expert's slots", () => {
    const decision = decide(input([expert("a", { resident: true, backlog: 3, inFlight: 2 })], 1));
    expect(decision.kind).toBe("wait");
  });

  it("loads the waiting expert with the heaviest age-weighted backlog when it fits", () => {
    const old = expert("old", { backlog: 2, oldestWaitMs: 5000 }); // weight 2 + 5 = 7
    const many = expert("many", { backlog: 6, oldestWaitMs: 0 }); // weight 6
    expect(decide(input([many, old]))).toEqual({ kind: "load", expertId: "old", evict: [] });
  });

  it("loads one model at a time", () => {
    const decision = decide(input([expert("a", { loading: true }), expert("b", { backlog: 1 })], 10));
    expect(decision).toEqual({ kind: "wait", reason: "loading a" });
  });

  it("evicts the least recently used idle expert to make room", () => {
    const experts = [
      expert("recent", { resident: true, lastUsedAt: 20 }),
      expert("stale", { resident: true, lastUsedAt: 10 }),
      expert("next", { backlog: 4 }),
    ];
    expect(decide(input(experts))).toEqual({ kind: "load", expertId: "next", evict: ["stale"] });
  });

  it("never evicts an expert that is running or still has backlog under its fairness cap", () => {
    const experts = [
      expert("busy", { resident: true, inFlight: 2, slots: 2, backlog: 0 }),
      expert("queued", { resident: true, inFlight: 2, slots: 2, backlog: 5 }),
      expert("next", { backlog: 4 }),
    ];
    expect(decide(input(experts)).kind).toBe("wait");
  });

  it("keeps the sticky aggregator while another local expert is resident", () => {
    const experts = [
      expert("aggregator", { resident: true, sticky: true, lastUsedAt: 1 }),
      expert("worker", { resident: true, inFlight: 1, backlog: 0, lastUsedAt: 5 }),
      expert("next", { backlog: 3 }),
    ];
    expect(decide(input(experts)).kind).toBe("wait");
  });

  it("evicts the sticky aggregator when it is the only resident", () => {
    const experts = [expert("aggregator", { resident: true, sticky: true }), expert("next", { backlog: 3 })];
    expect(decide(input(experts, 1))).toEqual({ kind: "load", expertId: "next", evict: ["aggregator"] });
  });

  it("refuses a model bigger than the whole budget, with the sizes in the reason", () => {
    const decision = decide(input([expert("huge", { backlog: 1, memory: { ram: 5 * GB, vram: 0 } })]));
    expect(decision.kind).toBe("refuse");
    expect(decision.kind === "refuse" && decision.reason).toMatch(/huge needs 4\.66 GiB of RAM but the memory budget is 1\.86 GiB/);
  });

  it("makes an expert past its fairness cap yield to one waiting for its memory", () => {
    const hog = expert("hog", { resident: true, backlog: 50, servedSinceLoad: 10 });
    const starving = expert("starving", { backlog: 1, oldestWaitMs: 60_000 });
    // Under the cap the hog keeps serving; past it, it stops taking work and is evicted.
    expect(decide(input([{ ...hog, servedSinceLoad: 5 }, starving], 1, 10))).toEqual({ kind: "serve", expertId: "hog" });
    expect(decide(input([hog, starving], 1, 10))).toEqual({ kind: "load", expertId: "starving", evict: ["hog"] });
  });

  it("treats remote experts as always resident and memory-free", () => {
    const remote = expert("remote", { local: false, resident: true, backlog: 2, memory: { ram: 0, vram: 0 } });
    expect(decide(input([remote], 0))).toEqual({ kind: "serve", expertId: "remote" });
  });

  it("checks VRAM as well as RAM", () => {
    const gpu = expert("gpu", { resident: true, memory: { ram: 0.1 * GB, vram: 8 * GB } });
    const next = expert("next", { backlog: 1, memory: { ram: 0.1 * GB, vram: 8 * GB } });
    const decision = decide({ ...input([gpu, next]), budget: { ram: 4 * GB, vram: 12 * GB } });
    expect(decision).toEqual({ kind: "load", expertId: "next", evict: ["gpu"] });
  });
});
