import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatResult, judge, parseHidden, selectSets, type HiddenQuestion } from "../../bench/zoo-hidden.js";
import { PACKAGE_ROOT } from "../helpers/paths.js";

const q = (id: string, set: HiddenQuestion["set"], expected: string | null): HiddenQuestion => ({ id, set, skill: expected === null ? null : "addition", question: `question ${id}`, expected });

describe("zoo-hidden judging", () => {
  it("grades a skill answer as the profiler does, and never counts an abstention as right", () => {
    expect(judge(q("h1", "official", "476"), "476", false)).toBe(true);
    expect(judge(q("h1", "official", "476"), "the sum is 476", false)).toBe(true);
    expect(judge(q("h1", "official", "476"), "58", false)).toBe(false);
    expect(judge(q("h1", "official", "476"), "476", true)).toBe(false);
    expect(judge(q("h2", "official", "MAPLE"), "maple", false)).toBe(false);
  });

  it("counts an out-of-skill question right only when routing abstained", () => {
    expect(judge(q("o1", "outside", null), "I can't answer that", true)).toBe(true);
    expect(judge(q("o1", "outside", null), "aaca", false)).toBe(false);
  });

  it("asks the chosen skill set with the out-of-skill questions", () => {
    const all = [q("h1", "official", "1"), q("h2", "reserve", "2"), q("o1", "outside", null)];
    expect(selectSets(all, "official").map((x) => x.id)).toEqual(["h1", "o1"]);
    expect(selectSets(all, "reserve").map((x) => x.id)).toEqual(["h2", "o1"]);
    expect(selectSets(all, "all").map((x) => x.id)).toEqual(["h1", "h2", "o1"]);
  });

  it("prints the answer, who gave it and the expected outcome", () => {
    const base = { id: "h1", skill: "addition", question: "Add 1 and 2?", expected: "3", answer: "4", experts: ["zoo-numbers"], abstained: false, right: false };
    expect(formatResult(base)).toBe('✗ h1  Add 1 and 2?\n      zoo-numbers  →  "4"  expected "3"');
    expect(formatResult({ ...base, id: "o1", expected: null, answer: "I can't", experts: [], abstained: true, right: true })).toBe("✓ o1  Add 1 and 2?\n      abstained  →  (the abstain message)  expected abstain");
  });
});

describe("the hidden set's shape (not its contents: it is never read for training)", () => {
  it("has twelve official questions, two per zoo skill, unique ids, and at least six out-of-skill ones", async () => {
    const questions = parseHidden(await readFile(join(PACKAGE_ROOT, "zoo/hidden/questions.jsonl"), "utf8"));
    expect(new Set(questions.map((x) => x.id)).size).toBe(questions.length);
    const official = questions.filter((x) => x.set === "official");
    expect(official).toHaveLength(12);
    const perSkill = new Map<string, number>();
    for (const x of official) perSkill.set(x.skill!, (perSkill.get(x.skill!) ?? 0) + 1);
    expect([...perSkill.entries()].sort()).toEqual(["addition", "counting", "reversal", "sorting", "subtraction", "uppercase"].map((s) => [s, 2]));
    expect(questions.filter((x) => x.set === "reserve").length).toBeGreaterThanOrEqual(12);
    const outside = questions.filter((x) => x.set === "outside");
    expect(outside.length).toBeGreaterThanOrEqual(6);
    for (const x of outside) expect(x.expected).toBeNull();
    for (const x of questions.filter((y) => y.set !== "outside")) expect(typeof x.expected).toBe("string");
  });
});
