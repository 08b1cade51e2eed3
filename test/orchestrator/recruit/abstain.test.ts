import { describe, expect, it } from "vitest";
import { configSchema, type Config } from "../../../orchestrator/config/schema.js";
import { abstainRecruitment, defaultAbstainMessage } from "../../../orchestrator/recruit/abstain.js";
import { recruit, type RecruitInput } from "../../../orchestrator/recruit/index.js";

const tags = (...scores: Array<[string, number]>) => scores.map(([skill, score]) => ({ skill, score }));
const available = ["alpha", "beta", "helper"];

describe("abstainRecruitment", () => {
  it("abstains when every skill scores below the threshold, naming the best score and the threshold", () => {
    const recruitment = abstainRecruitment("symbolic", tags(["addition", 0.31], ["counting", 0.2]), { threshold: 0.45 }, available);
    expect(recruitment).toEqual({
      strategy: "symbolic",
      recruits: [],
      abstain: {
        threshold: 0.45,
        best: { skill: "addition", score: 0.31 },
        reason: 'best skill "addition" scores 0.310 < routing.abstain.threshold 0.45: answered with the abstain message',
      },
    });
  });

  it("takes the highest score even when tags come unsorted", () => {
    expect(abstainRecruitment("symbolic", tags(["a", 0.1], ["b", 0.5]), { threshold: 0.45 }, available)).toBeUndefined();
    expect(abstainRecruitment("symbolic", tags(["a", 0.1], ["b", 0.4]), { threshold: 0.45 }, available)?.abstain?.best).toEqual({ skill: "b", score: 0.4 });
  });

  it("abstains when nothing was tagged", () => {
    const recruitment = abstainRecruitment("category", [], { threshold: 0.2 }, available);
    expect(recruitment?.recruits).toEqual([]);
    expect(recruitment?.abstain?.best).toBeUndefined();
    expect(recruitment?.abstain?.reason).toBe("no skill tagged < routing.abstain.threshold 0.20: answered with the abstain message");
  });

  it("routes as usual at or above the threshold, and never with threshold 0", () => {
    expect(abstainRecruitment("symbolic", tags(["addition", 0.45]), { threshold: 0.45 }, available)).toBeUndefined();
    expect(abstainRecruitment("symbolic", [], { threshold: 0 }, available)).toBeUndefined();
  });

  it("hands the request to an available fallback expert alone", () => {
    const recruitment = abstainRecruitment("symbolic", tags(["addition", 0.1]), { threshold: 0.45, fallback: "helper" }, available)!;
    expect(recruitment.recruits).toEqual([{ expertId: "helper", weight: 1, reason: 'abstain fallback (best skill "addition" scores 0.100 < routing.abstain.threshold 0.45)' }]);
    expect(recruitment.abstain?.fallback).toBe("helper");
    expect(recruitment.fallback).toMatch(/the fallback expert helper answers$/);
  });

  it("answers with the message when the fallback expert is unavailable, and says so", () => {
    const recruitment = abstainRecruitment("symbolic", tags(["addition", 0.1]), { threshold: 0.45, fallback: "gone" }, available)!;
    expect(recruitment.recruits).toEqual([]);
    expect(recruitment.abstain?.fallback).toBeUndefined();
    expect(recruitment.abstain?.reason).toMatch(/abstain message \(the fallback expert gone is unavailable\)$/);
  });
});

describe("defaultAbstainMessage", () => {
  it("names each catalog skill with its description and says how to configure real models", () => {
    const message = defaultAbstainMessage([
      { id: "addition", description: "Adding two whole numbers." },
      { id: "mmlu", description: "MMLU subjects" },
    ]);
    expect(message).toContain("The skills I know are: addition (adding two whole numbers); mmlu (MMLU subjects).");
    expect(message).toMatch(/configure real models/);
    expect(message).toMatch(/--config <file>/);
  });

  it("lists ids only for a large catalog, and no skill list for an empty one", () => {
    const many = Array.from({ length: 13 }, (_, i) => ({ id: `s${i}`, description: "Long description." }));
    const message = defaultAbstainMessage(many);
    expect(message).toContain("s0; s1;");
    expect(message).not.toContain("long description");
    expect(defaultAbstainMessage([])).not.toContain("skills I know");
  });
});

describe("recruit with routing.abstain", () => {
  const routing = (overrides: Record<string, unknown>): Config["routing"] => configSchema.parse({ routing: overrides }).routing;
  const input = (skills: RecruitInput["skills"], classify: RecruitInput["classify"] = () => ({ category: "math", confidence: 0.9 })): RecruitInput => ({
    skills,
    text: "hello",
    profile: undefined,
    available,
    classify,
  });

  it("is off by default", () => {
    expect(configSchema.parse({}).routing.abstain).toEqual({ threshold: 0 });
    expect(recruit(routing({}), input([])).recruits.length).toBeGreaterThan(0);
  });

  it("abstains before any strategy runs (the category classifier is never asked)", () => {
    let classified = 0;
    const classify = () => {
      classified += 1;
      return { category: "math", confidence: 0.99 };
    };
    for (const strategy of ["symbolic", "category", "adaptive", "cascade"]) {
      const recruitment = recruit(routing({ strategy, abstain: { threshold: 0.5 }, category: { generalist: "alpha" } }), input(tags(["addition", 0.3]), classify));
      expect(recruitment.strategy).toBe(strategy);
      expect(recruitment.recruits).toEqual([]);
      expect(recruitment.abstain?.threshold).toBe(0.5);
    }
    expect(classified).toBe(0);
    expect(recruit(routing({ strategy: "category", abstain: { threshold: 0.5 }, category: { generalist: "alpha" } }), input(tags(["addition", 0.6]), classify)).recruits).toHaveLength(1);
    expect(classified).toBe(1);
  });
});
