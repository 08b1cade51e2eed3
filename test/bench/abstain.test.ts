import { describe, expect, it } from "vitest";
import { recommend, sweep } from "../../bench/abstain.js";

describe("abstain threshold sweep", () => {
  const inSkill = [0.5, 0.9, 0.99];
  const outOfSkill = [0.1, 0.3, 0.6];

  it("counts the questions whose best score is below each threshold", () => {
    expect(sweep(inSkill, outOfSkill, [0, 0.3, 0.5, 0.7])).toEqual([
      { threshold: 0, wronglyAbstained: 0, caught: 0 },
      { threshold: 0.3, wronglyAbstained: 0, caught: 1 },
      { threshold: 0.5, wronglyAbstained: 0, caught: 2 },
      { threshold: 0.7, wronglyAbstained: 1, caught: 3 },
    ]);
  });

  it("recommends the highest threshold that refuses no in-skill question", () => {
    expect(recommend(sweep(inSkill, outOfSkill, [0, 0.3, 0.5, 0.7]))).toBe(0.5);
    expect(recommend(sweep([0.01], outOfSkill, [0.3, 0.5]))).toBe(0);
  });
});
