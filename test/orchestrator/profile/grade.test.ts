import { describe, expect, it } from "vitest";
import {
  defaultKind,
  extractChoiceLetter,
  grade,
  GradeSpecError,
  normaliseExact,
  parseExpectedNumber,
  resolveGradeSpec,
  type GradeSpec,
} from "../../../orchestrator/profile/grade.js";

const ok = (text: string, spec: GradeSpec) => grade(text, spec).correct;

describe("exact grading", () => {
  it("compares trimmed text case-sensitively", () => {
    expect(ok("  Paris\n", { kind: "exact", answer: "Paris" })).toBe(true);
    expect(ok("paris", { kind: "exact", answer: "Paris" })).toBe(false);
    expect(ok("Paris, France", { kind: "exact", answer: "Paris" })).toBe(false);
  });

  it("forgives one trailing period and one pair of surrounding quotes or bold, as small models add them", () => {
    for (const text of ["Paris.", '"Paris"', '"Paris".', '"Paris."', "“Paris”", "'Paris'", "`Paris`", "**Paris**", "**Paris.**"]) {
      expect(ok(text, { kind: "exact", answer: "Paris" }), text).toBe(true);
    }
    // Only one period and one pair: more is a different answer.
    expect(ok("Paris..", { kind: "exact", answer: "Paris" })).toBe(false);
    expect(ok("\"'Paris'\"", { kind: "exact", answer: "Paris" })).toBe(false);
    // The expected answer is normalised the same way.
    expect(ok("Paris", { kind: "exact", answer: '"Paris."' })).toBe(true);
    expect(normaliseExact('  "e.g."  ')).toBe("e.g");
  });
});

describe("choice grading", () => {
  const b = { kind: "choice", answer: "B" } as const;
  it("finds the letter in the usual shapes", () => {
    for (const text of ["B", "b", "(B)", "B)", "B.", "B: 42", "(B) because 42", "The answer is B.", "**Answer:** B", "answer: b", "so the answer is (b)", "\\boxed{B}", "I think (B) is right"]) {
      expect(extractChoiceLetter(text), text).toBe("B");
      expect(ok(text, b), text).toBe(true);
    }
  });

  it("accepts letters up to J and refuses wrong or absent ones", () => {
    expect(ok("The answer is J", { kind: "choice", answer: "j" })).toBe(true);
    expect(ok("The answer is C", b)).toBe(false);
    expect(grade("no idea", b)).toEqual({ correct: false, extracted: undefined });
    expect(extractChoiceLetter("K")).toBeUndefined();
  });

  it("does not take an article or a word for a letter", () => {
    expect(extractChoiceLetter("A cat sat on the mat")).toBeUndefined();
    expect(extractChoiceLetter("the answer is a dog")).toBeUndefined();
    expect(extractChoiceLetter("Apples")).toBeUndefined();
  });

  it("takes the last stated answer when the model revises itself", () => {
    expect(extractChoiceLetter("The answer is A. Wait, no: the answer is D")).toBe("D");
    expect(extractChoiceLetter("\\boxed{C} ... the answer is A")).toBe("C");
  });
});

describe("number grading", () => {
  it("takes the last number, or a stated or boxed one", () => {
    expect(ok("2x + 3 = 7, so x = 2", { kind: "number", answer: 2 })).toBe(true);
    expect(ok("The answer is 12, as 3 * 4 = 12 and 7 is unrelated", { kind: "number", answer: 12 })).toBe(true);
    expect(ok("\\boxed{5} (checked with 6 steps)", { kind: "number", answer: 5 })).toBe(true);
    expect(ok("3 apples and 4 pears", { kind: "number", answer: 3 })).toBe(false);
  });

  it("reads thousands separators, signs, decimals and fractions on both sides", () => {
    expect(ok("It costs $1,234.", { kind: "number", answer: 1234 })).toBe(true);
    expect(ok("1234", { kind: "number", answer: "1,234" })).toBe(true);
    expect(ok("x = -3.5", { kind: "number", answer: "-3.5" })).toBe(true);
    expect(ok("half: 1/2", { kind: "number", answer: 0.5 })).toBe(true);
    expect(ok("0.30000000000000004", { kind: "number", answer: 0.3 })).toBe(true);
  });

  it("applies an absolute tolerance, 0 by default", () => {
    expect(ok("3.14", { kind: "number", answer: 3.14159 })).toBe(false);
    expect(ok("3.14", { kind: "number", answer: 3.14159, tolerance: 0.01 })).toBe(true);
    expect(ok("3.2", { kind: "number", answer: 3.14159, tolerance: 0.01 })).toBe(false);
    expect(ok("no number here", { kind: "number", answer: 1, tolerance: 100 })).toBe(false);
  });
});

