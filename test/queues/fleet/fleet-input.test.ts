import { describe, expect, it } from "vitest";
import { placementInput } from "../../../queues/fleet/fleet-input.js";
import { place } from "../../../queues/fleet/placement.js";
import type { RegistrySnapshot, RegistryView } from "../../../queues/fleet/registry.js";

const view = (id: string, over: Partial<RegistryView> = {}): RegistryView => ({
  id,
  budget: 100,
  resident: [],
  loading: [],
  inFlight: {},
  serves: { a: { memory: 40, slots: 2 }, b: { memory: 40, slots: 2 } },
  loads: {},
  served: {},
  failed: {},
  cancelled: 0,
  at: 0,
  alive: true,
  ...over,
});

describe("placementInput", () => {
  it("takes workers and expert sizes from the registry, backlog per class from the queues and rates from the demand", () => {
    const registry: RegistrySnapshot = { now: 10, workers: [view("w1", { resident: ["a"], inFlight: { a: 1 }, serviceMs: { a: 300 } }), view("w2", { alive: false, serviceMs: { a: 500 } })] };
    const input = placementInput(registry, new Map([["a", { online: 3, batch: 5 }]]), {
      rate: { a: 0.5 },
      coRecruited: [{ a: "a", b: "b", weight: 4 }, { a: "a", b: "gone", weight: 9 }],
    });
    expect(input.workers).toEqual([
      { id: "w1", budget: 100, resident: ["a"], loading: [], inFlight: { a: 1 }, alive: true },
      { id: "w2", budget: 100, resident: [], loading: [], inFlight: {}, alive: false },
    ]);
    expect(input.experts).toEqual([
      // Service time: the mean of what the workers measured; unknown (0) where none ran it.
      { id: "a", memory: 40, slots: 2, backlog: { online: 3, batch: 5 }, rate: 0.5, serviceSeconds: 0.4 },
      { id: "b", memory: 40, slots: 2, backlog: { online: 0, batch: 0 }, rate: 0, serviceSeconds: 0 },
    ]);
    // A pair naming an expert no worker serves is dropped.
    expect(input.coRecruited).toEqual([{ a: "a", b: "b", weight: 4 }]);
  });

  it("feeds place(): the holder drains its expert's queue and a cold expert loads on one live worker only", () => {
    const registry: RegistrySnapshot = { now: 0, workers: [view("w1", { resident: ["a"] }), view("w2"), view("w3", { alive: false })] };
    const placement = place(placementInput(registry, new Map([["a", { online: 1, batch: 0 }], ["b", { online: 2, batch: 0 }]]), { rate: {}, coRecruited: [] }));
    expect(placement.drain["w1"]).toContain("a");
    expect(placement.drain["w2"] ?? []).not.toContain("a");
    expect(placement.loads.map((load) => load.expertId)).toEqual(["b"]);
    expect(placement.loads[0]!.workerId).not.toBe("w3");
    expect(placement.drain["w3"]).toBeUndefined();
  });
});
