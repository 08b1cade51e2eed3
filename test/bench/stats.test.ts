import { describe, expect, it } from "vitest";
import { formatRatio, interleave, machine, percentile, quantile, ratioReport, ratios, spread, verdict } from "../../bench/stats.js";

describe("bench stats", () => {
  it("spread gives median, range and quartiles", () => {
    const s = spread([5, 1, 3, 2, 4]);
    expect(s).toEqual({ n: 5, median: 3, min: 1, max: 5, q1: 2, q3: 4 });
    expect(spread([1, 2, 3, 4]).median).toBe(2.5);
    expect(quantile([10, 20], 0.25)).toBe(12.5);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90)).toBe(9);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 99)).toBe(10);
  });

  it("ratios are taken slice by slice, not as a ratio of medians", () => {
    // Drift between slices: both systems slow down together; per slice b is always 2x a.
    const a = [1, 10, 100, 1000, 10000];
    const b = a.map((x) => 2 * x);
    const r = ratios(b, a);
    expect(r.min).toBe(2);
    expect(r.max).toBe(2);
    expect(() => ratios([1], [1, 2])).toThrow();
  });

  it("a difference counts only when every slice agrees", () => {
    expect(verdict(spread([1.1, 1.2, 1.05, 1.3, 1.01]))).toEqual({ direction: "higher", significant: true });
    expect(verdict(spread([0.9, 0.8, 0.95]))).toEqual({ direction: "lower", significant: true });
    expect(verdict(spread([0.9, 1.2, 1.05]))).toEqual({ direction: "within noise", significant: false });
    expect(ratioReport([2, 2], [1, 1]).significant).toBe(true);
    expect(formatRatio(spread([0.9, 1.0, 1.1]))).toBe("1.00x [0.90-1.10], within noise");
  });

  it("interleave alternates the order and keeps results in slice order", async () => {
    const calls: string[] = [];
    const results = await interleave(["a", "b", "c"], 3, async (system, slice) => {
      calls.push(`${system}${slice}`);
      return slice;
    });
    expect(calls).toEqual(["a0", "b0", "c0", "c1", "b1", "a1", "a2", "b2", "c2"]);
    expect(results.get("b")).toEqual([0, 1, 2]);
    await expect(interleave(["a"], 0, async () => 0)).rejects.toThrow();
  });

  it("machine records the load average", () => {
    const m = machine();
    expect(m.loadavg).toHaveLength(3);
    expect(m.cores).toBeGreaterThan(0);
  });
});
