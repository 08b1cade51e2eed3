/**
 * Sparse TF-IDF features for the trained tagger: stemmed word unigrams and bigrams (the lexical
 * tagger's tokenizer, so stop words and number noise go the same way) plus character n-grams inside
 * word boundaries, which catch shared stems, affixes and technical tokens ("thermo", "ase ", "x^2")
 * that whole words miss on a few dozen examples per label.
 *
 * Each block (words, characters) is L2-normalised on its own and weighted, so long questions do not
 * drown short ones and neither block dominates by sheer feature count.
 */
import { terms } from "./text.js";

export interface FeatureSettings {
  /** Character n-gram lengths, inclusive; [0, 0] turns them off. */
  charNgrams: [number, number];
  /** Features seen in fewer training texts are dropped (rare n-grams are mostly noise and size). */
  minDf: number;
  /** Weight of the word block against the character block (each is unit length before weighting). */
  wordWeight: number;
  charWeight: number;
}

export interface SparseVector {
  index: Int32Array;
  value: Float64Array;
}

/** Where character n-grams stop: anything but letters, digits and math symbols. */
const CHAR_WORD_SPLIT = /[^\p{L}\p{N}^+\-*/=<>%$]+/u;

/** Raw feature counts of one text, keyed `w:` (words and word bigrams) and `c:` (character n-grams). */
export function rawFeatures(text: string, settings: Pick<FeatureSettings, "charNgrams">): Map<string, number> {
  const counts = new Map<string, number>();
  const add = (key: string) => counts.set(key, (counts.get(key) ?? 0) + 1);
  for (const term of terms(text)) add(`w:${term}`);
  const [low, high] = settings.charNgrams;
  if (low > 0) {
    for (const word of text.toLowerCase().split(CHAR_WORD_SPLIT)) {
      if (!word) continue;
      const padded = ` ${word} `;
      for (let n = low; n <= high; n += 1) {
        for (let i = 0; i + n <= padded.length; i += 1) add(`c:${padded.slice(i, i + n)}`);
      }
    }
  }
  return counts;
}

/** A fitted vocabulary: feature -> column, with its inverse document frequency. */
export class TfidfVocabulary {
  private readonly columns = new Map<string, number>();
  // For `encode`: columns keyed by the bare term or n-gram (no "w:"/"c:" string to build per
  // lookup), which block each column is in, and scratch counts reused across calls.
  private readonly wordColumns = new Map<string, number>();
  private readonly charColumns = new Map<string, number>();
  private readonly isWord: Uint8Array;
  private readonly counts: Int32Array;
  private readonly values: Float64Array;

  constructor(
    readonly features: readonly string[],
    readonly idf: Float64Array,
    readonly settings: FeatureSettings,
  ) {
    this.isWord = new Uint8Array(features.length);
    this.counts = new Int32Array(features.length);
    this.values = new Float64Array(features.length);
    features.forEach((feature, column) => {
      this.columns.set(feature, column);
      if (feature.startsWith("w:")) {
        this.isWord[column] = 1;
        this.wordColumns.set(feature.slice(2), column);
      } else if (feature.startsWith("c:")) this.charColumns.set(feature.slice(2), column);
    });
  }

  get size(): number {
    return this.features.length;
  }

  /** Keeps features in at least `minDf` texts; idf = ln((1 + n) / (1 + df)) + 1 (smoothed, never 0). */
  static fit(texts: readonly string[], settings: FeatureSettings): { vocabulary: TfidfVocabulary; raw: Array<Map<string, number>> } {
    const raw = texts.map((text) => rawFeatures(text, settings));
    const df = new Map<string, number>();
    for (const counts of raw) for (const feature of counts.keys()) df.set(feature, (df.get(feature) ?? 0) + 1);
    // Sorted so the same texts give the same columns whatever the map iteration order.
    const kept = [...df].filter(([, count]) => count >= settings.minDf).map(([feature]) => feature).sort();
    // Rounded to float32, the precision a saved tagger keeps, so fitted and reloaded vectors are identical.
    const idf = Float64Array.from(Float32Array.from(kept, (feature) => Math.log((1 + texts.length) / (1 + (df.get(feature) ?? 0))) + 1));
    return { vocabulary: new TfidfVocabulary(kept, idf, settings), raw };
  }

  /**
   * `vectorize(text)` without the intermediate map of every raw feature: counts go straight into
   * known columns, in the same first-seen order, so every sum runs in the same order and the result
   * is bit-for-bit the same (tested). The request path calls this; fitting uses `vectorize`.
   */
  encode(text: string): SparseVector {
    const { counts, values } = this;
    const touched: number[] = [];
    const count = (column: number | undefined) => {
      if (column === undefined) return;
      if (counts[column] === 0) touched.push(column);
      counts[column]! += 1;
    };
    for (const term of terms(text)) count(this.wordColumns.get(term));
    const [low, high] = this.settings.charNgrams;
    if (low > 0) {
      for (const word of text.toLowerCase().split(CHAR_WORD_SPLIT)) {
        if (!word) continue;
        const padded = ` ${word} `;
        for (let n = low; n <= high; n += 1) {
          for (let i = 0; i + n <= padded.length; i += 1) count(this.charColumns.get(padded.slice(i, i + n)));
        }
      }
    }
    let wordNorm = 0;
    let charNorm = 0;
    for (const column of touched) {
      const value = (1 + Math.log(counts[column]!)) * this.idf[column]!;
      counts[column] = 0;
      values[column] = value;
      if (this.isWord[column]) wordNorm += value * value;
      else charNorm += value * value;
    }
    const wordScale = wordNorm > 0 ? this.settings.wordWeight / Math.sqrt(wordNorm) : 0;
    const charScale = charNorm > 0 ? this.settings.charWeight / Math.sqrt(charNorm) : 0;
    const index = Int32Array.from(touched).sort();
    const value = new Float64Array(index.length);
    for (let k = 0; k < index.length; k += 1) value[k] = values[index[k]!]! * (this.isWord[index[k]!] ? wordScale : charScale);
    return { index, value };
  }

  /** Sublinear tf (1 + ln tf) x idf, each block unit length then weighted; unknown features are ignored. */
  vectorize(text: string, raw = rawFeatures(text, this.settings)): SparseVector {
    const entries: Array<[number, number, boolean]> = [];
    let wordNorm = 0;
    let charNorm = 0;
    for (const [feature, count] of raw) {
      const column = this.columns.get(feature);
      if (column === undefined) continue;
      const value = (1 + Math.log(count)) * this.idf[column]!;
      const isWord = feature.startsWith("w:");
      if (isWord) wordNorm += value * value;
      else charNorm += value * value;
      entries.push([column, value, isWord]);
    }
    const wordScale = wordNorm > 0 ? this.settings.wordWeight / Math.sqrt(wordNorm) : 0;
    const charScale = charNorm > 0 ? this.settings.charWeight / Math.sqrt(charNorm) : 0;
    entries.sort((a, b) => a[0] - b[0]);
    return {
      index: Int32Array.from(entries, (entry) => entry[0]),
      value: Float64Array.from(entries, ([, value, isWord]) => value * (isWord ? wordScale : charScale)),
    };
  }
}
