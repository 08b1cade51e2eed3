/**
 * The request path's `encode` must give exactly what `vectorize` gives (the path the tagger was
 * fitted and evaluated with): same columns, bit-for-bit the same values, so tags never change.
 */
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { DEFAULT_TRAINED_SETTINGS, TrainedTagger } from "../../skills/trained-tagger.js";
import { TfidfVocabulary } from "../../skills/text-features.js";

const root = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));

async function texts(path: string, field: string): Promise<string[]> {
  const lines = (await readFile(root(path), "utf8")).split("\n").filter((l) => l.trim());
  return lines.map((l) => (JSON.parse(l) as Record<string, string>)[field]!);
}

const ODD = ["", "   ", "ÉCOLE Straße naïve café", "x^2 + 3x = -5 <= 10% $5", "aaaa aaaa aaaa", "日本語のテキスト", "What is 47 plus 38?", "running running runs ran"];

function expectSame(vocabulary: TfidfVocabulary, text: string): void {
  const a = vocabulary.encode(text);
  const b = vocabulary.vectorize(text);
  expect(Array.from(a.index)).toEqual(Array.from(b.index));
  // Object.is per value: bit-for-bit, not within a tolerance.
  expect(Array.from(a.value).every((v, i) => Object.is(v, b.value[i]))).toBe(true);
}

describe("TfidfVocabulary.encode", () => {
  it("equals vectorize on the zoo's tagger vocabulary", async () => {
    const file = JSON.parse(await readFile(root("zoo/tagger.json"), "utf8")) as { features: string[]; idf: string; settings: typeof DEFAULT_TRAINED_SETTINGS };
    const bytes = Buffer.from(file.idf, "base64");
    const idf = Float64Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, file.features.length));
    const vocabulary = new TfidfVocabulary(file.features, idf, { ...DEFAULT_TRAINED_SETTINGS, ...file.settings });
    const all = [...(await texts("zoo/data/test.jsonl", "question")), ...(await texts("bench/data/mmlu-subjects/test.jsonl", "text")).slice(0, 200), ...ODD];
    for (const text of all) expectSame(vocabulary, text);
    // Repeated calls reuse scratch space: the second call must not see the first's counts.
    expectSame(vocabulary, all[0]!);
    expectSame(vocabulary, all[0]!);
  });

  it("equals vectorize on a vocabulary fitted from MMLU subjects, and the tagger tags alike", async () => {
    const train = (await texts("bench/data/mmlu-subjects/train.jsonl", "text")).slice(0, 300);
    const { vocabulary } = TfidfVocabulary.fit(train, DEFAULT_TRAINED_SETTINGS);
    const test = [...(await texts("bench/data/mmlu-subjects/test.jsonl", "text")), ...ODD];
    for (const text of test) expectSame(vocabulary, text);

    const tagger = await TrainedTagger.load(root("zoo/tagger.json"));
    const text = "What is the sum of 53 and 12?";
    expect(tagger.tagSync(text).map((t) => t.skill)[0]).toBe("addition");
    expect(tagger.tagSync("zzzz qqqq")).toEqual([]);
  });
});
