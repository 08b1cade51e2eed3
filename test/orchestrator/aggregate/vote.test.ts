import { describe, expect, it } from "vitest";
import { answersAgree, extractAnswer, majorityVote, type VoteKind } from "../../../orchestrator/aggregate/vote.js";

const value = (text: string, kind: VoteKind) => extractAnswer(text, kind)?.value;

describe("extractAnswer", () => {
  it("finds choice letters: lone, parenthesised, stated; the last statement wins", () => {
    expect(extractAnswer("B", "choice")).toEqual({ kind: "choice", value: "B" });
    expect(value("(B)", "choice")).toBe("B");
    expect(value("d.", "choice")).toBe("D");
    expect(value("The answer is C.", "choice")).toBe("C");
    expect(value("**Answer:** D", "choice")).toBe("D");
    expect(value("answer: b", "choice")).toBe("B");
    expect(value("At first the answer is A, but checking again, the answer is (c).", "choice")).toBe("C");
    expect(value("So the final answer is $\\boxed{E}$", "choice")).toBe("E");
    expect(value("I would go with (B) here", "choice")).toBe("B");
    expect(value("No option fits.", "choice")).toBeUndefined();
  });

  it("finds the final number, normalised", () => {
    expect(extractAnswer("the answer is 42", "number")).toEqual({ kind: "number", value: "42" });
    expect(value("so x = 3.5", "number")).toBe("3.5");
    expect(value("That makes 1,234 apples", "number")).toBe("1234");
    expect(value("-7", "number")).toBe("-7");
    expect(value("42.0", "number")).toBe("42");
    expect(value("3.50", "number")).toBe("3.5");
    expect(value("half: 1/2", "number")).toBe("0.5");
    expect(value("The answer is 42. I checked it 3 ways.", "number")).toBe("42");
    expect(value("We get 12, then 17.", "number")).toBe("17");
    expect(value("\\boxed{256} (after 3 steps)", "number")).toBe("256");
    expect(value("First 3*4 = 12, then add 5 to get 17", "number")).toBe("17");
    expect(value("no single answer covers the 3 cases; we pick 5", "number")).toBe("5");
    expect(value("no digits", "number")).toBeUndefined();
  });

  it("normalises short text and refuses long text", () => {
    expect(extractAnswer("The Eiffel Tower!", "text")).toEqual({ kind: "text", value: "eiffel tower" });
    expect(value("  PARIS. ", "text")).toBe("paris");
    expect(value("After some thought, the answer is Paris.", "text")).toBe("paris");
    expect(value("This is a long explanation that goes on and on without ever stating a short answer", "text")).toBeUndefined();
    expect(value("The", "text")).toBeUndefined();
    // The word "answer" without "is"/":" states nothing.
    expect(value("There is no single short answer that captures all of them well enough", "text")).toBeUndefined();
  });

  it("auto: explicit choice, then number, then text", () => {
    expect(extractAnswer("Answer: B", "auto")).toEqual({ kind: "choice", value: "B" });
    expect(extractAnswer("The answer is 12", "auto")).toEqual({ kind: "number", value: "12" });
    expect(extractAnswer("Paris", "auto")).toEqual({ kind: "text", value: "paris" });
    // Not a letter answer: the article "A" and a mid-sentence "(B)" are not explicit.
    expect(extractAnswer("A cat", "auto")).toEqual({ kind: "text", value: "cat" });
    expect(extractAnswer("I think (B) is right", "auto")?.kind).toBe("text");
    // Long prose ending in an incidental number is not a numeric answer under auto, but is under number.
    const prose = "We looked at the records from the archive and the last entry was written in 1999";
    expect(extractAnswer(prose, "auto")).toBeUndefined();
    expect(value(prose, "number")).toBe("1999");
    expect(value("Adding them up gives a total weight of = 17", "auto")).toBe("17");
  });
});

describe("majorityVote", () => {
  it("weights votes and reports agreement, tally and the strongest matching text", () => {
    const result = majorityVote(
      [
        { expertId: "a", text: "The answer is 42.", weight: 0.2 },
        { expertId: "b", text: "41", weight: 0.35 },
        { expertId: "c", text: "answer: 42.0", weight: 0.3 },
        { expertId: "d", text: "I cannot say.", weight: 0.15 },
      ],
      "number",
    );
    expect(result?.winner).toEqual({ value: "42", text: "answer: 42.0", index: 2, expertIds: ["a", "c"], weight: 0.5 });
    // d extracts nothing: agreement is 0.5 / (0.5 + 0.35)
    expect(result?.agreement).toBeCloseTo(0.5 / 0.85, 10);
    expect(result?.tally).toEqual([
      { value: "42", weight: 0.5, expertIds: ["a", "c"] },
      { value: "41", weight: 0.35, expertIds: ["b"] },
    ]);
  });

  it("lets one heavy expert outvote two light ones", () => {
    const result = majorityVote(
      [
        { expertId: "a", text: "A", weight: 0.2 },
        { expertId: "b", text: "A", weight: 0.2 },
        { expertId: "c", text: "B", weight: 0.6 },
      ],
      "choice",
    );
    expect(result?.winner.value).toBe("B");
    expect(result?.agreement).toBeCloseTo(0.6, 10);
  });

  it("breaks weight ties by count, then by first appearance", () => {
    const byCount = majorityVote(
      [
        { expertId: "a", text: "B", weight: 0.5 },
        { expertId: "b", text: "C", weight: 0.25 },
        { expertId: "c", text: "C", weight: 0.25 },
      ],
      "choice",
    );
    expect(byCount?.winner.value).toBe("C");
    const byOrder = majorityVote(
      [
        { expertId: "a", text: "D", weight: 0.5 },
        { expertId: "b", text: "B", weight: 0.5 },
      ],
      "choice",
    );
    expect(byOrder?.winner).toMatchObject({ value: "D", expertIds: ["a"] });
    expect(byOrder?.agreement).toBe(0.5);
  });

  it("counts answers when every weight is zero", () => {
    const result = majorityVote(
      [
        { expertId: "a", text: "7", weight: 0 },
        { expertId: "b", text: "8", weight: 0 },
        { expertId: "c", text: "8", weight: 0 },
      ],
      "number",
    );
    expect(result?.winner.value).toBe("8");
    expect(result?.agreement).toBeCloseTo(2 / 3, 10);
  });

  it("returns null when nothing can be extracted", () => {
    expect(majorityVote([{ expertId: "a", text: "no digits here", weight: 1 }], "number")).toBeNull();
    expect(majorityVote([], "auto")).toBeNull();
  });
});

describe("answersAgree", () => {
  it("needs two or more answers that all extract to the same value", () => {
    expect(answersAgree(["The answer is B", "(B)", "b"], "choice")).toBe(true);
    expect(answersAgree(["42", "42.00", "the answer is 42"], "auto")).toBe(true);
    expect(answersAgree(["42"], "number")).toBe(false);
    expect(answersAgree(["42", "43"], "number")).toBe(false);
    expect(answersAgree(["42", "no idea at all, sorry, this is beyond me entirely today"], "auto")).toBe(false);
    // A lone lowercase letter is a choice too, so it matches a stated "A".
    expect(answersAgree(["Answer: A", "a"], "auto")).toBe(true);
    expect(answersAgree(["Paris", "paris!"], "auto")).toBe(true);
  });
});
