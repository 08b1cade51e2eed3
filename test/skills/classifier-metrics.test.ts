import { describe, expect, it } from "vitest";
import { evaluateClassifier } from "../../skills/classifier-metrics.js";

describe("classifier metrics", () => {
  it("computes accuracy, per-label F1, macro-F1 and confusions as worked out by hand", () => {
    // gold:      a a a b b c
    // predicted: a a b b c c
    const metrics = evaluateClassifier(["a", "a", "a", "b", "b", "c"], ["a", "a", "b", "b", "c", "c"]);
    expect(metrics.accuracy).toBeCloseTo(4 / 6, 12);
    // a: tp 2, fp 0, fn 1 -> p 1, r 2/3, f1 0.8
    // b: tp 1, fp 1, fn 1 -> p 1/2, r 1/2, f1 0.5
    // c: tp 1, fp 1, fn 0 -> p 1/2, r 1, f1 2/3
    const f1 = Object.fromEntries(metrics.perLabel.map((s) => [s.label, s.f1]));
    expect(f1["a"]).toBeCloseTo(0.8, 12);
    expect(f1["b"]).toBeCloseTo(0.5, 12);
    expect(f1["c"]).toBeCloseTo(2 / 3, 12);
    expect(metrics.macroF1).toBeCloseTo((0.8 + 0.5 + 2 / 3) / 3, 12);
    expect(metrics.perLabel.map((s) => s.support)).toEqual([3, 2, 1]);
    expect(metrics.confusions).toEqual([
      { gold: "a", predicted: "b", count: 1 },
      { gold: "b", predicted: "c", count: 1 },
    ]);
  });

  it("counts a label that is only ever predicted in the macro average, and sorts confusions by count", () => {
    const metrics = evaluateClassifier(["x", "x", "x", "y"], ["z", "z", "x", "y"]);
    expect(metrics.perLabel.map((s) => s.label)).toEqual(["x", "y", "z"]);
    // x: p 1, r 1/3 -> f1 0.5; y: 1; z: 0
    expect(metrics.macroF1).toBeCloseTo((0.5 + 1 + 0) / 3, 12);
    expect(metrics.confusions[0]).toEqual({ gold: "x", predicted: "z", count: 2 });
  });

  it("accepts any of a multi-label line's labels and charges a miss to the first", () => {
    const metrics = evaluateClassifier([["a", "b"], ["a", "b"]], ["b", "c"]);
    expect(metrics.accuracy).toBe(0.5);
    expect(metrics.confusions).toEqual([{ gold: "a", predicted: "c", count: 1 }]);
  });

  it("refuses mismatched lengths and scores nothing as zero", () => {
    expect(() => evaluateClassifier(["a"], [])).toThrow(/1 gold labels but 0 predictions/);
    expect(evaluateClassifier([], [])).toMatchObject({ accuracy: 0, macroF1: 0, confusions: [] });
  });
});
