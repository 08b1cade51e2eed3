/**
 * Scores a single-label classifier against gold labels: accuracy, per-label precision/recall/F1,
 * macro-F1 and the most frequent confusions. Pure functions, no I/O.
 *
 * A gold entry may hold several labels (a multi-label line): a prediction is right when it is any
 * of them, and a wrong one is charged to the first. Macro-F1 averages F1 over every label that
 * occurs in the gold labels or the predictions (scikit-learn's default), so predicting a label that
 * never occurs costs that label an F1 of 0.
 */

export interface LabelScore {
  label: string;
  precision: number;
  recall: number;
  f1: number;
  /** Gold examples of this label. */
  support: number;
}

export interface Confusion {
  gold: string;
  predicted: string;
  count: number;
}

export interface ClassifierMetrics {
  examples: number;
  accuracy: number;
  macroF1: number;
  perLabel: LabelScore[];
  /** Off-diagonal cells, largest first (ties by label names). */
  confusions: Confusion[];
}

export function evaluateClassifier(gold: ReadonlyArray<string | readonly string[]>, predicted: readonly string[]): ClassifierMetrics {
  if (gold.length !== predicted.length) throw new Error(`evaluateClassifier: ${gold.length} gold labels but ${predicted.length} predictions`);
  const tp = new Map<string, number>();
  const fp = new Map<string, number>();
  const fn = new Map<string, number>();
  const support = new Map<string, number>();
  const confusions = new Map<string, Confusion>();
  const bump = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);
  let correct = 0;
  gold.forEach((entry, i) => {
    const labels = typeof entry === "string" ? [entry] : entry;
    const guess = predicted[i]!;
    // A right guess is scored as that label; a wrong one is charged to the first gold label.
    const truth = labels.includes(guess) ? guess : (labels[0] ?? "");
    bump(support, truth);
    if (!fp.has(guess)) fp.set(guess, 0);
    if (guess === truth) {
      correct += 1;
      bump(tp, truth);
      return;
    }
    bump(fp, guess);
    bump(fn, truth);
    const key = `${truth}\u0000${guess}`;
    const cell = confusions.get(key) ?? { gold: truth, predicted: guess, count: 0 };
    cell.count += 1;
    confusions.set(key, cell);
  });
  const labels = [...new Set([...support.keys(), ...fp.keys()])].sort();
  const perLabel = labels.map((label): LabelScore => {
    const t = tp.get(label) ?? 0;
    const p = t + (fp.get(label) ?? 0);
    const r = t + (fn.get(label) ?? 0);
    const precision = p > 0 ? t / p : 0;
    const recall = r > 0 ? t / r : 0;
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    return { label, precision, recall, f1, support: support.get(label) ?? 0 };
  });
  const macroF1 = perLabel.length > 0 ? perLabel.reduce((sum, s) => sum + s.f1, 0) / perLabel.length : 0;
  return {
    examples: gold.length,
    accuracy: gold.length > 0 ? correct / gold.length : 0,
    macroF1,
    perLabel,
    confusions: [...confusions.values()].sort(
      (a, b) => b.count - a.count || a.gold.localeCompare(b.gold) || a.predicted.localeCompare(b.predicted),
    ),
  };
}
