import { describe, expect, it } from "vitest";
import { stem, terms, tokenize } from "../../skills/text.js";

describe("text", () => {
  it("folds plurals and verb endings onto one stem", () => {
    const same = (words: string[]) => expect(new Set(words.map(stem)).size, words.join("/")).toBe(1);
    same(["equation", "equations"]);
    same(["translate", "translated", "translating", "translates"]);
    same(["study", "studies", "studied"]);
    same(["run", "running"]);
    same(["box", "boxes"]);
    same(["add", "adding", "added"]);
  });

  it("leaves words it cannot safely shorten", () => {
    expect(stem("string")).toBe("string");
    expect(stem("analysis")).toBe("analysis");
    expect(stem("class")).toBe("class");
    expect(stem("sql")).toBe("sql");
  });

  it("lowercases, splits on punctuation, drops stop words and folds numbers", () => {
    expect(tokenize("What is the Median of 3, 9 and 12?")).toEqual(["median", "#num", "#num", "#num"]);
    expect(tokenize("Solve for x: 2x+1=5")).toEqual(["solv", "x", "2x", "#num", "#num"]);
    expect(tokenize("")).toEqual([]);
  });

  it("adds adjacent bigrams after the unigrams", () => {
    expect(terms("normal distributions in python")).toEqual(["normal", "distribution", "python", "normal distribution", "distribution python"]);
  });
});
