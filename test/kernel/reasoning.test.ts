import { describe, expect, it } from "vitest";
import { ReasoningStream, splitReasoning } from "../../kernel/reasoning.js";

describe("splitReasoning", () => {
  it("separates a leading think block from the answer", () => {
    expect(splitReasoning("<think>s|s1a1s2</think>2")).toEqual({ reasoning: "s|s1a1s2", content: "2" });
    expect(splitReasoning("\n <think>hm</think>\n\nParis")).toEqual({ reasoning: "hm", content: "\n\nParis" });
  });

  it("leaves text without a leading block alone, tags in the middle included", () => {
    expect(splitReasoning("42")).toEqual({ content: "42" });
    expect(splitReasoning("Use <think> tags </think> like this")).toEqual({ content: "Use <think> tags </think> like this" });
  });

  it("treats a block cut off by the token budget as all reasoning", () => {
    expect(splitReasoning("<think>m0i0s1")).toEqual({ reasoning: "m0i0s1", content: "" });
  });
});

describe("ReasoningStream", () => {
  function run(pieces: string[]): { content: string; reasoning: string; events: string[] } {
    const events: string[] = [];
    let content = "";
    let reasoning = "";
    const stream = new ReasoningStream(
      (t) => ((content += t), events.push(`c:${t}`)),
      (t) => ((reasoning += t), events.push(`r:${t}`)),
    );
    for (const piece of pieces) stream.push(piece);
    stream.end();
    return { content, reasoning, events };
  }

  it("splits the same way as splitReasoning whatever the piece boundaries", () => {
    const texts = ["<think>s|s1a1s2</think>2", "  <think>a</think>b", "plain answer", "<think>never closed", "<thin", "</think>x", "<think></think>", "a<think>b</think>"];
    for (const text of texts) {
      const whole = splitReasoning(text);
      for (let size = 1; size <= 4; size++) {
        const pieces = text.match(new RegExp(`[\\s\\S]{1,${size}}`, "g")) ?? [];
        const got = run(pieces);
        expect({ text, size, content: got.content, reasoning: got.reasoning }).toEqual({ text, size, content: whole.content, reasoning: whole.reasoning ?? "" });
      }
    }
  });

  it("sends thinking out before the block closes, and holds back only a possible tag", () => {
    const { events } = run(["<think>abc</", "thi", "nk>4"]);
    expect(events).toEqual(["r:abc", "c:4"]);
    const early: string[] = [];
    const stream = new ReasoningStream(
      (t) => early.push(`c:${t}`),
      (t) => early.push(`r:${t}`),
    );
    stream.push("<think>m0");
    stream.push("i0<");
    expect(early).toEqual(["r:m0", "r:i0"]);
  });
});
