import { describe, expect, it } from "vitest";
import type { SkillTag } from "../../../kernel/contracts.js";
import type { Profile } from "../../../orchestrator/profile/format.js";
import { recruitSymbolic, suitability } from "../../../orchestrator/recruit/symbolic.js";

// Hand-made profile: explicit competences so every number below can be checked on paper.
const profile: Profile = {
  version: 1,
  experts: {
    alpha: { skills: { algebra: 4, statistics: 2, history: -3 }, competence: 0.8 },
    beta: { skills: { algebra: 1, history: 5 }, competence: 1 },
    gamma: { skills: { statistics: 3, algebra: -1 }, competence: 0.5 },
    delta: { skills: { algebra: 2 }, competence: 0.9 },
  },
};
const all = ["alpha", "beta", "gamma", "delta"];
const math: SkillTag[] = [
  { skill: "algebra", score: 0.8 },
  { skill: "statistics", score: 0.5 },
];
// alpha: (4*0.8 + 2*0.5) * 0.8 = 4.2 * 0.8 = 3.36
// delta: (2*0.8)        * 0.9 = 1.6 * 0.9 = 1.44
// beta:  (1*0.8)        * 1   = 0.8
// gamma: (-1*0.8 + 3*0.5) * 0.5 = 0.7 * 0.5 = 0.35
const top = (k: number, available = all) => recruitSymbolic(math, profile, available, { k, selection: "top", seed: 0 });
const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

describe("symbolic suitability", () => {
  it("sums tag-weighted skill scores times competence, best first", () => {
    const rows = suitability(math, profile, all);
    expect(rows.map((r) => r.expertId)).toEqual(["alpha", "delta", "beta", "gamma"]);
    const [alpha, delta, beta, gamma] = rows;
    expect(alpha!.skillScore).toBeCloseTo(4.2, 10);
    expect(alpha!.suitability).toBeCloseTo(3.36, 10);
    expect(delta!.suitability).toBeCloseTo(1.44, 10);
    expect(beta!.suitability).toBeCloseTo(0.8, 10);
    expect(gamma!.suitability).toBeCloseTo(0.35, 10);
    expect(alpha!.contributions).toEqual([
      { skill: "algebra", score: expect.closeTo(3.2, 10), profileScore: 4, tagScore: 0.8 },
      { skill: "statistics", score: 1, profileScore: 2, tagScore: 0.5 },
    ]);
  });

  it("breaks ties by expert id and treats every expert alike without a profile", () => {
    const rows = suitability(math, undefined, ["zed", "amy", "kim"]);
    expect(rows.map((r) => [r.expertId, r.suitability, r.competence])).toEqual([
      ["amy", 0, 1],
      ["kim", 0, 1],
      ["zed", 0, 1],
    ]);
  });
});

