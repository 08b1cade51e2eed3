/**
 * Fleet placement on hand-made registry snapshots, one rule per test: jobs go to holders, loads only
 * when holders have no room, hot experts replicate, cold ones load once, co-recruited experts go to
 * different workers, idle least-useful models are evicted, dead workers get nothing, determinism.
 */
import { describe, expect, it } from "vitest";
import { place, type FleetExpertDemand, type FleetWorkerView, type PlacementInput } from "../../../queues/fleet/placement.js";

const GB = 2 ** 30;
const worker = (id: string, extra: Partial<FleetWorkerView> = {}): FleetWorkerView => ({
  id,
  budget: 80 * GB,
  resident: [],
  loading: [],
  inFlight: {},
  alive: true,
  ...extra,
});
const expert = (id: string, extra: Partial<FleetExpertDemand> = {}): FleetExpertDemand => ({
  id,
  memory: 20 * GB,
  slots: 8,
  backlog: { online: 0, batch: 0 },
  rate: 0,
  serviceSeconds: 0,
  ...extra,
});
const input = (workers: FleetWorkerView[], experts: FleetExpertDemand[], extra: Partial<PlacementInput> = {}): PlacementInput => ({
  workers,
  experts,
  coRecruited: [],
  ...extra,
});
const waiting = (online: number, batch = 0) => ({ backlog: { online, batch } });

