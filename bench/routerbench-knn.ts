/**
 * The k-nearest-neighbour router (RouterBench's simplest learned router), as the baseline conclave's
 * routing must beat. Embedding-free: TF-IDF over the prompt's words (sublinear tf, idf from train,
 * L2-normalised), cosine similarity. Fitted on the train split only. For a test prompt, each model's
 * expected accuracy is its mean recorded grade over the K nearest train prompts; the router picks the
 * model with the best expected accuracy − λ x cost / max cost (costs: each model's mean train cost).
 * K is fixed (not tuned on test). Pure, apart from its inputs.
 */
import type { RecordedAnswer } from "../experts/replay/recordings.js";

export interface KnnItem {
  prompt: string;
  answers: Record<string, RecordedAnswer>;
}

export const KNN_K = 10;

const words = (text: string) => text.toLowerCase().match(/[a-z0-9]+/g) ?? [];

type Vector = Map<number, number>;

export class KnnRouter {
  private readonly vocabulary = new Map<string, number>();
  private readonly idf: number[] = [];
  private readonly vectors: Vector[];
  readonly models: string[];
  readonly meanCost: Record<string, number>;

  constructor(private readonly train: readonly KnnItem[], private readonly k = KNN_K) {
    const df = new Map<string, number>();
    for (const item of train) for (const w of new Set(words(item.prompt))) df.set(w, (df.get(w) ?? 0) + 1);
    for (const [w, count] of df) {
      this.vocabulary.set(w, this.idf.length);
      this.idf.push(Math.log((1 + train.length) / (1 + count)) + 1);
    }
    this.vectors = train.map((item) => this.vectorise(item.prompt));
    this.models = [...new Set(train.flatMap((item) => Object.keys(item.answers)))].sort();
    this.meanCost = Object.fromEntries(
      this.models.map((m) => {
        const costs = train.map((item) => item.answers[m]?.cost).filter((c): c is number => c !== undefined);
        return [m, costs.reduce((a, b) => a + b, 0) / Math.max(1, costs.length)];
      }),
    );
  }

  private vectorise(text: string): Vector {
    const tf = new Map<number, number>();
    for (const w of words(text)) {
      const index = this.vocabulary.get(w);
      if (index !== undefined) tf.set(index, (tf.get(index) ?? 0) + 1);
    }
    const vector: Vector = new Map();
    let norm = 0;
    for (const [index, count] of tf) {
      const value = (1 + Math.log(count)) * this.idf[index]!;
      vector.set(index, value);
      norm += value * value;
    }
    norm = Math.sqrt(norm) || 1;
    for (const [index, value] of vector) vector.set(index, value / norm);
    return vector;
  }

  /** Each model's expected accuracy on a prompt: the mean grade over its K nearest train prompts. */
  expectedAccuracy(prompt: string): Record<string, number> {
    const query = this.vectorise(prompt);
    const scored = this.vectors.map((vector, index) => {
      let dot = 0;
      for (const [i, value] of query) dot += value * (vector.get(i) ?? 0);
      return { index, dot };
    });
    scored.sort((a, b) => b.dot - a.dot || a.index - b.index);
    const nearest = scored.slice(0, this.k).map((s) => this.train[s.index]!);
    return Object.fromEntries(this.models.map((m) => [m, nearest.reduce((sum, item) => sum + (item.answers[m]?.correct ?? 0), 0) / nearest.length]));
  }

  /** The model with the best expected accuracy − λ x normalised cost (ties: the cheaper). */
  choose(expected: Readonly<Record<string, number>>, lambda: number): string {
    const maxCost = Math.max(...Object.values(this.meanCost)) || 1;
    let best = this.models[0]!;
    let bestScore = Number.NEGATIVE_INFINITY;
    for (const m of this.models) {
      const score = expected[m]! - (lambda * this.meanCost[m]!) / maxCost;
      if (score > bestScore || (score === bestScore && this.meanCost[m]! < this.meanCost[best]!)) {
        best = m;
        bestScore = score;
      }
    }
    return best;
  }
}

/** Accuracy and cost per question of the router at each λ on test, from the recorded answers. */
export function evaluateKnn(router: KnnRouter, test: readonly KnnItem[], lambdas: readonly number[]): Array<{ lambda: number; accuracy: number; costPerQuestion: number }> {
  const expected = test.map((item) => router.expectedAccuracy(item.prompt));
  return lambdas.map((lambda) => {
    let correct = 0;
    let cost = 0;
    test.forEach((item, i) => {
      const model = router.choose(expected[i]!, lambda);
      correct += item.answers[model]?.correct ?? 0;
      cost += item.answers[model]?.cost ?? 0;
    });
    return { lambda, accuracy: correct / test.length, costPerQuestion: cost / test.length };
  });
}
