import { rm } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readEvalSet, type EvalItem } from "../../../orchestrator/eval/dataset.js";
import { fitCascade } from "../../../orchestrator/eval/fit-cascade.js";
import { writeFixture } from "../../experts/replay/fixture.js";

let dir: string;
let items: EvalItem[];
beforeAll(async () => {
  const fixture = await writeFixture();
  dir = fixture.dir;
  items = await readEvalSet(fixture.file);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const experts = ["strong", "mid", "weak"].map((id) => ({ id, model: id }));

describe("fitCascade", () => {
  it("picks the cheap tier on train within the budget and replays the cascade to score it", () => {
    // weak + mid agree on q1-q3 (right) and q5 (wrong); q4 and q6 escalate to strong (right, wrong):
    // 4/6 right; cost (6 x 0.003 + 2 x 0.01) / 6 = 63% of strong's 0.01.
    const fitted = fitCascade(items, experts, { budget: 0.7 });
    expect(fitted?.tiers).toEqual([["mid", "weak"], ["strong"]]);
    expect(fitted?.train.accuracy).toBeCloseTo(4 / 6);
    expect(fitted?.train.costShare).toBeCloseTo(0.038 / 6 / 0.01);
    expect(fitted?.train.strongestAccuracy).toBeCloseTo(5 / 6);
  });

  it("gives nothing when no tier fits the budget", () => {
    expect(fitCascade(items, experts, { budget: 0.5 })).toBeUndefined();
    expect(fitCascade([], experts, { budget: 1 })).toBeUndefined();
  });
});
