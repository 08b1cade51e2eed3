import { describe, expect, it } from "vitest";
import { hashString, mulberry32 } from "../../kernel/prng.js";
import { SKILL_IDS, TASKS, drawItem, evaluationSet, splitOf } from "../../zoo/tasks.js";

describe("zoo tasks", () => {
  it("has at least six skills, each with held-out phrasings", () => {
    expect(SKILL_IDS.length).toBeGreaterThanOrEqual(6);
    for (const task of TASKS) {
      expect(task.phrasings.length).toBeGreaterThanOrEqual(3);
      expect(task.heldOutPhrasings.length).toBeGreaterThanOrEqual(2);
      for (const phrasing of task.heldOutPhrasings) expect(task.phrasings).not.toContain(phrasing);
    }
  });

  it("computes the right answers from the operands in the question", () => {
    const random = mulberry32(1);
    for (let i = 0; i < 200; i++) {
      for (const skill of SKILL_IDS) {
        const item = drawItem(skill, "train", random);
        if (skill === "addition" || skill === "subtraction") {
          const [a, b] = item.key.split(/[+-]/).map(Number) as [number, number];
          expect(item.question).toContain(String(a));
          expect(item.question).toContain(String(b));
          expect(Number(item.answer)).toBe(skill === "addition" ? a + b : a - b);
          expect(Number(item.answer)).toBeGreaterThanOrEqual(0);
        } else if (skill === "counting") {
          const [letter, word] = item.key.split(":") as [string, string];
          expect(item.question).toContain(word);
          expect(Number(item.answer)).toBe([...word].filter((c) => c === letter).length);
        } else {
          expect(item.question).toContain(item.key);
          const expected = { reversal: [...item.key].reverse().join(""), sorting: [...item.key].sort().join(""), uppercase: item.key.toUpperCase() };
          expect(item.answer).toBe(expected[skill as keyof typeof expected]);
        }
      }
    }
  });

  it("keeps every operand in one split and training away from held-out phrasings", () => {
    const random = mulberry32(hashString("split-test"));
    const heldOut = new Set(TASKS.flatMap((t) => t.heldOutPhrasings.map((p) => p.split("{")[0]!.trim()).filter(Boolean)));
    for (let i = 0; i < 300; i++) {
      const item = drawItem("reversal", "train", random);
      expect(splitOf("reversal", item.key)).toBe("train");
      expect(splitOf("reversal", drawItem("reversal", "test", random).key)).toBe("test");
      expect(item.seenPhrasing).toBe(true);
      expect([...heldOut].some((prefix) => prefix.length > 8 && item.question.startsWith(prefix))).toBe(false);
    }
  });

  it("builds the same evaluation set for the same seed, with both kinds of phrasing", () => {
    const a = evaluationSet("test", 20, 0);
    const b = evaluationSet("test", 20, 0);
    expect(a).toEqual(b);
    expect(a).toHaveLength(20 * SKILL_IDS.length);
    expect(new Set(a.map((i) => i.question)).size).toBe(a.length);
    expect(a.some((i) => i.seenPhrasing)).toBe(true);
    expect(a.some((i) => !i.seenPhrasing)).toBe(true);
    expect(evaluationSet("test", 20, 1)).not.toEqual(a);
  });
});
