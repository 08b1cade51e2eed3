/**
 * The fleet simulator's core: the event queue pops in time order (ties in push order), the job
 * queue is first-in-first-out across growth, and a small seeded fleet conserves requests: every
 * request completes exactly once, under every system, with the same stream for all.
 */
import { describe, expect, it } from "vitest";
import { mulberry32 } from "../../kernel/prng.js";
import { EventQueue, IntQueue } from "../../bench/simulate/events.js";
import { simulateFleet, type SystemName } from "../../bench/simulate/fleet.js";
import { DEFAULT_PARAMS, type SimParams } from "../../bench/simulate/params.js";
import { ArrivalStream, buildWorkload } from "../../bench/simulate/workload.js";

describe("EventQueue", () => {
  it("pops events in time order, equal times in the order they were pushed", () => {
    const queue = new EventQueue();
    const random = mulberry32(3);
    const pushed: Array<{ time: number; id: number }> = [];
    for (let id = 0; id < 5000; id++) {
      const time = Math.floor(random() * 100); // many ties
      pushed.push({ time, id });
      queue.push(time, id % 7, id, 100_000 - id);
    }
    const popped: Array<{ time: number; id: number }> = [];
    while (queue.pop()) {
      expect(queue.kind).toBe(queue.a % 7);
      expect(queue.b).toBe(100_000 - queue.a);
      popped.push({ time: queue.time, id: queue.a });
    }
    const expected = [...pushed].sort((x, y) => x.time - y.time || x.id - y.id);
    expect(popped).toEqual(expected);
  });

  it("interleaves pushes and pops correctly", () => {
    const queue = new EventQueue();
    queue.push(5, 0, 1);
    queue.push(1, 0, 2);
    expect(queue.pop() && queue.a).toBe(2);
    queue.push(3, 0, 3);
    queue.push(5, 0, 4);
    expect([queue.pop() && queue.a, queue.pop() && queue.a, queue.pop() && queue.a]).toEqual([3, 1, 4]);
    expect(queue.pop()).toBe(false);
  });
});

describe("IntQueue", () => {
  it("is first-in-first-out across growth and wrap-around", () => {
    const queue = new IntQueue();
    const out: number[] = [];
    let next = 0;
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 7; i++) queue.push(next++);
      for (let i = 0; i < 5; i++) out.push(queue.shift());
    }
    while (queue.size > 0) out.push(queue.shift());
    expect(out).toEqual(Array.from({ length: next }, (_, i) => i));
    expect(queue.shift()).toBe(-1);
    expect(queue.peek()).toBe(-1);
  });
});

const small: SimParams = {
  ...DEFAULT_PARAMS,
  gpus: 6,
  experts: 24,
  skills: 8,
  requestsPerSecond: 4,
  durationSeconds: 120,
  warmupSeconds: 10,
  burstEverySeconds: 40,
  burstSeconds: 5,
  gpuSequences: 32,
  modelSlots: 16,
  drainSeconds: 5000,
};

describe("simulateFleet", () => {
  it("draws the same stream for every run of a seed, and another for another seed", () => {
    const times = (seed: number) => {
      const stream = new ArrivalStream({ ...small, seed });
      const out: number[] = [];
      for (let a = stream.next(); a && out.length < 50; a = stream.next()) out.push(a.time, ...a.skills, ...a.outputTokens);
      return out;
    };
    expect(times(4)).toEqual(times(4));
    expect(times(5)).not.toEqual(times(4));
  });

  for (const system of ["conclave", "random", "fifo-lru"] as SystemName[]) {
    it(`${system}: every request of the stream completes exactly once`, () => {
      const workload = buildWorkload(small);
      const stream = new ArrivalStream(small);
      let arrivals = 0;
      while (stream.next()) arrivals++;
      const metrics = simulateFleet(system, small, workload);
      expect(metrics.requests).toBe(arrivals);
      expect(metrics.completed).toBe(arrivals);
      expect(metrics.unfinished).toBe(0);
      expect(metrics.latency.censored).toBe(0);
      expect(metrics.loads).toBeGreaterThan(0);
      // No request is faster than its prefill, and sequences in use never exceed the fleet's.
      expect(metrics.latency.p50).toBeGreaterThan(small.promptTokens / small.prefillTokensPerSecond);
      expect(metrics.utilisation).toBeGreaterThan(0);
      expect(metrics.utilisation).toBeLessThanOrEqual(1);
    });
  }

  it("is deterministic: the same seed gives the same figures", () => {
    const run = () => {
      const { wallSeconds: _wall, ...figures } = simulateFleet("conclave", small, buildWorkload(small));
      return figures;
    };
    expect(run()).toEqual(run());
  });

  it("counts requests still open at the horizon as censored latencies", () => {
    const metrics = simulateFleet("fifo-lru", small, buildWorkload(small), { horizonSeconds: 60 });
    expect(metrics.unfinished).toBeGreaterThan(0);
    expect(metrics.completed + metrics.unfinished).toBe(metrics.requests);
    expect(metrics.latency.censored).toBeGreaterThan(0);
  });
});
