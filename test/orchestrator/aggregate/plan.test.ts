import { describe, expect, it } from "vitest";
import { planAggregation, type AggregationSettings, type WeightedAnswer } from "../../../orchestrator/aggregate/plan.js";

const settings = (overrides: Partial<AggregationSettings> = {}): AggregationSettings => ({
  method: "synthesize",
  skipWhenAgree: true,
  voteKind: "auto",
  aggregator: "judge",
  ...overrides,
});
const answer = (expertId: string, text: string, weight: number, finishReason?: WeightedAnswer["finishReason"]): WeightedAnswer => ({
  expertId,
  text,
  weight,
  ...(finishReason ? { finishReason } : {}),
});

describe("planAggregation", () => {
  it("returns a lone answer as is, whatever the method", () => {
    expect(planAggregation([answer("a", "Paris", 1)], settings())).toEqual({
      method: "single",
      text: "Paris",
      finishReason: "stop",
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
    expect(plan).toEqual({ method: "agree", text: "42.0", finishReason: "stop", expertIds: ["a", "b"], reason: "all 2 answers agree: aggregator skipped" });
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
      finishReason: "stop",
      expertIds: ["a", "c"],
      reason: 'no aggregator configured: majority vote for "B" (agreement 0.55)',
    });
  });

  it("vote: falls back to the highest-weight answer when nothing is extractable", () => {
    const long1 = "There are many considerations here and no single short answer captures all of them well";
    const long2 = "It depends heavily on context, on assumptions about the setting, and on what exactly is meant";
    const plan = planAggregation([answer("a", long1, 0.3), answer("b", long2, 0.7)], settings({ method: "vote" }));
    expect(plan).toEqual({ method: "vote", text: long2, finishReason: "stop", expertIds: ["b"], reason: "no extractable answer: highest-weight answer" });
  });

  it("returns the chosen answer's finish reason: a vote for a cut answer stays length", () => {
    const cut = planAggregation([answer("a", "42", 0.6, "length"), answer("b", "41", 0.4, "stop")], settings({ method: "vote" }));
    expect(cut).toMatchObject({ method: "vote", text: "42", finishReason: "length" });
    expect(planAggregation([answer("a", "x", 1, "length")], settings())).toMatchObject({ finishReason: "length" });
  });

  describe("with a JSON schema (structured output)", () => {
    const jsonSchema = {
      type: "object",
      properties: { a: { type: "integer" }, b: { type: "integer" } },
      required: ["a", "b"],
      additionalProperties: false,
    };

    it("votes on parsed values, not on a number pulled out of the text", () => {
      const plan = planAggregation(
        [answer("x", '{"a":4,"b":5}', 0.3), answer("y", '{ "b": 5, "a": 4 }', 0.3), answer("z", '{"a":4,"b":6}', 0.4)],
        settings({ method: "vote", jsonSchema }),
      );
      expect(plan).toEqual({
        method: "vote",
        text: '{"a":4,"b":5}',
        finishReason: "stop",
        expertIds: ["x", "y"],
        reason: 'majority vote for {"a":4,"b":5} (agreement 0.60)',
      });
    });

    it("only a valid candidate can win: cut or non-matching answers have no vote", () => {
      const plan = planAggregation(
        [answer("x", '{"a":26620212426', 0.5, "length"), answer("y", '{"a":1.5,"b":2}', 0.3), answer("z", '{"a":1,"b":2}', 0.2)],
        settings({ method: "vote", jsonSchema }),
      );
      expect(plan).toMatchObject({ method: "vote", text: '{"a":1,"b":2}', finishReason: "stop", expertIds: ["z"] });
      const none = planAggregation([answer("x", '{"a":266', 0.6, "length"), answer("y", '{"a":"no"}', 0.4)], settings({ method: "vote", jsonSchema }));
      expect(none).toMatchObject({ text: '{"a":266', finishReason: "length", reason: "no answer parses and matches the JSON schema: highest-weight answer" });
    });

    it("skips the aggregator when the parsed values agree, and asks it when they differ", () => {
      const agree = planAggregation([answer("x", '{"a":1,"b":2}', 0.5), answer("y", '{\n  "b": 2,\n  "a": 1\n}', 0.5)], settings({ jsonSchema }));
      expect(agree.method).toBe("agree");
      // As text both would extract to the number 2; as values they differ.
      const differ = planAggregation([answer("x", '{"a":1,"b":2}', 0.5), answer("y", '{"a":3,"b":2}', 0.5)], settings({ jsonSchema }));
      expect(differ.method).toBe("synthesize");
    });
  });
});
