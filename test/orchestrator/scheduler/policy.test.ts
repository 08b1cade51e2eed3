import { describe, expect, it } from "vitest";
import { decide, type ExpertSnapshot, type PolicyInput } from "../../../orchestrator/scheduler/policy.js";
import { decideFifoLru } from "../../../orchestrator/scheduler/fifo-lru.js";
import { policyNamed } from "../../../orchestrator/scheduler/policies.js";

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
    expect(decision).toEqual({ kind: "serve", expertId: "a", workClass: "batch" });
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
    expect(decide(input([{ ...hog, servedSinceLoad: 5 }, starving], 1, 10))).toEqual({ kind: "serve", expertId: "hog", workClass: "batch" });
    expect(decide(input([hog, starving], 1, 10))).toEqual({ kind: "load", expertId: "starving", evict: ["hog"] });
  });

  it("treats remote experts as always resident and memory-free", () => {
    const remote = expert("remote", { local: false, resident: true, backlog: 2, memory: { ram: 0, vram: 0 } });
    expect(decide(input([remote], 0))).toEqual({ kind: "serve", expertId: "remote", workClass: "batch" });
  });

  it("checks VRAM as well as RAM", () => {
    const gpu = expert("gpu", { resident: true, memory: { ram: 0.1 * GB, vram: 8 * GB } });
    const next = expert("next", { backlog: 1, memory: { ram: 0.1 * GB, vram: 8 * GB } });
    const decision = decide({ ...input([gpu, next]), budget: { ram: 4 * GB, vram: 12 * GB } });
    expect(decision).toEqual({ kind: "load", expertId: "next", evict: ["gpu"] });
  });
});

describe("grouped policy: online before batch", () => {
  it("serves an expert's online items before its batch items, and online experts first", () => {
    const batchHeavy = expert("batchy", { resident: true, backlog: 50, oldestWaitMs: 9000 });
    const chat = expert("chat", { resident: true, backlog: 1, onlineBacklog: 1, onlineOldestWaitMs: 10 });
    expect(decide(input([batchHeavy, chat]))).toEqual({ kind: "serve", expertId: "chat", workClass: "online" });
    const both = expert("both", { resident: true, backlog: 51, onlineBacklog: 1 });
    expect(decide(input([both]))).toEqual({ kind: "serve", expertId: "both", workClass: "online" });
  });

  it("loads the model an online request needs, evicting an expert that only has batch work", () => {
    const batchA = expert("a", { resident: true, backlog: 40, lastUsedAt: 5 });
    const batchB = expert("b", { resident: true, backlog: 40, lastUsedAt: 9 });
    const chat = expert("c", { backlog: 1, onlineBacklog: 1 });
    expect(decide(input([batchA, batchB, chat]))).toEqual({ kind: "load", expertId: "c", evict: ["a"] });
  });

  it("preempts the batch after the generations in flight: the victim takes no new batch item", () => {
    const busyA = expert("a", { resident: true, backlog: 40, inFlight: 1, slots: 2, lastUsedAt: 5 });
    const busyB = expert("b", { resident: true, backlog: 40, inFlight: 2, slots: 2, lastUsedAt: 9 });
    const chat = expert("c", { backlog: 1, onlineBacklog: 1 });
    // Without the chat, a's free slot takes batch work; with it, a drains and b (full) waits.
    expect(decide(input([busyA, busyB]))).toEqual({ kind: "serve", expertId: "a", workClass: "batch" });
    expect(decide(input([busyA, busyB, chat])).kind).toBe("wait");
    expect(decide(input([{ ...busyA, inFlight: 0 }, busyB, chat]))).toEqual({ kind: "load", expertId: "c", evict: ["a"] });
  });

  it("loads for the oldest online request first (latency), but for the heaviest batch backlog (throughput)", () => {
    const lone = { backlog: 1, oldestWaitMs: 900 };
    const pair = { backlog: 3, oldestWaitMs: 100 };
    const online = [expert("lone", { ...lone, onlineBacklog: 1, onlineOldestWaitMs: 900 }), expert("pair", { ...pair, onlineBacklog: 3, onlineOldestWaitMs: 100 })];
    expect(decide(input(online))).toEqual({ kind: "load", expertId: "lone", evict: [] });
    expect(decide(input([expert("lone", lone), expert("pair", pair)]))).toEqual({ kind: "load", expertId: "pair", evict: [] });
  });

  it("gives batch work its turn once it has starved longer than the bound", () => {
    const busyA = expert("a", { resident: true, backlog: 40, inFlight: 1, slots: 2, lastUsedAt: 5 });
    const busyB = expert("b", { resident: true, backlog: 40, inFlight: 2, slots: 2, lastUsedAt: 9 });
    const chat = expert("c", { backlog: 1, onlineBacklog: 1 });
    const bounded = { ...input([busyA, busyB, chat]), maxBatchStarvationMs: 1000 };
    expect(decide({ ...bounded, batchStarvedMs: 999 }).kind).toBe("wait");
    expect(decide({ ...bounded, batchStarvedMs: 1001 })).toEqual({ kind: "serve", expertId: "a" });
  });
});

