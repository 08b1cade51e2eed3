import { describe, expect, it } from "vitest";
import type { Config } from "../../../orchestrator/config/schema.js";
import { configSchema } from "../../../orchestrator/config/schema.js";
import type { Profile } from "../../../orchestrator/profile/format.js";
import { recruit, type RecruitInput } from "../../../orchestrator/recruit/index.js";

const profile: Profile = {
  version: 1,
  experts: {
    alpha: { skills: { algebra: 4 }, competence: 1 },
    beta: { skills: { algebra: 1 }, competence: 1 },
    gamma: { skills: { history: 3 }, competence: 1 },
  },
};

function routing(overrides: Record<string, unknown>): Config["routing"] {
  return configSchema.parse({ routing: overrides }).routing;
}

function input(classify = () => ({ category: "math", confidence: 0.9 })): RecruitInput {
  return { skills: [{ skill: "algebra", score: 1 }], text: "solve x", profile, available: ["alpha", "beta", "gamma"], classify };
}

describe("recruit dispatch", () => {
  it("symbolic: top k by suitability", () => {
    const recruitment = recruit(routing({ strategy: "symbolic", k: 2 }), input());
    expect(recruitment.strategy).toBe("symbolic");
    expect(recruitment.recruits.map((r) => r.expertId)).toEqual(["alpha", "beta"]);
  });

  it("symbolic sampling keys on the question text", () => {
    const settings = routing({ strategy: "symbolic", k: 1, selection: "sample", seed: 5 });
    const picks = new Set(Array.from({ length: 50 }, (_, i) => recruit(settings, { ...input(), text: `q${i}` }).recruits[0]!.expertId));
    expect(picks).toEqual(new Set(["alpha", "beta"]));
    expect(recruit(settings, input())).toEqual(recruit(settings, input()));
  });

  it("adaptive: the mass prefix (alpha holds 4/5 = 0.8)", () => {
    const recruitment = recruit(routing({ strategy: "adaptive", adaptive: { p: 0.8, kMin: 1, kMax: 3 } }), input());
    expect(recruitment.strategy).toBe("adaptive");
    expect(recruitment.recruits.map((r) => r.expertId)).toEqual(["alpha"]);
  });

  it("category: classifies only for the category strategy", () => {
    let calls = 0;
    const classify = () => {
      calls += 1;
      return { category: "history", confidence: 0.9 };
    };
    recruit(routing({ strategy: "symbolic" }), input(classify));
    expect(calls).toBe(0);
    const recruitment = recruit(routing({ strategy: "category", category: { map: { history: "gamma" }, threshold: 0.5 } }), input(classify));
    expect(calls).toBe(1);
    expect(recruitment).toMatchObject({ strategy: "category", recruits: [{ expertId: "gamma", weight: 1 }] });
  });

  it("fixed: the listed experts", () => {
    const recruitment = recruit(routing({ strategy: "fixed", fixed: ["gamma", "beta"] }), input());
    expect(recruitment.strategy).toBe("fixed");
    expect(recruitment.recruits.map((r) => r.expertId)).toEqual(["gamma", "beta"]);
  });
});