describe("place", () => {
  it("sends jobs to the worker that holds the expert and loads nothing while it has spare sequences", () => {
    const placement = place(
      input(
        [worker("w1"), worker("w2", { resident: ["a"], inFlight: { a: 2 } })],
        [expert("a", { ...waiting(5), rate: 2, serviceSeconds: 1 })],
      ),
    );
    expect(placement.drain).toEqual({ w1: [], w2: ["a"] });
    expect(placement.loads).toEqual([]);
  });

  it("counts a model loading somewhere as held: no second load of a cold expert", () => {
    const placement = place(input([worker("w1", { loading: ["a"] }), worker("w2")], [expert("a", waiting(20))]));
    expect(placement.loads).toEqual([]);
    expect(placement.drain).toEqual({ w1: ["a"], w2: [] });
  });

  it("loads a cold expert with backlog on exactly one worker", () => {
    const placement = place(input([worker("w1"), worker("w2"), worker("w3")], [expert("a", waiting(100))]));
    expect(placement.loads).toEqual([{ workerId: "w1", expertId: "a", evict: [] }]);
    expect(placement.drain.w1).toEqual(["a"]);
  });

  it("loads nothing for an expert without backlog", () => {
    const placement = place(input([worker("w1")], [expert("a", { rate: 5, serviceSeconds: 2 })]));
    expect(placement.loads).toEqual([]);
  });

  it("replicates a hot expert when its demand exceeds its copies' slots and the holder is full", () => {
    // 30 jobs/s x 1 s = 30 busy sequences; 8 slots per copy at 0.9 occupancy -> 5 copies, 1 held.
    const placement = place(
      input(
        [worker("w1", { resident: ["a"], inFlight: { a: 8 } }), worker("w2"), worker("w3"), worker("w4"), worker("w5"), worker("w6")],
        [expert("a", { ...waiting(40), rate: 30, serviceSeconds: 1 })],
      ),
    );
    expect(placement.loads.map((l) => l.workerId)).toEqual(["w2", "w3", "w4", "w5"]);
    expect(placement.loads.every((l) => l.expertId === "a")).toBe(true);
    expect(Object.keys(placement.drain).filter((w) => placement.drain[w]!.includes("a"))).toEqual(["w1", "w2", "w3", "w4", "w5"]);
  });

  it("does not replicate when the holder is full but the steady demand fits its slots (a short burst)", () => {
    const placement = place(
      input([worker("w1", { resident: ["a"], inFlight: { a: 8 } }), worker("w2")], [expert("a", { ...waiting(4), rate: 2, serviceSeconds: 1 })]),
    );
    expect(placement.loads).toEqual([]);
  });

  it("with clearSeconds, a backlog adds to the demand: a burst gets copies before the smoothed rate rises", () => {
    const snapshot = input(
      [worker("w1", { resident: ["a"], inFlight: { a: 8 } }), worker("w2"), worker("w3")],
      [expert("a", { ...waiting(60), rate: 4, serviceSeconds: 1 })],
    );
    expect(place(snapshot).loads).toEqual([]);
    // (4 + 60 / 10) x 1 s / 0.9 = 11.1 sequences > 8 slots: one more copy.
    expect(place({ ...snapshot, clearSeconds: 10 }).loads).toEqual([{ workerId: "w2", expertId: "a", evict: [] }]);
  });

  it("with the service time unknown, replicates only when the backlog exceeds every copy's slots", () => {
    const full = worker("w1", { resident: ["a"], inFlight: { a: 8 } });
    expect(place(input([full, worker("w2")], [expert("a", waiting(8))])).loads).toEqual([]);
    expect(place(input([full, worker("w2")], [expert("a", waiting(9))])).loads).toEqual([{ workerId: "w2", expertId: "a", evict: [] }]);
  });

  it("counts a holder's room within the worker's sequence cap, which its other models share", () => {
    const holder = worker("w1", { resident: ["a", "b"], inFlight: { a: 0, b: 8 }, sequences: 8 });
    const experts = [expert("a", waiting(5)), expert("b")];
    expect(place(input([holder, worker("w2")], experts)).loads).toEqual([{ workerId: "w2", expertId: "a", evict: [] }]);
    const uncapped = worker("w1", { resident: ["a", "b"], inFlight: { a: 0, b: 8 } });
    expect(place(input([uncapped, worker("w2")], experts)).loads).toEqual([]);
  });

  it("puts co-recruited experts on different workers", () => {
    const placement = place(
      input([worker("w1", { resident: ["a"] }), worker("w2", { resident: ["c"] })], [expert("a"), expert("b", waiting(3)), expert("c")], {
        coRecruited: [
          { a: "a", b: "b", weight: 10 },
          { a: "b", b: "c", weight: 1 },
        ],
      }),
    );
    expect(placement.loads).toEqual([{ workerId: "w2", expertId: "b", evict: [] }]);
  });

  it("starts at most one load per worker, and none on a worker already loading", () => {
    const placement = place(
      input([worker("w1"), worker("w2", { loading: ["x"] })], [expert("a", waiting(2)), expert("b", waiting(1)), expert("x", waiting(1))]),
    );
    expect(placement.loads).toEqual([{ workerId: "w1", expertId: "a", evict: [] }]);
    expect(placement.drain).toEqual({ w1: ["a"], w2: ["x"] });
  });

  it("prefers online backlog, then the larger backlog, for the scarce load slots", () => {
    const placement = place(input([worker("w1")], [expert("a", waiting(0, 50)), expert("b", waiting(1))]));
    expect(placement.loads.map((l) => l.expertId)).toEqual(["b"]);
    const batchOnly = place(input([worker("w1")], [expert("a", waiting(0, 5)), expert("b", waiting(0, 9))]));
    expect(batchOnly.loads.map((l) => l.expertId)).toEqual(["b"]);
  });

  it("evicts the least useful idle model: no backlog and lowest rate first, never one with sequences in flight", () => {
    const placement = place(
      input(
        [worker("w1", { budget: 80 * GB, resident: ["a-busy", "b-warm", "c-queued", "d-cold"], inFlight: { "a-busy": 1 } })],
        [expert("a-busy"), expert("b-warm", { rate: 3 }), expert("c-queued", { ...waiting(1), rate: 0 }), expert("d-cold", { rate: 0.1 }), expert("new", waiting(1))],
      ),
    );
    // a-busy runs a sequence and c-queued is the only holder of its backlog: neither may go.
    expect(placement.loads).toEqual([{ workerId: "w1", expertId: "new", evict: ["d-cold"] }]);
  });

  it("keeps an idle copy whose expert's steady demand needs it, even when its rate is the lowest", () => {
    // hot: 1 job/s x 20 s = 22 sequences over 0.9, beyond its one copy's 8 slots; x has no measured service time.
    const placement = place(
      input([worker("w1", { budget: 40 * GB, resident: ["hot", "x"] })], [expert("hot", { rate: 1, serviceSeconds: 20 }), expert("x", { rate: 2 }), expert("new", waiting(1))]),
    );
    expect(placement.loads).toEqual([{ workerId: "w1", expertId: "new", evict: ["x"] }]);
  });

  it("never evicts the only holder of an expert with backlog, and waits when nothing else can go", () => {
    const placement = place(
      input([worker("w1", { budget: 40 * GB, resident: ["a", "b"] })], [expert("a", waiting(1)), expert("b", waiting(1)), expert("new", waiting(9))]),
    );
    expect(placement.loads).toEqual([]);
    expect(placement.drain.w1).toEqual(["a", "b"]);
  });

  it("retires a busy, less useful model when no worker has room: not drained there, named, and no load yet", () => {
    // w1 and w2 are full of busy models; the hot expert h needs a second copy. "cheap" has a copy on
    // both workers and little demand, so one copy may go; w2 has fewer of its sequences to finish.
    const workers = [
      worker("w1", { budget: 40 * GB, resident: ["h", "cheap"], inFlight: { h: 8, cheap: 3 } }),
      worker("w2", { budget: 40 * GB, resident: ["x", "cheap"], inFlight: { x: 2, cheap: 1 } }),
    ];
    const experts = [
      expert("h", { ...waiting(50), rate: 40, serviceSeconds: 1 }),
      expert("cheap", { ...waiting(2), rate: 1, serviceSeconds: 1 }),
      expert("x", { ...waiting(1), rate: 2, serviceSeconds: 1 }),
    ];
    const placement = place(input(workers, experts));
    expect(placement.loads).toEqual([]);
    expect(placement.retire).toEqual([{ workerId: "w2", expertId: "cheap", reason: "makes room for h" }]);
    expect(placement.drain).toEqual({ w1: ["cheap", "h"], w2: ["x"] });
    // Once the retired model is idle the next decision evicts it and loads.
    const later = place(input([workers[0]!, { ...workers[1]!, inFlight: { x: 2, cheap: 0 } }], experts));
    expect(later.loads).toEqual([{ workerId: "w2", expertId: "h", evict: ["cheap"] }]);
  });

  it("for a hot expert's extra copy, retires only copies their own expert can spare; a cold expert may take a needed one", () => {
    const workers = [
      worker("w1", { budget: 20 * GB, resident: ["h"], inFlight: { h: 8 } }),
      worker("w2", { budget: 20 * GB, resident: ["other"], inFlight: { other: 5 } }),
    ];
    const other = expert("other", { rate: 5, serviceSeconds: 1 });
    const hot = place(input(workers, [expert("h", { ...waiting(50), rate: 40, serviceSeconds: 1 }), other]));
    expect(hot.retire).toEqual([]);
    const cold = place(input(workers, [expert("h"), expert("c", { ...waiting(50), rate: 10, serviceSeconds: 1 }), other]));
    expect(cold.retire).toEqual([{ workerId: "w2", expertId: "other", reason: "makes room for c" }]);
  });

  it("never retires the last serving copy of an expert with backlog, nor a model more useful than the load", () => {
    const workers = [worker("w1", { budget: 40 * GB, resident: ["a", "b"], inFlight: { a: 1, b: 1 } })];
    const sole = place(input(workers, [expert("a", waiting(1)), expert("b", waiting(1)), expert("new", waiting(50))]));
    expect(sole.retire).toEqual([]);
    const useful = place(
      input(workers, [expert("a", { rate: 30, serviceSeconds: 1 }), expert("b", { rate: 30, serviceSeconds: 1 }), expert("new", { ...waiting(5), rate: 1, serviceSeconds: 1 })]),
    );
    expect(useful.retire).toEqual([]);
    // Waiting makes the cold expert's backlog grow until it outweighs a model: then it retires one.
    const starved = place(
      input(workers, [expert("a", { rate: 30, serviceSeconds: 1 }), expert("b", { rate: 2, serviceSeconds: 1 }), expert("new", { ...waiting(5), rate: 1, serviceSeconds: 1 })]),
    );
    expect(starved.retire?.map((r) => r.expertId)).toEqual(["b"]);
  });

  it("prefers a worker with free memory over one that must evict", () => {
    const placement = place(
      input([worker("w1", { budget: 40 * GB, resident: ["x", "y"] }), worker("w2", { budget: 40 * GB })], [expert("x"), expert("y"), expert("a", waiting(1))]),
    );
    expect(placement.loads).toEqual([{ workerId: "w2", expertId: "a", evict: [] }]);
  });

  it("prefers the less busy worker among equals", () => {
    const placement = place(
      input([worker("w1", { resident: ["x"], inFlight: { x: 6 } }), worker("w2", { resident: ["y"], inFlight: { y: 1 } })], [expert("x"), expert("y"), expert("a", waiting(1))]),
    );
    expect(placement.loads.map((l) => l.workerId)).toEqual(["w2"]);
  });

  it("gives dead workers nothing and does not count what they hold", () => {
    const placement = place(input([worker("w1", { resident: ["a"], alive: false }), worker("w2")], [expert("a", waiting(3))]));
    expect(placement.drain).toEqual({ w2: ["a"] });
    expect(placement.loads).toEqual([{ workerId: "w2", expertId: "a", evict: [] }]);
  });

  it("refuses an expert bigger than every alive worker's budget, with the reason", () => {
    const placement = place(input([worker("w1", { budget: 40 * GB }), worker("w2", { budget: 100 * GB, alive: false })], [expert("big", { ...waiting(1), memory: 90 * GB })]));
    expect(placement.refused).toEqual([{ expertId: "big", reason: "big needs 90.00 GiB but the largest worker budget is 40.00 GiB" }]);
    expect(placement.loads).toEqual([]);
  });

  it("is deterministic: the same snapshot in any order gives the same placement", () => {
    const workers = [worker("w3"), worker("w1", { resident: ["a"], inFlight: { a: 8 } }), worker("w2")];
    const experts = [expert("c", waiting(1)), expert("a", { ...waiting(30), rate: 20, serviceSeconds: 1 }), expert("b", waiting(1))];
    const first = place(input(workers, experts));
    const second = place(input([...workers].reverse(), [...experts].reverse()));
    expect(second).toEqual(first);
    expect(first.loads.map((l) => `${l.workerId}:${l.expertId}`)).toEqual(["w2:b", "w3:c"]);
  });
});
