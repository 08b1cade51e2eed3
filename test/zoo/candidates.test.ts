import { describe, expect, it } from "vitest";
import { renderPlainPrompt } from "../../experts/llama/plain-prompt.js";
import { mulberry32 } from "../../kernel/prng.js";
import { candidateSet, corrupt, synthesisPrompt } from "../../zoo/candidates.js";

describe("zoo candidate answers", () => {
  it("corrupts an answer into a different, non-empty one", () => {
    const random = mulberry32(3);
    for (const answer of ["0", "7", "128", "abc", "GARDEN", "aab"]) {
      for (let i = 0; i < 200; i++) {
        const wrong = corrupt(answer, random);
        expect(wrong).not.toBe(answer);
        expect(wrong.length).toBeGreaterThan(0);
      }
    }
  });

  it("mixes right and wrong answers, sometimes with the right one in the minority", () => {
    const random = mulberry32(4);
    let minority = 0;
    let allRight = 0;
    for (let i = 0; i < 500; i++) {
      const set = candidateSet("42", 3, random);
      expect(set).toHaveLength(3);
      const right = set.filter((c) => c === "42").length;
      if (right === 1 && new Set(set.filter((c) => c !== "42")).size === 1) minority += 1;
      if (right === 3) allRight += 1;
    }
    expect(minority).toBeGreaterThan(25);
    expect(allRight).toBeGreaterThan(25);
  });

  it("renders the compact synthesis prompt exactly as the plain prompt format sends it", () => {
    expect(synthesisPrompt("What is 2 plus 2?", ["4", "5"])).toBe("What is 2 plus 2?\n- 4\n- 5\n");
    expect(renderPlainPrompt([{ role: "user", content: "Add 1 and 2." }])).toBe("Add 1 and 2.\n");
  });
});
