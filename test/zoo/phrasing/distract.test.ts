import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { hashString, mulberry32 } from "../../../kernel/prng.js";
import { distractFrame, distractorPool } from "../../../zoo/phrasing/distract.js";
import { allExpansions, expand } from "../../../zoo/phrasing/expand.js";
import { FAMILIES, familiesOf } from "../../../zoo/phrasing/families.js";
import { drawItem, SKILL_IDS } from "../../../zoo/tasks.js";

const words = (text: string) => text.toLowerCase().split(/[^a-z]+/).filter(Boolean);

describe("distractor words", () => {
  it("never include a word of a validation or test family, or of a hidden question", () => {
    const pool = distractorPool();
    expect(pool.length).toBeGreaterThan(50);
    const heldOut = Object.values(FAMILIES).flat().filter((family) => family.split !== "train");
    for (const family of heldOut) for (const frame of allExpansions(family.template)) for (const word of words(frame)) expect(pool, family.id).not.toContain(word);
    const hidden = readFileSync(join(import.meta.dirname, "../../../zoo/hidden/questions.jsonl"), "utf8").trim().split("\n");
    for (const line of hidden) for (const word of words(JSON.parse(line).question)) expect(pool).not.toContain(word);
    // The held-out frames whose words were taken for operands are among those kept out.
    for (const word of ["read", "change", "rearrange", "together"]) expect(pool).not.toContain(word);
  });

  it("go right before or after a slot and keep the frame's own words and slots in order", () => {
    const random = mulberry32(hashString("distract"));
    const pool = new Set(distractorPool());
    for (const skill of SKILL_IDS) {
      for (const family of familiesOf(skill, "train")) {
        for (let i = 0; i < 50; i++) {
          const frame = expand(family.template, random);
          const distracted = distractFrame(frame, random);
          const added = distracted.split(" ").filter((word) => pool.has(word.replace(/[^a-z]/g, "")) && !frame.split(" ").includes(word));
          expect(added.length, `${frame} -> ${distracted}`).toBeGreaterThanOrEqual(1);
          expect(added.length).toBeLessThanOrEqual(2);
          // Removing the distractors gives the frame back.
          const back = distracted.split(" ").filter((word) => !added.includes(word)).join(" ");
          expect(back.replace(/[^\w{} ]/g, "")).toBe(frame.replace(/[^\w{} ]/g, ""));
          // A distractor touches a slot.
          const tokens = distracted.split(" ");
          const touches = tokens.some((word, j) => added.includes(word) && [tokens[j - 1], tokens[j + 1]].some((next) => next !== undefined && /\{\w+\}/.test(next)));
          expect(touches, `${frame} -> ${distracted}`).toBe(true);
        }
      }
    }
  });

  it("leave the answer alone, and a stream without them draws what it drew before", () => {
    const a = mulberry32(9);
    const b = mulberry32(9);
    for (let i = 0; i < 100; i++) {
      const skill = SKILL_IDS[i % SKILL_IDS.length]!;
      expect(drawItem(skill, "train", a, "grammar", { augment: 0.3, drill: 0.2 })).toEqual(drawItem(skill, "train", b, "grammar", { augment: 0.3, drill: 0.2, distract: 0 }));
    }
    const random = mulberry32(4);
    let distracted = 0;
    for (let i = 0; i < 300; i++) {
      const item = drawItem("sorting", "train", random, "grammar", { distract: 1 });
      expect(item.question).toContain(item.key);
      expect(item.answer).toBe([...item.key].sort().join(""));
      if (words(item.question).some((word) => distractorPool().includes(word))) distracted += 1;
    }
    expect(distracted).toBeGreaterThan(250);
  });
});
