import { describe, expect, it } from "vitest";
import { splitReasoning } from "../../kernel/reasoning.js";
import { traceOf, workedAnswer } from "../../zoo/reasoning.js";
import { drawItem } from "../../zoo/tasks.js";
import { mulberry32 } from "../../kernel/prng.js";

describe("worked answers", () => {
  it("walks a counting question letter by letter with the running count", () => {
    expect(traceOf({ skill: "counting", key: "s:mississippi" })).toBe("s|m0i0s1s2i2s3s4i4p4p4i4");
    expect(traceOf({ skill: "counting", key: "z:abc" })).toBe("z|a0b0c0");
    expect(traceOf({ skill: "addition", key: "1-2" })).toBeUndefined();
  });

  it("thinks only on the skills asked for, and the answer after the thinking is the plain answer", () => {
    const random = mulberry32(3);
    for (let i = 0; i < 200; i++) {
      const item = drawItem(i % 2 ? "counting" : "reversal", "train", random, "grammar");
      const worked = workedAnswer(item, ["counting"]);
      const split = splitReasoning(worked);
      expect(split.content).toBe(item.answer);
      if (item.skill === "counting") {
        // The trace's last running count is the answer.
        expect(split.reasoning!.at(-1)).toBe(item.answer.at(-1));
        expect(split.reasoning!.length).toBe(2 + 2 * (item.key.length - 2));
      } else expect(worked).toBe(item.answer);
    }
    const counting = drawItem("counting", "train", random, "grammar");
    expect(workedAnswer(counting, undefined)).toBe(counting.answer);
  });
});