describe("regex grading", () => {
  it("matches the trimmed answer, with flags from /.../flags or a flags field", () => {
    expect(ok("  impossible \n", { kind: "regex", pattern: "^impossible$" })).toBe(true);
    expect(ok("Paris", { kind: "regex", pattern: "^paris$" })).toBe(false);
    expect(ok("Paris", { kind: "regex", pattern: "/^paris$/i" })).toBe(true);
    expect(ok("Paris", { kind: "regex", pattern: "^paris$", flags: "i" })).toBe(true);
    expect(ok("anything", { kind: "regex", pattern: "." })).toBe(true);
    expect(ok("", { kind: "regex", pattern: "." })).toBe(false);
  });

  it("gives the same verdict every time (no stateful global flag)", () => {
    const spec = resolveGradeSpec({ kind: "regex", pattern: "/a/i" });
    expect([grade("a", spec).correct, grade("a", spec).correct]).toEqual([true, true]);
    expect(() => resolveGradeSpec({ kind: "regex", pattern: "/a/g" })).toThrowError(/flags may only be i, m, s and u/);
  });
});

describe("grading specs", () => {
  it("infers the kind from the answer when the line gives none", () => {
    expect(defaultKind({ answer: 42 })).toBe("number");
    expect(defaultKind({ answer: "1,234" })).toBe("number");
    expect(defaultKind({ answer: "-0.5" })).toBe("number");
    expect(defaultKind({ answer: "c" })).toBe("choice");
    expect(defaultKind({ answer: "(D)" })).toBe("choice");
    expect(defaultKind({ answer: "K" })).toBe("exact");
    expect(defaultKind({ answer: "Paris" })).toBe("exact");
    expect(defaultKind({ answer: "v1.2" })).toBe("exact");
    expect(defaultKind({ pattern: "^x$" })).toBe("regex");
    expect(ok("The answer is 42", { answer: "42" })).toBe(true);
    expect(ok("Answer: c", { answer: "C" })).toBe(true);
  });

  it("parses expected numbers strictly", () => {
    expect(parseExpectedNumber("1,234.5")).toBe(1234.5);
    expect(parseExpectedNumber("3/4")).toBe(0.75);
    expect(parseExpectedNumber("12,34")).toBeUndefined();
    expect(parseExpectedNumber("about 5")).toBeUndefined();
    expect(parseExpectedNumber("")).toBeUndefined();
  });

  it("refuses specs that cannot grade, with the reason", () => {
    const reason = (spec: GradeSpec) => {
      try {
        resolveGradeSpec(spec);
      } catch (error) {
        expect(error).toBeInstanceOf(GradeSpecError);
        return (error as Error).message;
      }
      return "accepted";
    };
    expect(reason({ kind: "exact" })).toMatch(/answer is required/);
    expect(reason({ kind: "choice", answer: "Paris" })).toMatch(/letter A-J/);
    expect(reason({ kind: "number", answer: "many" })).toMatch(/numeric answer/);
    expect(reason({ kind: "number", answer: 1, tolerance: -1 })).toMatch(/tolerance/);
    expect(reason({ kind: "regex" })).toMatch(/needs a pattern/);
    expect(reason({ kind: "regex", pattern: "(" })).toMatch(/not a valid regular expression/);
    expect(reason({ kind: "exact", answer: "x", tolerance: 1 })).toMatch(/tolerance applies to number/);
    expect(reason({ kind: "exact", answer: "x", pattern: "x" })).toMatch(/pattern applies to regex/);
  });
});
