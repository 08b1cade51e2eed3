import { describe, expect, it } from "vitest";
import { hashString, mulberry32 } from "../../../kernel/prng.js";
import { drillFamily, heldOutFrames, scrambleFrame } from "../../../zoo/phrasing/augment.js";
import { allExpansions, countExpansions, expand } from "../../../zoo/phrasing/expand.js";
import { FAMILIES, familiesOf } from "../../../zoo/phrasing/families.js";
import { SKILL_IDS, drawItem } from "../../../zoo/tasks.js";

/** The question's frame: operands (and quotes around them) replaced by #, lower-cased, modifiers kept. */
function frameOf(question: string, key: string): string {
  const operands = key.split(/[+\-:]/).filter(Boolean).sort((a, b) => b.length - a.length);
  let out = question.toLowerCase();
  for (const operand of operands) out = out.split(operand.toLowerCase()).join("#");
  return out;
}

describe("allExpansions", () => {
  it("lists every expansion, as many as countExpansions counts", () => {
    expect(allExpansions("[a|b[c|d]|] x")).toEqual(["a x", "bc x", "bd x", " x"]);
    for (const skill of SKILL_IDS) for (const family of FAMILIES[skill]!) expect(new Set(allExpansions(family.template)).size).toBe(countExpansions(family.template));
  });
});

describe("scrambled frames", () => {
  it("never read like a validation or test family, keep every slot and the skill's own words", () => {
    const random = mulberry32(hashString("scramble"));
    let changed = 0;
    for (const skill of SKILL_IDS) {
      const held = heldOutFrames(skill);
      expect(held.size).toBeGreaterThan(0);
      for (const family of familiesOf(skill, "train")) {
        for (let i = 0; i < 200; i++) {
          const frame = expand(family.template, random);
          const scrambled = scrambleFrame(skill, frame, random);
          if (scrambled !== frame) changed += 1;
          expect(held.has(scrambled.toLowerCase().trim()), `${skill}: ${scrambled}`).toBe(false);
          const slots = (text: string) => (text.match(/\{\w+\}/g) ?? []).sort();
          expect(slots(scrambled)).toEqual(slots(frame));
          for (const word of ["plus", "minus", "backwards", "reverse", "sort", "capitals", "uppercase", "count"]) {
            if (frame.toLowerCase().split(" ").includes(word)) expect(scrambled.toLowerCase().split(" "), `${frame} -> ${scrambled}`).toContain(word);
          }
        }
      }
    }
    expect(changed).toBeGreaterThan(1000);
  });

  it("draws the frame again when a scramble reads like a held-out family", () => {
    // "{w} backwards" is a test family of reversal: scrambling "Spell {w} backwards" can give it.
    expect(heldOutFrames("reversal").has("{w} backwards")).toBe(true);
    for (let seed = 0; seed < 300; seed++) expect(scrambleFrame("reversal", "Write {w} backwards", mulberry32(seed)).toLowerCase()).not.toBe("{w} backwards");
  });
});

describe("augmented training questions", () => {
  it("are drills in the shortest training frame, scrambled frames or the families' own, with right answers", () => {
    const random = mulberry32(hashString("augmented"));
    const drills = new Map<string, number>();
    for (const skill of SKILL_IDS) {
      const drill = drillFamily(skill);
      expect(drill.split).toBe("train");
      for (const family of familiesOf(skill, "train")) expect(family.template.length).toBeGreaterThanOrEqual(drill.template.length);
      for (let i = 0; i < 300; i++) {
        const item = drawItem(skill, "train", random, "grammar", { augment: 0.3, drill: 0.4 });
        if (item.family === drill.id && !/[A-Z]/.test(item.question.slice(1).replace(/[A-Z]+$/, ""))) drills.set(skill, (drills.get(skill) ?? 0) + 1);
        expect(item.question).not.toMatch(/\{/);
      }
    }
    // About 40% of each skill's questions are drills (plus the drill family's share of the rest).
    for (const skill of SKILL_IDS) expect(drills.get(skill) ?? 0, skill).toBeGreaterThan(90);
    expect(drawItem("addition", "train", mulberry32(1), "grammar", { drill: 1 }).question).toMatch(/^\d+ \+ \d+ ?(=|= \?)?\n?$/);
  });

  it("leave validation and test questions and plain training streams as they were", () => {
    for (const split of ["train", "val", "test"] as const) {
      const plain = Array.from({ length: 50 }, (_, i) => drawItem("reversal", split, mulberry32(i), "grammar").question);
      const unaugmented = Array.from({ length: 50 }, (_, i) => drawItem("reversal", split, mulberry32(i), "grammar", { augment: 0, drill: 0 }).question);
      expect(unaugmented).toEqual(plain);
      if (split !== "train") {
        const augmented = Array.from({ length: 50 }, (_, i) => drawItem("reversal", split, mulberry32(i), "grammar", { augment: 1, drill: 0.5 }).question);
        expect(augmented).toEqual(plain);
      }
    }
  });

  it("keep held-out structures out of training even in scrambled form", () => {
    const random = mulberry32(hashString("held out"));
    for (const skill of SKILL_IDS) {
      const held = new Set([...heldOutFrames(skill)].map((f) => f.replace(/\{(w|c|cs|a|b)\}/g, "#")));
      for (let i = 0; i < 400; i++) {
        const item = drawItem(skill, "train", random, "grammar", { augment: 1 });
        const bare = frameOf(item.question, item.key).replace(/["']/g, "").replace(/[.!?]+$/, "").trim();
        expect(held.has(bare), `${skill}: ${item.question}`).toBe(false);
      }
    }
  });
});
