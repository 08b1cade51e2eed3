import { describe, expect, it } from "vitest";
import type { SkillTag } from "../../../kernel/contracts.js";
import type { Profile } from "../../../orchestrator/profile/format.js";
import { recruitAdaptive } from "../../../orchestrator/recruit/adaptive.js";

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
// Suitabilities (see symbolic.test.ts): alpha 3.36, delta 1.44, beta 0.8, gamma 0.35; sum 5.95.
// Mass: alpha 0.5647, delta 0.2420, beta 0.1345, gamma 0.0588.
// Cumulative: 0.5647, 0.8067, 0.9412, 1.
const run = (p: number, kMin = 1, kMax = 4, skills = math) => recruitAdaptive(skills, profile, all, { p, kMin, kMax });
const ids = (p: number, kMin?: number, kMax?: number) => run(p, kMin, kMax).recruits.map((r) => r.expertId);

describe("recruitAdaptive", () => {
  it("takes the smallest best-first prefix whose mass reaches p", () => {
    expect(ids(0.5)).toEqual(["alpha"]);
    expect(ids(0.8)).toEqual(["alpha", "delta"]);
    expect(ids(0.81)).toEqual(["alpha", "delta", "beta"]);
    expect(ids(0.95)).toEqual(["alpha", "delta", "beta", "gamma"]);
    expect(ids(1)).toEqual(["alpha", "delta", "beta", "gamma"]);
  });

  it("weights by suitability and reports mass and cumulative mass", () => {
    const recruitment = run(0.8);
    expect(recruitment.strategy).toBe("adaptive");
    expect(recruitment.recruits[0]!.weight).toBeCloseTo(3.36 / 4.8, 10);
    expect(recruitment.recruits[0]!.reason).toMatch(/; mass 0\.56, cumulative 0\.56$/);
    expect(recruitment.recruits[1]!.reason).toMatch(/; mass 0\.24, cumulative 0\.81; ≥ p 0\.80$/);
  });

  it("clamps the prefix to [kMin, kMax]", () => {
    expect(ids(0.5, 3)).toEqual(["alpha", "delta", "beta"]);
    expect(run(0.5, 3).recruits[2]!.reason).toMatch(/cumulative 0\.94; ≥ p 0\.50 \(raised to kMin 3\)$/);
    expect(ids(0.95, 1, 2)).toEqual(["alpha", "delta"]);
    expect(run(0.95, 1, 2).recruits[1]!.reason).toMatch(/cumulative 0\.81; < p 0\.95 \(capped at kMax 2\)$/);
    // kMax beyond the available experts: all of them, no more.
    expect(recruitAdaptive(math, profile, ["alpha", "delta"], { p: 1, kMin: 1, kMax: 9 }).recruits).toHaveLength(2);
  });

  it("counts only positive suitability as mass", () => {
    // history: beta 5, delta 0, gamma 0, alpha -2.4 -> beta holds all the mass.
    const history = [{ skill: "history", score: 1 }];
    expect(run(0.99, 1, 4, history).recruits.map((r) => r.expertId)).toEqual(["beta"]);
    const two = run(0.99, 2, 4, history);
    expect(two.recruits.map((r) => r.expertId)).toEqual(["beta", "delta"]);
    expect(two.recruits.every((r) => r.weight > 0)).toBe(true);
  });

  it("falls back to the kMin most competent without evidence, and throws with nobody available", () => {
    const fallback = recruitAdaptive([], profile, all, { p: 0.8, kMin: 2, kMax: 3 });
    expect(fallback.strategy).toBe("adaptive");
    expect(fallback.fallback).toMatch(/^no skills tagged/);
    expect(fallback.recruits.map((r) => r.expertId)).toEqual(["beta", "delta"]);
    expect(() => recruitAdaptive(math, profile, [], { p: 0.8, kMin: 1, kMax: 3 })).toThrowError(expect.objectContaining({ code: "NO_EXPERT_AVAILABLE" }));
  });
});
