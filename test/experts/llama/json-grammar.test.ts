import { describe, expect, it } from "vitest";
import { boundJsonSchema, integerBounds, jsonAnswerComplete, rangeRule, signedRange, substituteNumbers } from "../../../experts/llama/json-grammar.js";

/** The GBNF subset the number rules use (literals, classes, repeats, groups, |) as a RegExp. */
const asRegExp = (gbnf: string) => new RegExp(`^(?:${gbnf.replace(/"([^"]*)"/g, (_, text: string) => text.replace(/[-.]/g, "\\$&")).replace(/\(/g, "(?:").replace(/ /g, "")})$`);

describe("integer range rules", () => {
  it("admit exactly the integers in [lo, hi], written without leading zeros", () => {
    for (const [lo, hi] of [
      [0, 0],
      [0, 9],
      [0, 100],
      [17, 2345],
      [7, 7],
      [99, 101],
      [305, 1999],
    ] as const) {
      const rule = asRegExp(rangeRule(lo, hi));
      for (let n = 0; n <= 3000; n++) expect(rule.test(String(n)), `${n} in [${lo}, ${hi}]`).toBe(n >= lo && n <= hi);
      expect(rule.test(`0${lo}`)).toBe(false);
    }
  });

  it("handle signs: negative, mixed and the safe-integer edges; never -0", () => {
    const mixed = asRegExp(signedRange(-15, 42));
    for (let n = -60; n <= 60; n++) expect(mixed.test(String(n)), String(n)).toBe(n >= -15 && n <= 42);
    expect(mixed.test("-0")).toBe(false);
    const negative = asRegExp(signedRange(-15, -3));
    for (let n = -20; n <= 5; n++) expect(negative.test(String(n)), String(n)).toBe(n >= -15 && n <= -3);
    const safe = asRegExp(signedRange(-Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER));
    expect(safe.test(String(Number.MAX_SAFE_INTEGER))).toBe(true);
    expect(safe.test(String(-Number.MAX_SAFE_INTEGER))).toBe(true);
    expect(safe.test("9007199254740992")).toBe(false);
    expect(safe.test("10000000000000000")).toBe(false);
    expect(safe.test("26E20212426")).toBe(false);
  });

  it("read minimum, maximum and exclusive bounds, clamped to safe integers", () => {
    expect(integerBounds({})).toEqual([-Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER]);
    expect(integerBounds({ exclusiveMinimum: 0, maximum: 10.5 })).toEqual([1, 10]);
    expect(integerBounds({ minimum: -1e30, exclusiveMaximum: 5 })).toEqual([-Number.MAX_SAFE_INTEGER, 4]);
  });
});

describe("boundJsonSchema + substituteNumbers", () => {
  const schema = {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    type: "object",
    properties: {
      a: { type: "integer", minimum: 0, maximum: 100 },
      b: { type: ["number", "null"], minimum: -1, maximum: 1 },
      c: { anyOf: [{ type: "string", maxLength: 3 }, { type: "boolean" }] },
      d: { type: "object" },
    },
  };

  it("swaps each bounded number for a placeholder and maps JSON-schema semantics node-llama-cpp reads differently", () => {
    const { schema: bounded, numbers } = boundJsonSchema(schema);
    expect(bounded.$schema).toBeUndefined();
    const props = bounded.properties as Record<string, Record<string, unknown>>;
    expect(props.a).toEqual({ const: [...numbers.keys()][0] });
    expect(props.b!.oneOf).toEqual([{ const: [...numbers.keys()][1] }, { type: "null", minimum: -1, maximum: 1 }]);
    expect(props.c).toEqual({ oneOf: [{ type: "string", maxLength: 3 }, { type: "boolean" }] });
    expect(props.d).toEqual({ type: "object", additionalProperties: true });
    const numberRule = asRegExp([...numbers.values()][1]!);
    for (const ok of ["0", "1", "-1", "0.5", "-0.25", "1.000000000001"]) expect(numberRule.test(ok), ok).toBe(true);
    for (const bad of ["2", "-2", "1e5", "0.1234567890123", "01"]) expect(numberRule.test(bad), bad).toBe(false);
  });

  it("replaces every placeholder literal and bounds the global number rules", () => {
    const { numbers } = boundJsonSchema(schema);
    const [first] = numbers.keys();
    const gbnf = [`root ::= "{" "\\"a\\"" ":" val0 "}"`, `val0 ::= "\\"${first}\\""`, `integer-number-rule ::= "-"? [0-9]+ ([eE] [0-9]+)?`, `fractional-number-rule ::= "-"? [0-9]+`].join("\n");
    const out = substituteNumbers(gbnf, new Map([[first!, numbers.get(first!)!]]));
    expect(out).not.toContain(first);
    expect(out).toContain(`val0 ::= (${numbers.get(first!)})`);
    expect(out).not.toMatch(/\[eE\]/);
    expect(substituteNumbers('root ::= "x"', numbers)).toBe('root ::= "x"');
  });
});

describe("jsonAnswerComplete", () => {
  it("is true for a whole value, false for one the budget cut", () => {
    expect(jsonAnswerComplete('{"a":1,"b":2}\n\n')).toBe(true);
    expect(jsonAnswerComplete('{"a":1,"b":2}')).toBe(true);
    expect(jsonAnswerComplete('{"a":26620212426')).toBe(false);
    expect(jsonAnswerComplete('"abc"')).toBe(true);
    expect(jsonAnswerComplete("true")).toBe(true);
    // A bare number is whole only once something followed it: "12" might have become "123".
    expect(jsonAnswerComplete("12")).toBe(false);
    expect(jsonAnswerComplete("12\n")).toBe(true);
  });
});
