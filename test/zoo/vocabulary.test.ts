import { describe, expect, it } from "vitest";
import { BOS, EOS, VOCAB_SIZE, decode, encode, zooVocabulary } from "../../zoo/vocabulary.js";

describe("zoo vocabulary", () => {
  it("encodes one token per ASCII character and decodes back", () => {
    const text = "Spell garden backwards.\n- nedrag";
    const ids = encode(text);
    expect(ids).toHaveLength(text.length);
    expect(decode(ids)).toBe(text);
    expect(ids).not.toContain(BOS);
    expect(ids).not.toContain(EOS);
  });

  it("falls back to bytes for other characters", () => {
    expect(decode(encode("naïve ✓"))).toBe("naïve ✓");
    expect(encode("ï")).toHaveLength(2);
  });

  it("every id is inside the vocabulary", () => {
    expect(zooVocabulary().tokens).toHaveLength(VOCAB_SIZE);
    for (const id of encode("~ !\n\u00ff")) expect(id).toBeLessThan(VOCAB_SIZE);
  });
});