describe("grouped policy: online work cancels a batch load", () => {
  const batchLoad = expert("a", { loading: true, backlog: 40 });
  const chat = expert("c", { backlog: 1, onlineBacklog: 1 });

  it("cancels a load that only batch work waits for when a chat waits for another model", () => {
    expect(decide(input([batchLoad, chat]))).toEqual({ kind: "cancel-load", expertId: "a", reason: "online work waits for c" });
  });

  it("never cancels a load that online work waits for, nor one already being cancelled, nor without online work", () => {
    expect(decide(input([{ ...batchLoad, onlineBacklog: 1 }, chat])).kind).toBe("wait");
    expect(decide(input([{ ...batchLoad, cancelling: true }, chat]))).toEqual({ kind: "wait", reason: "loading a" });
    expect(decide(input([batchLoad, expert("c", { backlog: 1 })]))).toEqual({ kind: "wait", reason: "loading a" });
  });

  it("lets the batch load finish once batch work has starved past its bound", () => {
    const starved = { ...input([batchLoad, chat]), maxBatchStarvationMs: 1000, batchStarvedMs: 1001 };
    expect(decide(starved).kind).toBe("wait");
  });

  it("is conclave's rule only: fifo-lru waits for the load in progress", () => {
    expect(decideFifoLru(input([{ ...batchLoad, oldestArrival: 0 }, { ...chat, oldestArrival: 1 }])).kind).toBe("wait");
  });
});

describe("grouped policy: prefetch", () => {
  it("loads the next expert while the current one still generates, only with prefetch", () => {
    const current = expert("a", { resident: true, backlog: 0, inFlight: 2, slots: 2 });
    const next = expert("b", { backlog: 10 });
    expect(decide(input([current, next]))).toEqual({ kind: "load", expertId: "b", evict: [] });
    expect(decide({ ...input([current, next]), prefetch: true })).toEqual({ kind: "load", expertId: "b", evict: [] });
    expect(decide({ ...input([current, next]), prefetch: false })).toEqual({ kind: "wait", reason: "no prefetch: b loads after a finishes" });
    expect(decide({ ...input([{ ...current, inFlight: 0 }, next]), prefetch: false })).toEqual({ kind: "load", expertId: "b", evict: [] });
    const chat = { ...next, onlineBacklog: 10, onlineOldestWaitMs: 5 };
    expect(decide({ ...input([current, chat]), prefetch: false }).kind).toBe("wait");
    expect(decide({ ...input([current, chat]), prefetch: true }).kind).toBe("load");
  });
});

describe("fifo-lru policy (Ollama, llama-swap)", () => {
  const fifo = (experts: ExpertSnapshot[], budgetGb = 2) => decideFifoLru(input(experts, budgetGb));

  it("serves in arrival order across experts, whatever their backlog", () => {
    const early = expert("early", { resident: true, backlog: 1, oldestArrival: 3 });
    const heavy = expert("heavy", { resident: true, backlog: 90, oldestArrival: 7 });
    expect(fifo([heavy, early])).toEqual({ kind: "serve", expertId: "early" });
  });

  it("blocks every later request behind the first one whose model is not resident", () => {
    const blocker = expert("cold", { backlog: 1, oldestArrival: 1 });
    const later = expert("warm", { resident: true, backlog: 5, oldestArrival: 2, lastUsedAt: 4 });
    // The warm model has free slots but its requests came after: it is evicted (LRU, idle) instead.
    expect(fifo([blocker, later], 1)).toEqual({ kind: "load", expertId: "cold", evict: ["warm"] });
    // Requests that came before the blocker are dispatched first.
    expect(fifo([blocker, { ...later, oldestArrival: 0 }], 1)).toEqual({ kind: "serve", expertId: "warm" });
  });

  it("evicts the least recently used idle model, never one with dispatched work", () => {
    const recent = expert("recent", { resident: true, lastUsedAt: 20 });
    const stale = expert("stale", { resident: true, lastUsedAt: 10, inFlight: 1 });
    const next = expert("next", { backlog: 1, oldestArrival: 0 });
    expect(fifo([recent, stale, next])).toEqual({ kind: "load", expertId: "next", evict: ["recent"] });
    expect(fifo([{ ...recent, inFlight: 1 }, stale, next]).kind).toBe("wait");
  });

  it("ignores stickiness, fairness and class: the aggregator is evicted like any model", () => {
    const aggregator = expert("aggregator", { resident: true, sticky: true, lastUsedAt: 1 });
    const worker = expert("worker", { resident: true, lastUsedAt: 5 });
    const next = expert("next", { backlog: 1, onlineBacklog: 1, oldestArrival: 0 });
    expect(fifo([aggregator, worker, next])).toEqual({ kind: "load", expertId: "next", evict: ["aggregator"] });
  });

  it("loads one model at a time and refuses a model bigger than the budget", () => {
    expect(fifo([expert("a", { loading: true, backlog: 1, oldestArrival: 0 }), expert("b", { backlog: 1, oldestArrival: 1 })], 10).kind).toBe("wait");
    expect(fifo([expert("huge", { backlog: 1, oldestArrival: 0, memory: { ram: 5 * GB, vram: 0 } })]).kind).toBe("refuse");
  });

  it("is chosen by name with the grouped policy", () => {
    expect(policyNamed("fifo-lru")).toBe(decideFifoLru);
    expect(policyNamed("grouped")).toBe(decide);
    expect(() => policyNamed("random" as never)).toThrow(/unknown scheduler policy "random"/);
  });
});
