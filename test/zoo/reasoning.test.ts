import { describe, expect, it } from "vitest";
import { splitReasoning } from "../../kernel/reasoning.js";
import { traceOf, workedAnswer } from "../../zoo/reasoning.js";
import { drawItem, SKILL_IDS } from "../../zoo/tasks.js";
import { mulberry32 } from "../../kernel/prng.js";

const backwards = (text: string) => [...text].reverse().join("");

describe("worked answers", () => {
  it("walks a counting question letter by letter with the running count", () => {
    expect(traceOf({ skill: "counting", key: "s:mississippi" })).toBe("s|m0i0s1s2i2s3s4i4p4p4i4");
    expect(traceOf({ skill: "counting", key: "z:abc" })).toBe("z|a0b0c0");
  });

  it("writes sums and differences in columns, least significant digit first, padded to one width", () => {
    expect(traceOf({ skill: "addition", key: "847+682" })).toBe("748+286=9251");
    expect(traceOf({ skill: "addition", key: "300+64" })).toBe("003+460=463");
    expect(traceOf({ skill: "addition", key: "99+1" })).toBe("99+10=001");
    expect(traceOf({ skill: "subtraction", key: "300-64" })).toBe("003-460=632");
    expect(traceOf({ skill: "subtraction", key: "849-844" })).toBe("948-448=500");
    expect(traceOf({ skill: "subtraction", key: "8-7" })).toBe("8-7=1");
  });

  it("copies the word out before sorting it, and has no trace for reversal or upper-casing", () => {
    expect(traceOf({ skill: "sorting", key: "hmyhx" })).toBe("hmyhx");
    expect(traceOf({ skill: "reversal", key: "abc" })).toBeUndefined();
    expect(traceOf({ skill: "uppercase", key: "abc" })).toBeUndefined();
  });

  it("every column trace holds its operands and reads back as the answer", () => {
    const random = mulberry32(5);
    for (let i = 0; i < 400; i++) {
      const item = drawItem(i % 2 ? "addition" : "subtraction", "train", random, "grammar");
      const operator = item.skill === "addition" ? "+" : "-";
      const [columns, result] = traceOf(item)!.split("=") as [string, string];
      const [a, b] = columns.split(operator) as [string, string];
      expect(a.length).toBe(b.length);
      expect(result.length).toBeGreaterThanOrEqual(a.length);
      expect(`${Number(backwards(a))}${operator}${Number(backwards(b))}`).toBe(item.key);
      expect(`${Number(backwards(result))}`).toBe(item.answer);
    }
  });

  it("thinks only on the skills asked for, and the answer after the thinking is the plain answer", () => {
    const random = mulberry32(3);
    for (let i = 0; i < 300; i++) {
      const skill = SKILL_IDS[i % SKILL_IDS.length]!;
      const item = drawItem(skill, "train", random, "grammar");
      const worked = workedAnswer(item, ["counting", "sorting"]);
      const split = splitReasoning(worked);
      expect(split.content).toBe(item.answer);
      if (skill === "counting") {
        // The trace's last running count is the answer.
        expect(split.reasoning!.at(-1)).toBe(item.answer.at(-1));
        expect(split.reasoning!.length).toBe(2 + 2 * (item.key.length - 2));
      } else if (skill === "sorting") expect(split.reasoning).toBe(item.key);
      else expect(worked).toBe(item.answer);
    }
    const counting = drawItem("counting", "train", random, "grammar");
    expect(workedAnswer(counting, undefined)).toBe(counting.answer);
  });
});
