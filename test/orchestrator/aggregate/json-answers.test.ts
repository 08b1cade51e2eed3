import { describe, expect, it } from "vitest";
import { canonicalJson, matchesSchema, readJsonAnswer } from "../../../orchestrator/aggregate/json-answers.js";
import { extractAnswer, majorityVote } from "../../../orchestrator/aggregate/vote.js";

describe("canonicalJson", () => {
  it("sorts keys at every level and drops whitespace", () => {
    expect(canonicalJson(JSON.parse('{ "b": [ {"y":1,"x":2} ], "a": null }'))).toBe('{"a":null,"b":[{"x":2,"y":1}]}');
  });
});

describe("matchesSchema", () => {
  const person = {
    type: "object",
    properties: {
      name: { type: "string", minLength: 1, maxLength: 5 },
      age: { type: "integer", exclusiveMinimum: 0, maximum: 150 },
      tags: { type: "array", items: { enum: ["a", "b"] }, maxItems: 2 },
      kind: { anyOf: [{ const: "x" }, { $ref: "#/$defs/other" }] },
    },
    required: ["name", "age"],
    additionalProperties: false,
    $defs: { other: { type: "null" } },
  };

  it("accepts a value that fits and names nothing it does not check", () => {
    expect(matchesSchema({ name: "Ann", age: 30, tags: ["a"], kind: null }, person)).toBe(true);
    expect(matchesSchema({ name: "Ann", age: 30, kind: "x" }, person)).toBe(true);
    expect(matchesSchema("anything", {})).toBe(true);
  });

  it.each([
    ["a missing required key", { name: "Ann" }],
    ["a wrong type", { name: "Ann", age: "30" }],
    ["a fraction for an integer", { name: "Ann", age: 1.5 }],
    ["an exclusive bound", { name: "Ann", age: 0 }],
    ["a maximum", { name: "Ann", age: 151 }],
    ["a string too long", { name: "Annabel", age: 3 }],
    ["an enum", { name: "Ann", age: 3, tags: ["c"] }],
    ["too many items", { name: "Ann", age: 3, tags: ["a", "b", "a"] }],
    ["an extra key", { name: "Ann", age: 3, extra: 1 }],
    ["a failed $ref", { name: "Ann", age: 3, kind: "y" }],
  ])("refuses %s", (_, value) => {
    expect(matchesSchema(value, person)).toBe(false);
  });
});

describe("JSON answers in a vote", () => {
  const schema = { type: "object", properties: { a: { type: "integer" } }, required: ["a"] };

  it("reads an answer as its canonical value, or nothing when cut or off-schema", () => {
    expect(readJsonAnswer(' {"a": 4}\n', schema)).toEqual({ value: { a: 4 }, canonical: '{"a":4}' });
    expect(readJsonAnswer('{"a":4', schema)).toBeUndefined();
    expect(readJsonAnswer('{"a":"4"}', schema)).toBeUndefined();
    expect(extractAnswer('{"a": 4}', "auto", schema)).toEqual({ kind: "json", value: '{"a":4}' });
  });

  it("two objects that differ do not agree on the number they share", () => {
    const vote = majorityVote(
      [
        { expertId: "x", text: '{"a":4,"b":1}', weight: 0.5 },
        { expertId: "y", text: '{"a":4,"b":2}', weight: 0.4 },
      ],
      "auto",
      { type: "object" },
    );
    expect(vote?.tally.map((t) => t.value)).toEqual(['{"a":4,"b":1}', '{"a":4,"b":2}']);
    expect(vote?.agreement).toBeCloseTo(0.5 / 0.9, 10);
  });
});