describe("recruitSymbolic", () => {
  it("takes the top k, weighted by normalised suitability, with readable reasons", () => {
    const recruitment = top(2);
    expect(recruitment.strategy).toBe("symbolic");
    expect(recruitment.fallback).toBeUndefined();
    expect(recruitment.recruits.map((r) => r.expertId)).toEqual(["alpha", "delta"]);
    // 3.36 / (3.36 + 1.44) = 0.7 and 1.44 / 4.8 = 0.3
    expect(recruitment.recruits[0]!.weight).toBeCloseTo(0.7, 10);
    expect(recruitment.recruits[1]!.weight).toBeCloseTo(0.3, 10);
    expect(recruitment.recruits[0]!.reason).toBe("algebra 4.0 x 0.80 tag + statistics 2.0 x 0.50 tag; competence 0.80 → 3.36");
  });

  it("recruits every available expert when k is larger, and never an unavailable one", () => {
    const everyone = top(10);
    expect(everyone.recruits.map((r) => r.expertId)).toEqual(["alpha", "delta", "beta", "gamma"]);
    expect(sum(everyone.recruits.map((r) => r.weight))).toBeCloseTo(1, 10);
    const withoutAlpha = top(2, ["gamma", "beta", "delta", "ghost"]);
    // ghost is not in the profile: competence = median of 0.5, 0.8, 0.9, 1 = 0.85, but no skill evidence -> 0.
    expect(withoutAlpha.recruits.map((r) => r.expertId)).toEqual(["delta", "beta"]);
  });

  it("keeps weights positive when k reaches experts with no or negative evidence", () => {
    // history 1.0: beta 5*1 = 5, delta 0, gamma 0, alpha -3*0.8 = -2.4
    const recruitment = recruitSymbolic([{ skill: "history", score: 1 }], profile, all, { k: 4, selection: "top", seed: 0 });
    expect(recruitment.recruits.map((r) => r.expertId)).toEqual(["beta", "delta", "gamma", "alpha"]);
    // Shift = 2.4 + 0.1 * (5 - -2.4) = 3.14 -> 8.14, 3.14, 3.14, 0.74; sum 15.16
    const weights = recruitment.recruits.map((r) => r.weight);
    expect(weights[0]).toBeCloseTo(8.14 / 15.16, 10);
    expect(weights[1]).toBeCloseTo(3.14 / 15.16, 10);
    expect(weights[3]).toBeCloseTo(0.74 / 15.16, 10);
    expect(weights.every((w) => w > 0)).toBe(true);
    expect(sum(weights)).toBeCloseTo(1, 10);
  });

  it("falls back to the most competent experts without skills or positive evidence", () => {
    const none = recruitSymbolic([], profile, all, { k: 2, selection: "top", seed: 0 });
    expect(none.fallback).toBe("no skills tagged; recruited the most competent 2 available");
    expect(none.recruits.map((r) => r.expertId)).toEqual(["beta", "delta"]);
    // competence 1 and 0.9, both positive: weights 1/1.9 and 0.9/1.9
    expect(none.recruits[0]!.weight).toBeCloseTo(1 / 1.9, 10);

    // Nobody has a score on geography: nothing separates them.
    const unknown = recruitSymbolic([{ skill: "geography", score: 1 }], profile, ["alpha", "gamma"], { k: 1, selection: "top", seed: 0 });
    expect(unknown.fallback).toMatch(/^no expert has positive evidence for geography/);
    expect(unknown.recruits.map((r) => r.expertId)).toEqual(["alpha"]);

    const noProfile = recruitSymbolic(math, undefined, ["zed", "amy", "kim"], { k: 2, selection: "sample", seed: 3 });
    expect(noProfile.fallback).toBe("no profile: every expert counts as equally skilled; recruited the first 2 available");
    expect(noProfile.recruits.map((r) => [r.expertId, r.weight])).toEqual([
      ["zed", 0.5],
      ["amy", 0.5],
    ]);
  });

  it("ranks by the least bad when every score on the tagged skills is negative or zero", () => {
    // history: alpha -3, gamma 0 (no record). Measured from the worst (-3): alpha 0 x 0.8 = 0,
    // gamma 3 x 0.5 = 1.5. Competence times a negative score would have put alpha first.
    const recruitment = recruitSymbolic([{ skill: "history", score: 1 }], profile, ["alpha", "gamma"], { k: 2, selection: "top", seed: 0 });
    expect(recruitment.fallback).toBeUndefined();
    expect(recruitment.recruits.map((r) => r.expertId)).toEqual(["gamma", "alpha"]);
    expect(recruitment.recruits[0]!.reason).toMatch(/measured from the worst, -3\.0\); competence 0\.50 → 1\.50$/);
    // 1.5 and 0 shifted by a tenth of the spread: 1.65 / 1.8 and 0.15 / 1.8
    expect(recruitment.recruits[0]!.weight).toBeCloseTo(1.65 / 1.8, 10);
  });

  it("throws NO_EXPERT_AVAILABLE when nobody is available", () => {
    expect(() => top(2, [])).toThrowError(expect.objectContaining({ code: "NO_EXPERT_AVAILABLE" }));
  });
});

describe("sampled recruitment", () => {
  const sample = (seed: number, key: string, k = 2) => recruitSymbolic(math, profile, all, { k, selection: "sample", seed, sampleKey: key });
  const ids = (seed: number, key: string, k = 2) => sample(seed, key, k).recruits.map((r) => r.expertId).join(",");
  const keys = Array.from({ length: 400 }, (_, i) => `question ${i}`);

  it("is reproducible for the same seed and question, and k draws are distinct", () => {
    for (const key of keys.slice(0, 50)) {
      expect(sample(7, key)).toEqual(sample(7, key));
      expect(new Set(sample(7, key, 3).recruits.map((r) => r.expertId)).size).toBe(3);
      expect(sample(7, key).recruits[0]!.reason).toMatch(/^sampled: /);
    }
  });

  it("differs across seeds and across questions", () => {
    const seedA = keys.map((key) => ids(1, key));
    const seedB = keys.map((key) => ids(2, key));
    expect(seedA.filter((value, i) => value !== seedB[i]).length).toBeGreaterThan(100);
    expect(new Set(seedA).size).toBeGreaterThan(3);
  });

  it("draws in proportion to suitability", () => {
    // k = 1: P = suitability / 5.95 -> alpha 0.565, delta 0.242, beta 0.134, gamma 0.059
    const counts = new Map<string, number>();
    for (let i = 0; i < 4000; i++) {
      const id = ids(11, `q${i}`, 1);
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    const share = (id: string) => (counts.get(id) ?? 0) / 4000;
    expect(share("alpha")).toBeCloseTo(3.36 / 5.95, 1);
    expect(share("delta")).toBeCloseTo(1.44 / 5.95, 1);
    expect(share("alpha")).toBeGreaterThan(share("delta"));
    expect(share("delta")).toBeGreaterThan(share("beta"));
    expect(share("beta")).toBeGreaterThan(share("gamma"));
    expect(share("gamma")).toBeGreaterThan(0);
  });
});
