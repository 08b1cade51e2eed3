import { describe, expect, it } from "vitest";
import { cascadeTiers, recruitCascade, recruitCostWeighted } from "../../../orchestrator/recruit/index.js";
import type { Profile } from "../../../orchestrator/profile/format.js";

// Competence = accuracy / best accuracy: big 1.00, good 0.94, fair 0.89, twin 0.86, poor 0.70.
const profile: Profile = {
  version: 1,
  experts: {
    big: { skills: { science: 30 }, accuracy: 0.95, answered: 100 },
    good: { skills: { science: 26 }, accuracy: 0.9, answered: 100 },
    fair: { skills: { science: 20 }, accuracy: 0.85, answered: 100 },
    twin: { skills: { science: 18 }, accuracy: 0.82, answered: 100 },
    poor: { skills: { science: 8 }, accuracy: 0.67, answered: 100 },
  },
};
const costs = { big: 5, good: 0.4, fair: 0.3, twin: 0.45, poor: 0.1 };
const all = Object.keys(costs);
const settings = { threshold: 1, tierSize: 2, minCompetence: 0.8 };

describe("cascade tiers", () => {
  it("cheap adequate Pareto experts first, the strongest alone last", () => {
    // poor is not adequate (0.70 < 0.8); twin is dominated by good (dearer and worse).
    expect(cascadeTiers(profile, all, costs, settings)).toEqual([["fair", "good"], ["big"]]);
  });

  it("leaves out experts that cannot fill a tier, and a frontier smaller than a tier", () => {
    expect(cascadeTiers(profile, all, costs, { ...settings, tierSize: 3 })).toEqual([["big"]]);
    expect(cascadeTiers(profile, ["big", "good"], costs, settings)).toEqual([["big"]]);
  });

  it("uses explicit tiers as given, minus unavailable experts", () => {
    expect(cascadeTiers(profile, ["poor", "big"], costs, { ...settings, tiers: [["poor", "twin"], ["big"]] })).toEqual([["poor"], ["big"]]);
  });

  it("without a profile the dearest is the strongest and every expert is adequate", () => {
    expect(cascadeTiers(undefined, ["a", "b", "c"], { a: 1, b: 2, c: 9 }, settings)).toEqual([["a", "b"], ["c"]]);
  });

  it("recruits carry their tier and competence weights, and say why", () => {
    const recruitment = recruitCascade(profile, all, costs, settings);
    expect(recruitment.strategy).toBe("cascade");
    expect(recruitment.recruits.map((r) => [r.expertId, r.tier])).toEqual([["fair", 0], ["good", 0], ["big", 1]]);
    expect(recruitment.recruits.reduce((s, r) => s + r.weight, 0)).toBeCloseTo(1);
    expect(recruitment.recruits[2]!.reason).toMatch(/tier 2\/2 \(strongest\)/);
  });
});

describe("cost-weighted recruitment", () => {
  const skills = [{ skill: "science", score: 1 }];
  const pick = (lambda: number) => recruitCostWeighted(skills, profile, all, costs, { k: 1, costWeight: lambda }).recruits[0]!.expertId;

  it("λ = 0 ranks by quality; a growing λ trades it for price, down to the cheapest", () => {
    // quality = suitability / best: big 1, good 26*0.947/30 = 0.82, ...; cost / max: big 1, good 0.08, poor 0.02.
    expect(pick(0)).toBe("big");
    expect(pick(0.5)).toBe("good");
    expect(pick(50)).toBe("poor");
  });

  it("explains the score and counts an expert of unknown cost as free", () => {
    const recruitment = recruitCostWeighted(skills, profile, ["big", "good"], { good: 0.4 }, { k: 2, costWeight: 1 });
    expect(recruitment.recruits[0]!.expertId).toBe("big");
    expect(recruitment.recruits[0]!.reason).toMatch(/cost unknown \(counted as free\)/);
    expect(recruitment.recruits[1]!.reason).toMatch(/quality 0\.82 − λ 1\.00 x cost \$0\.400 \(1\.00 of the dearest\) → -0\.18/);
  });
});
