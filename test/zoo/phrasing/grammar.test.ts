import { describe, expect, it } from "vitest";
import { hashString, mulberry32 } from "../../../kernel/prng.js";
import { countExpansions, expand, fillSlots } from "../../../zoo/phrasing/expand.js";
import { FAMILIES, familiesOf } from "../../../zoo/phrasing/families.js";
import { SKILL_IDS, drawItem, evaluationSet } from "../../../zoo/tasks.js";

/** The question with its operands replaced: what is left is the phrasing. */
function skeleton(question: string, key: string): string {
  const operands = key.split(/[+\-:]/).filter(Boolean).sort((a, b) => b.length - a.length);
  let out = question;
  for (const operand of operands) out = out.split(operand).join("#");
  return out;
}

describe("the phrasing template language", () => {
  it("expands nested choices and counts them", () => {
    expect(countExpansions("[a|b[c|d]|] x")).toBe(4);
    const seen = new Set(Array.from({ length: 200 }, (_, i) => expand("[a|b[c|d]|] x", mulberry32(i))));
    expect(seen).toEqual(new Set(["a x", "bc x", "bd x", " x"]));
  });

  it("refuses an unbalanced template and a slot without a value", () => {
    expect(() => expand("[a|b", mulberry32(1))).toThrow(/unbalanced/);
    expect(() => fillSlots("{a} and {z}", { a: "1" })).toThrow(/\{z\}/);
  });
});

describe("the phrasing grammar", () => {
  it("holds out whole families: every skill has train, validation and test families, each in one split", () => {
    for (const skill of SKILL_IDS) {
      const ids = FAMILIES[skill]!.map((f) => f.id);
      expect(new Set(ids).size).toBe(ids.length);
      const templates = FAMILIES[skill]!.map((f) => f.template);
      expect(new Set(templates).size).toBe(templates.length);
      for (const split of ["train", "val", "test"] as const) expect(familiesOf(skill, split).length, `${skill} ${split}`).toBeGreaterThanOrEqual(2);
    }
  });

  it("never shows a validation or test family in training, nor a training one in test", () => {
    const random = mulberry32(hashString("families"));
    for (const skill of SKILL_IDS) {
      const trainFamilies = new Set(Array.from({ length: 400 }, () => drawItem(skill, "train", random, "grammar").family));
      const trainSkeletons = new Set(Array.from({ length: 3000 }, () => drawItem(skill, "train", random, "grammar")).map((i) => skeleton(i.question, i.key)));
      const test = evaluationSet("test", 100, 0, "grammar").filter((i) => i.skill === skill);
      const testFamilies = new Set(test.map((i) => i.family));
      expect(new Set(familiesOf(skill, "train").map((f) => f.id))).toEqual(trainFamilies);
      for (const family of testFamilies) expect(trainFamilies.has(family)).toBe(false);
      expect(testFamilies).toEqual(new Set(familiesOf(skill, "test").map((f) => f.id)));
      // A test family is a structure of its own: its questions read differently from training's.
      const shared = test.filter((i) => trainSkeletons.has(skeleton(i.question, i.key)));
      expect(shared.length, `${skill}: ${shared.map((i) => i.question).join(" | ")}`).toBeLessThanOrEqual(2);
      expect(test.every((i) => !i.seenPhrasing)).toBe(true);
    }
  });

  it("gives thousands of distinct phrasings per skill in training", () => {
    const random = mulberry32(7);
    for (const skill of SKILL_IDS) {
      const phrasings = new Set(Array.from({ length: 6000 }, () => drawItem(skill, "train", random, "grammar")).map((i) => skeleton(i.question, i.key)));
      expect(phrasings.size, skill).toBeGreaterThan(1000);
    }
  });

  it("asks about the operands it grades, with arithmetic up to three digits", () => {
    const random = mulberry32(11);
    let threeDigits = 0;
    for (let i = 0; i < 600; i++) {
      for (const skill of SKILL_IDS) {
        const item = drawItem(skill, "train", random, "grammar");
        if (skill === "addition" || skill === "subtraction") {
          const [a, b] = item.key.split(/[+-]/).map(Number) as [number, number];
          expect(item.question).toContain(String(a));
          expect(item.question).toContain(String(b));
          expect(Number(item.answer)).toBe(skill === "addition" ? a + b : a - b);
          if (a >= 100 || b >= 100) threeDigits += 1;
        } else if (skill === "counting") {
          const [letter, word] = item.key.split(":") as [string, string];
          expect(item.question).toContain(word);
          expect(item.question).toContain(letter);
          expect(Number(item.answer)).toBe([...word].filter((c) => c === letter).length);
        } else {
          expect(item.question).toContain(item.key);
        }
        expect(item.question, "printable ASCII only: one vocabulary token per character").toMatch(/^[\x20-\x7e]+$/);
      }
    }
    expect(threeDigits).toBeGreaterThan(300);
  });
});
