import { describe, expect, it } from "vitest";
import { planAggregation, type AggregationSettings, type WeightedAnswer } from "../../../orchestrator/aggregate/plan.js";

const settings = (overrides: Partial<AggregationSettings> = {}): AggregationSettings => ({
  method: "synthesize",
  skipWhenAgree: true,
  voteKind: "auto",
  aggregator: "judge",
  ...overrides,
});
const answer = (expertId: string, text: string, weight: number): WeightedAnswer => ({ expertId, text, weight });

describe("planAggregation", () => {
  it("returns a lone answer as is, whatever the method", () => {
    expect(planAggregation([answer("a", "Paris", 1)], settings())).toEqual({
      method: "single",
      text: "Paris",
      expertIds: ["a"],
      reason: "one answer: nothing to aggregate",
    });
    expect(() => planAggregation([], settings())).toThrowError(/at least one answer/);
  });

  it("method single: the highest-weight answer", () => {
    const plan = planAggregation([answer("a", "x", 0.2), answer("b", "y", 0.5), answer("c", "z", 0.3)], settings({ method: "single" }));
    expect(plan).toMatchObject({ method: "single", text: "y", expertIds: ["b"] });
  });

  it("synthesize: skips the aggregator when all answers agree", () => {
    const plan = planAggregation([answer("a", "The answer is 42", 0.4), answer("b", "42.0", 0.6)], settings());
    expect(plan).toEqual({ method: "agree", text: "42.0", expertIds: ["a", "b"], reason: "all 2 answers agree: aggregator skipped" });
  });

  it("synthesize: asks the aggregator when answers differ or skipping is off", () => {
    const differ = planAggregation([answer("a", "41", 0.5), answer("b", "42", 0.5)], settings());
    expect(differ).toEqual({ method: "synthesize", aggregator: "judge", reason: "judge synthesises 2 answers" });
    const agreeButNoSkip = planAggregation([answer("a", "42", 0.5), answer("b", "42", 0.5)], settings({ skipWhenAgree: false }));
    expect(agreeButNoSkip.method).toBe("synthesize");
  });

  it("synthesize without an aggregator degrades to a weighted vote", () => {
    const plan = planAggregation(
      [answer("a", "Answer: B", 0.3), answer("b", "Answer: C", 0.45), answer("c", "(B)", 0.25)],
      settings({ aggregator: undefined, voteKind: "choice" }),
    );
    expect(plan).toEqual({
      method: "vote",
      text: "Answer: B",
      expertIds: ["a", "c"],
      reason: 'no aggregator configured: majority vote for "B" (agreement 0.55)',
    });
  });

  it("vote: falls back to the highest-weight answer when nothing is extractable", () => {
    const long1 = "There are many considerations here and no single short answer captures all of them well";
    const long2 = "It depends heavily on context, on assumptions about the setting, and on what exactly is meant";
    const plan = planAggregation([answer("a", long1, 0.3), answer("b", long2, 0.7)], settings({ method: "vote" }));
    expect(plan).toEqual({ method: "vote", text: long2, expertIds: ["b"], reason: "no extractable answer: highest-weight answer" });
  });
});
