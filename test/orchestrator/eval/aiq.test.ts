import { describe, expect, it } from "vitest";
import { aiq, hullAt, nonDecreasingHull } from "../../../orchestrator/eval/aiq.js";

describe("AIQ (RouterBench)", () => {
  const points = [
    { cost: 1, accuracy: 0.5 },
    { cost: 2, accuracy: 0.9 },
    { cost: 3, accuracy: 0.8 }, // dearer and worse: the curve stays flat instead
    { cost: 1.5, accuracy: 0.6 }, // under the segment from (1, 0.5) to (2, 0.9), which reaches 0.7 there
  ];

  it("keeps the upper convex hull from the free useless router up to the most accurate point", () => {
    expect(nonDecreasingHull(points)).toEqual([
      { cost: 0, accuracy: 0 },
      { cost: 1, accuracy: 0.5 },
      { cost: 2, accuracy: 0.9 },
    ]);
    const hull = nonDecreasingHull(points);
    expect(hullAt(hull, 1.5)).toBeCloseTo(0.7);
    expect(hullAt(hull, 10)).toBe(0.9);
  });

  it("is the area under the hull over the range, divided by its width", () => {
    // [1, 2]: trapezoid 0.5 -> 0.9 = 0.7; [2, 3]: flat 0.9; (0.7 + 0.9) / 2 = 0.8.
    expect(aiq(points, 1, 3)).toBeCloseTo(0.8);
    // From 0: the segment from the origin counts too: (0.25 + 0.7 + 0.9) / 3.
    expect(aiq(points, 0, 3)).toBeCloseTo((0.25 + 0.7 + 0.9) / 3);
    expect(() => aiq(points, 2, 2)).toThrow();
  });
});
