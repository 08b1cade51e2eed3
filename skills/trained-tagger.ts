/**
 * A model-free tagger fitted from labelled text: multinomial logistic regression (softmax) over
 * TF-IDF word unigrams+bigrams and character 3-5-grams (skills/text-features.ts), trained with
 * seeded AdaGrad SGD, so the same examples and settings always give the same model.
 *
 * Input: labelled examples (skills/labelled-examples.ts); labels are skill ids or categories, and a
 * catalog given at fit time maps a skill to its category for `classify`. Output: `tag(text)` (label
 * probabilities as skill scores, best first, within the tag limits) and `classify(text)` with the
 * same shape as `LexicalTagger.classify`: the category, its probability as confidence, the ranking.
 * A fitted tagger serialises to JSON (`version`, fit settings, vocabulary, weights as float32).
 * Failures: fitting with fewer than two labels, or loading a file that is not a tagger of this
 * version, raise CONFIG_INVALID naming the file and the problem.
 */
import { readFileSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import type { SkillTag } from "../kernel/contracts.js";
import { ConclaveError } from "../kernel/errors.js";
import { mulberry32 } from "../kernel/prng.js";
import type { SkillCatalog } from "./catalog.js";
import type { LabelledExample } from "./labelled-examples.js";
import { DEFAULT_TAG_LIMITS } from "./lexical-tagger.js";
import type { SkillTagger, TagLimits } from "./tagger.js";
import { type FeatureSettings, type SparseVector, TfidfVocabulary } from "./text-features.js";

export const TRAINED_TAGGER_VERSION = 1;

export interface TrainedTaggerSettings extends FeatureSettings {
  epochs: number;
  /** AdaGrad base step. */
  learningRate: number;
  /** L2 penalty on the weights a step touches. */
  l2: number;
  seed: number;
}

/** Chosen on MMLU subjects (bench/tagger.ts): see bench/results/tagger.json for the figures. */
export const DEFAULT_TRAINED_SETTINGS: TrainedTaggerSettings = {
  charNgrams: [3, 5],
  minDf: 1,
  wordWeight: 1,
  charWeight: 1,
  epochs: 15,
  learningRate: 0.1,
  l2: 1e-3,
  seed: 1,
};

export interface Classification {
  category: string;
  confidence: number;
  ranking: Array<{ category: string; score: number }>;
}

/** The JSON file. Weights are float32, little-endian, base64: one row of `labels.length` per feature. */
interface TrainedTaggerFile {
  version: number;
  kind: "conclave-trained-tagger";
  method: "softmax-regression";
  settings: TrainedTaggerSettings;
  trainedOn: { examples: number; source?: string };
  labels: string[];
  /** label -> category, for labels that a catalog mapped to a category other than themselves. */
  categories: Record<string, string>;
  features: string[];
  idf: string;
  weights: string;
  bias: string;
}

const toBase64 = (values: Float32Array) => Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString("base64");
function fromBase64(text: string, length: number, what: string, source: string): Float32Array {
  const bytes = Buffer.from(text, "base64");
  if (bytes.byteLength !== length * 4) invalid(source, `${what} holds ${bytes.byteLength} bytes, expected ${length} float32 numbers (${length * 4} bytes)`);
  const out = new Float32Array(length);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}

function unreadable(path: string, cause: unknown): ConclaveError {
  const missing = (cause as NodeJS.ErrnoException).code === "ENOENT";
  return new ConclaveError("CONFIG_INVALID", missing ? `trained tagger ${path} not found` : `cannot read trained tagger ${path}: ${(cause as Error).message}`, { cause });
}

function invalid(source: string, problem: string): never {
  throw new ConclaveError("CONFIG_INVALID", `trained tagger ${source}: ${problem}`);
}

/** scores[c] += Σ_k weights[index_k, c] x value_k, for feature-major weights (row per feature). */
function addScores(weights: Float64Array, x: SparseVector, scores: Float64Array): void {
  const classes = scores.length;
  for (let k = 0; k < x.index.length; k += 1) {
    const base = x.index[k]! * classes;
    const value = x.value[k]!;
    for (let c = 0; c < classes; c += 1) scores[c]! += weights[base + c]! * value;
  }
}

function softmaxInPlace(scores: Float64Array): void {
  let max = -Infinity;
  for (const s of scores) max = Math.max(max, s);
  let sum = 0;
  for (let c = 0; c < scores.length; c += 1) {
    scores[c] = Math.exp(scores[c]! - max);
    sum += scores[c]!;
  }
  for (let c = 0; c < scores.length; c += 1) scores[c]! /= sum;
}

export class TrainedTagger implements SkillTagger {
  private readonly limits: TagLimits;

  private constructor(
    readonly labels: readonly string[],
    private readonly categories: Readonly<Record<string, string>>,
    private readonly vocabulary: TfidfVocabulary,
    /** vocabulary.size rows of labels.length (feature-major), float32 values held as float64. */
    private readonly weights: Float64Array,
    private readonly bias: Float64Array,
    readonly settings: TrainedTaggerSettings,
    readonly trainedOn: { examples: number; source?: string },
    limits: Partial<TagLimits>,
  ) {
    this.limits = { ...DEFAULT_TAG_LIMITS, ...limits };
  }

  /** Fits on labelled examples; a multi-label line is a target spread evenly over its labels. */
  static fit(
    examples: readonly LabelledExample[],
    options: { settings?: Partial<TrainedTaggerSettings>; catalog?: SkillCatalog; source?: string; limits?: Partial<TagLimits> } = {},
  ): TrainedTagger {
    const settings: TrainedTaggerSettings = { ...DEFAULT_TRAINED_SETTINGS, ...options.settings };
    const labels = [...new Set(examples.flatMap((example) => example.labels))].sort();
    if (labels.length < 2) {
      invalid(options.source ?? "fit", `needs at least 2 labels to tell apart, got ${labels.length}${labels.length ? ` (${labels[0]})` : ""}`);
    }
    const labelIndex = new Map(labels.map((label, i) => [label, i]));
    const { vocabulary, raw } = TfidfVocabulary.fit(
      examples.map((example) => example.text),
      settings,
    );
    const vectors = examples.map((example, i) => vocabulary.vectorize(example.text, raw[i]));
    const targets = examples.map((example) => example.labels.map((label) => labelIndex.get(label)!));
    const { weights, bias } = train(vectors, targets, labels.length, vocabulary.size, settings);
    const categories: Record<string, string> = {};
    if (options.catalog) {
      for (const skill of options.catalog.skills) if (labelIndex.has(skill.id) && skill.category && skill.category !== skill.id) categories[skill.id] = skill.category;
    }
    const trainedOn = { examples: examples.length, ...(options.source ? { source: options.source } : {}) };
    return new TrainedTagger(labels, categories, vocabulary, weights, bias, settings, trainedOn, options.limits ?? {});
  }

  /** Label probabilities, best first (ties by label order). */
  probabilities(text: string): Array<{ label: string; probability: number }> {
    return this.ranked(this.scores(this.vocabulary.encode(text)));
  }

  private ranked(scores: Float64Array): Array<{ label: string; probability: number }> {
    return this.labels.map((label, c) => ({ label, probability: scores[c]! })).sort((a, b) => b.probability - a.probability);
  }

  private scores(x: SparseVector): Float64Array {
    const scores = Float64Array.from(this.bias);
    addScores(this.weights, x, scores);
    softmaxInPlace(scores);
    return scores;
  }

  categoryOf(label: string): string {
    return this.categories[label] ?? label;
  }

  tagSync(text: string, limits: TagLimits = this.limits): SkillTag[] {
    // One encoding serves both the no-known-feature check and the scores.
    const x = this.vocabulary.encode(text);
    if (x.index.length === 0) return [];
    return this.ranked(this.scores(x))
      .filter((entry) => entry.probability > 0 && entry.probability >= limits.minScore)
      .slice(0, Math.max(0, limits.maxSkills))
      .map(({ label, probability }) => ({ skill: label, score: probability }));
  }

  async tag(text: string): Promise<SkillTag[]> {
    return this.tagSync(text);
  }

  /**
   * The category with the most probability (a category's probability is the sum over its labels)
   * and that probability as confidence. Text with no known feature gets confidence 0, so the
   * category strategy hands it to the generalist instead of trusting the label prior.
   */
  classify(text: string): Classification {
    const x = this.vocabulary.encode(text);
    const scores = this.scores(x);
    const byCategory = new Map<string, number>();
    this.labels.forEach((label, c) => {
      const category = this.categoryOf(label);
      byCategory.set(category, (byCategory.get(category) ?? 0) + scores[c]!);
    });
    const ranking = [...byCategory].map(([category, score]) => ({ category, score })).sort((a, b) => b.score - a.score);
    const top = ranking[0]!;
    return { category: top.category, confidence: x.index.length > 0 ? top.score : 0, ranking };
  }

  toJSON(): TrainedTaggerFile {
    return {
      version: TRAINED_TAGGER_VERSION,
      kind: "conclave-trained-tagger",
      method: "softmax-regression",
      settings: this.settings,
      trainedOn: this.trainedOn,
      labels: [...this.labels],
      categories: { ...this.categories },
      features: [...this.vocabulary.features],
      idf: toBase64(Float32Array.from(this.vocabulary.idf)),
      weights: toBase64(Float32Array.from(this.weights)),
      bias: toBase64(Float32Array.from(this.bias)),
    };
  }

  async save(path: string): Promise<void> {
    await writeFile(path, `${JSON.stringify(this.toJSON())}\n`);
  }

  /** Rebuilds a tagger from `toJSON()` output; `source` names it in errors. */
  static fromJSON(input: unknown, source: string, limits: Partial<TagLimits> = {}): TrainedTagger {
    if (!input || typeof input !== "object" || Array.isArray(input)) invalid(source, "expected a JSON object");
    const file = input as Partial<TrainedTaggerFile>;
    if (file.kind !== "conclave-trained-tagger") invalid(source, 'not a trained tagger (missing kind "conclave-trained-tagger"); write one with `conclave skills fit`');
    if (file.version !== TRAINED_TAGGER_VERSION) invalid(source, `version ${String(file.version)} is not supported (expected ${TRAINED_TAGGER_VERSION}); refit it with \`conclave skills fit\``);
    if (file.method !== "softmax-regression") invalid(source, `unknown method ${JSON.stringify(file.method)}`);
    const { labels, features, settings } = file;
    if (!Array.isArray(labels) || labels.length < 2 || !labels.every((l) => typeof l === "string")) invalid(source, "labels must list at least 2 strings");
    if (!Array.isArray(features) || !features.every((f) => typeof f === "string")) invalid(source, "features must be a list of strings");
    if (!settings || typeof settings !== "object" || !Array.isArray(settings.charNgrams)) invalid(source, "settings are missing or incomplete");
    for (const key of ["idf", "weights", "bias"] as const) if (typeof file[key] !== "string") invalid(source, `${key} must be a base64 string`);
    const categories = file.categories && typeof file.categories === "object" ? file.categories : {};
    const merged: TrainedTaggerSettings = { ...DEFAULT_TRAINED_SETTINGS, ...settings };
    const idf = Float64Array.from(fromBase64(file.idf!, features.length, "idf", source));
    const weights = Float64Array.from(fromBase64(file.weights!, labels.length * features.length, "weights", source));
    const bias = Float64Array.from(fromBase64(file.bias!, labels.length, "bias", source));
    const trainedOn = file.trainedOn && typeof file.trainedOn.examples === "number" ? file.trainedOn : { examples: 0 };
    return new TrainedTagger(labels, categories, new TfidfVocabulary(features, idf, merged), weights, bias, merged, trainedOn, limits);
  }

  static async load(path: string, limits: Partial<TagLimits> = {}): Promise<TrainedTagger> {
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (cause) {
      throw unreadable(path, cause);
    }
    return TrainedTagger.parse(text, path, limits);
  }

  /** For start-up wiring that is synchronous (the router); same checks and errors as `load`. */
  static loadSync(path: string, limits: Partial<TagLimits> = {}): TrainedTagger {
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (cause) {
      throw unreadable(path, cause);
    }
    return TrainedTagger.parse(text, path, limits);
  }

  private static parse(text: string, path: string, limits: Partial<TagLimits>): TrainedTagger {
    let input: unknown;
    try {
      input = JSON.parse(text);
    } catch (cause) {
      throw new ConclaveError("CONFIG_INVALID", `trained tagger ${path}: not valid JSON (${(cause as Error).message})`, { cause });
    }
    return TrainedTagger.fromJSON(input, path, limits);
  }
}

/**
 * Softmax regression by AdaGrad SGD over seeded shuffles. The L2 penalty is applied to the weights
 * each example touches (the usual sparse shortcut). Weights end rounded to float32, the precision
 * they are saved in, so a saved and reloaded tagger predicts exactly as the fitted one.
 */
function train(
  vectors: readonly SparseVector[],
  targets: ReadonlyArray<readonly number[]>,
  classes: number,
  size: number,
  settings: TrainedTaggerSettings,
): { weights: Float64Array; bias: Float64Array } {
  const weights = new Float64Array(classes * size);
  const bias = new Float64Array(classes);
  const gradSq = new Float64Array(classes * size);
  const biasSq = new Float64Array(classes);
  const random = mulberry32(settings.seed);
  const order = vectors.map((_, i) => i);
  const probs = new Float64Array(classes);
  const { learningRate: rate, l2 } = settings;
  for (let epoch = 0; epoch < settings.epochs; epoch += 1) {
    for (let i = order.length - 1; i > 0; i -= 1) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    for (const n of order) {
      const x = vectors[n]!;
      const wanted = targets[n]!;
      probs.set(bias);
      addScores(weights, x, probs);
      softmaxInPlace(probs);
      for (const c of wanted) probs[c]! -= 1 / wanted.length;
      for (let c = 0; c < classes; c += 1) {
        const error = probs[c]!;
        biasSq[c]! += error * error;
        bias[c]! -= (rate * error) / Math.sqrt(biasSq[c]! + 1e-8);
      }
      for (let k = 0; k < x.index.length; k += 1) {
        const base = x.index[k]! * classes;
        const value = x.value[k]!;
        for (let c = 0; c < classes; c += 1) {
          const at = base + c;
          const grad = probs[c]! * value + l2 * weights[at]!;
          gradSq[at]! += grad * grad;
          weights[at]! -= (rate * grad) / Math.sqrt(gradSq[at]! + 1e-8);
        }
      }
    }
  }
  return { weights: Float64Array.from(Float32Array.from(weights)), bias: Float64Array.from(Float32Array.from(bias)) };
}
