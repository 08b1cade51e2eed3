import { describe, expect, it } from "vitest";
import { canonicalJson, planToolTurn, turnAgreement, turnKey, type ToolTurn } from "../../../orchestrator/aggregate/tool-turn.js";

const call = (name: string, args: string, id = `call_${name}`) => ({ id, type: "function" as const, function: { name, arguments: args } });

describe("tool turn", () => {
  it("normalises arguments (key order, whitespace) and treats parallel calls as a set", () => {
    expect(canonicalJson({ b: [1, { d: 2, c: 3 }], a: "x" })).toBe('{"a":"x","b":[1,{"c":3,"d":2}]}');
    const one: ToolTurn = { expertId: "a", weight: 1, text: "", toolCalls: [call("f", '{"x": 1, "y": 2}'), call("g", "{}")] };
    const two: ToolTurn = { expertId: "b", weight: 1, text: "", toolCalls: [call("g", ""), call("f", '{"y":2,"x":1}')] };
    expect(turnKey(one)).toBe(turnKey(two));
    expect(turnKey({ expertId: "c", weight: 1, text: "hi" })).toBe("text");
    expect(turnKey({ expertId: "d", weight: 1, text: "", toolCalls: [call("f", '{"x":2,"y":2}')] })).not.toBe(turnKey(one));
  });

  it("votes when two or more turns make the same calls with most of the weight, and keeps the heaviest one's turn whole", () => {
    const plan = planToolTurn([
      { expertId: "a", weight: 0.3, text: "", toolCalls: [call("weather", '{"city":"Oslo"}', "a1")] },
      { expertId: "b", weight: 0.35, text: "Let me check.", toolCalls: [call("weather", '{ "city": "Oslo" }', "b1")] },
      { expertId: "c", weight: 0.35, text: "It is sunny." },
    ]);
    expect(plan.method).toBe("vote");
    expect(plan.turn.expertId).toBe("b");
    expect(plan.turn.text).toBe("Let me check.");
    expect(plan.turn.toolCalls?.[0]?.id).toBe("b1");
    expect(plan.reason).toContain('weather({"city":"Oslo"})');
  });

  it("without a majority, the most suitable expert's turn: text or calls, never a mix", () => {
    const mixed = planToolTurn([
      { expertId: "caller", weight: 0.4, text: "", toolCalls: [call("weather", '{"city":"Oslo"}')] },
      { expertId: "talker", weight: 0.6, text: "I cannot check the weather." },
    ]);
    expect(mixed).toMatchObject({ method: "single", turn: { expertId: "talker", text: "I cannot check the weather." } });
    expect(mixed.turn.toolCalls).toBeUndefined();
    expect(mixed.reason).toContain("most suitable expert talker");

    const split = planToolTurn([
      { expertId: "a", weight: 0.5, text: "", toolCalls: [call("weather", '{"city":"Oslo"}')] },
      { expertId: "b", weight: 0.5, text: "", toolCalls: [call("weather", '{"city":"Rome"}')] },
    ]);
    expect(split.method).toBe("single");
    expect(split.turn.expertId).toBe("a");
    expect(split.turn.toolCalls?.[0]?.function.arguments).toBe('{"city":"Oslo"}');
  });

  it("measures agreement over calls for the cascade: same calls agree, empty texts of different calls do not", () => {
    const oslo = (expertId: string, weight: number): ToolTurn => ({ expertId, weight, text: "", toolCalls: [call("weather", '{"city":"Oslo"}')] });
    expect(turnAgreement([oslo("a", 1), oslo("b", 1)])).toBe(1);
    expect(turnAgreement([oslo("a", 1), { expertId: "b", weight: 1, text: "", toolCalls: [call("weather", '{"city":"Rome"}')] }])).toBe(0);
    expect(turnAgreement([oslo("a", 1), oslo("b", 1), { expertId: "c", weight: 2, text: "no" }])).toBe(0.5);
    expect(turnAgreement([oslo("a", 1)])).toBe(0);
  });
});
