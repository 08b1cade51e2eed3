/**
 * Skill tagger benchmark: the trained tagger (skills/trained-tagger.ts) against the baseline, a
 * TF-IDF nearest-centroid classifier (stemmed word unigrams+bigrams, sublinear tf, cosine to each
 * label's mean vector), fitted and scored on the same real exam questions: MMLU subjects, ~25
 * training questions each (bench/data/mmlu-subjects, see its README). Prints accuracy, macro-F1 and
 * fit time side by side for the fixed train/test split, then for a stratified k-fold
 * cross-validation over train+test (more test questions, same ~25 per subject to learn from), and
 * writes the figures to bench/results/tagger.json.
 *
 *   npm run bench -- tagger [--train FILE] [--test FILE] [--folds 4] [--no-write]
 */
import { mkdir, writeFile } from "node:fs/promises";
import { cpus, loadavg } from "node:os";
import { evaluateClassifier } from "../skills/classifier-metrics.js";
import { type LabelledExample, readLabelledExamples } from "../skills/labelled-examples.js";
import { terms } from "../skills/text.js";
import { TrainedTagger } from "../skills/trained-tagger.js";
import { normalise, type Vector } from "../skills/lexical-tagger.js";
import { arg } from "./args.js";


/** The baseline: TF-IDF nearest centroid over word unigrams and bigrams. */
export class CentroidClassifier {
  private readonly idf = new Map<string, number>();
  private readonly centroids: Array<{ label: string; vector: Vector }> = [];

  constructor(examples: readonly LabelledExample[]) {
    const docs = examples.map((example) => this.counts(example.text));
    const df = new Map<string, number>();
    for (const doc of docs) for (const term of doc.keys()) df.set(term, (df.get(term) ?? 0) + 1);
    for (const [term, count] of df) this.idf.set(term, Math.log((1 + docs.length) / (1 + count)) + 1);
    const sums = new Map<string, Vector>();
    examples.forEach((example, i) => {
      const vector = this.weigh(docs[i]!);
      for (const label of example.labels) {
        const sum = sums.get(label) ?? new Map<string, number>();
        for (const [term, value] of vector) sum.set(term, (sum.get(term) ?? 0) + value);
        sums.set(label, sum);
      }
    });
    for (const [label, sum] of [...sums].sort(([a], [b]) => a.localeCompare(b))) this.centroids.push({ label, vector: normalise(sum) });
  }

  private counts(text: string): Map<string, number> {
    const counts = new Map<string, number>();
    for (const term of terms(text)) counts.set(term, (counts.get(term) ?? 0) + 1);
    return counts;
  }

  private weigh(counts: Map<string, number>): Vector {
    const vector: Vector = new Map();
    for (const [term, count] of counts) {
      const idf = this.idf.get(term);
      if (idf !== undefined) vector.set(term, (1 + Math.log(count)) * idf);
    }
    return normalise(vector);
  }

  predict(text: string): string {
    const query = this.weigh(this.counts(text));
    let best = this.centroids[0]!;
    let bestScore = -1;
    for (const centroid of this.centroids) {
      let dot = 0;
      for (const [term, value] of query) dot += value * (centroid.vector.get(term) ?? 0);
      if (dot > bestScore) [best, bestScore] = [centroid, dot];
    }
    return best.label;
  }
}

interface Row {
  method: string;
  accuracy: number;
  macroF1: number;
  fitSeconds: number;
  /** CPU time of the fit: unlike wall time, barely moved by other work on the machine. */
  fitCpuSeconds: number;
}

function score(name: string, fit: () => (text: string) => string, test: readonly LabelledExample[]): Row {
  const started = performance.now();
  const cpu = process.cpuUsage();
  const predict = fit();
  const fitSeconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  const fitCpuSeconds = (used.user + used.system) / 1e6;
  const metrics = evaluateClassifier(
    test.map((example) => example.labels),
    test.map((example) => predict(example.text)),
  );
  return { method: name, accuracy: metrics.accuracy, macroF1: metrics.macroF1, fitSeconds, fitCpuSeconds };
}

function compare(train: readonly LabelledExample[], test: readonly LabelledExample[]): Row[] {
  return [
    score("TF-IDF nearest centroid (baseline)", () => {
      const model = new CentroidClassifier(train);
      return (text) => model.predict(text);
    }, test),
    score("trained tagger (softmax regression)", () => {
      const model = TrainedTagger.fit(train);
      return (text) => model.classify(text).category;
    }, test),
  ];
}

/** Stratified folds: each label's examples dealt round-robin in file order, so folds are reproducible. */
function folds(examples: readonly LabelledExample[], k: number): LabelledExample[][] {
  const out: LabelledExample[][] = Array.from({ length: k }, () => []);
  const seen = new Map<string, number>();
  for (const example of examples) {
    const label = example.labels[0]!;
    const n = seen.get(label) ?? 0;
    seen.set(label, n + 1);
    out[n % k]!.push(example);
  }
  return out;
}

function mean(rows: Row[][], index: number): Row {
  const pick = rows.map((r) => r[index]!);
  const avg = (f: (row: Row) => number) => pick.reduce((sum, row) => sum + f(row), 0) / pick.length;
  return {
    method: pick[0]!.method,
    accuracy: avg((r) => r.accuracy),
    macroF1: avg((r) => r.macroF1),
    fitSeconds: avg((r) => r.fitSeconds),
    fitCpuSeconds: avg((r) => r.fitCpuSeconds),
  };
}

function print(title: string, rows: Row[]): void {
  console.log(`\n${title}`);
  console.log("method                                 accuracy  macro-F1   fit s  fit cpu s");
  for (const row of rows) {
    const cells = [row.accuracy.toFixed(3).padStart(8), row.macroF1.toFixed(3).padStart(8), row.fitSeconds.toFixed(2).padStart(6), row.fitCpuSeconds.toFixed(2).padStart(9)];
    console.log(`${row.method.padEnd(38)} ${cells.join("  ")}`);
  }
}

export async function benchTagger(): Promise<void> {
  const trainPath = arg("train", "bench/data/mmlu-subjects/train.jsonl");
  const testPath = arg("test", "bench/data/mmlu-subjects/test.jsonl");
  const k = Number(arg("folds", "4"));
  const train = await readLabelledExamples(trainPath);
  const test = await readLabelledExamples(testPath);
  const labels = new Set(train.flatMap((e) => e.labels));
  console.log(`data: ${train.length} training and ${test.length} test questions, ${labels.size} labels (${trainPath}, ${testPath})`);

  const split = compare(train, test);
  print(`fixed split: fit on ${train.length}, score on ${test.length}`, split);

  const all = [...train, ...test];
  const parts = folds(all, k);
  // Each fold's training part is the other k-1 parts; with k=4 that is ~75% of ~32 questions per label.
  const runs = parts.map((held, i) => compare(parts.filter((_, j) => j !== i).flat(), held));
  const cv = [mean(runs, 0), mean(runs, 1)];
  print(`${k}-fold cross-validation over all ${all.length} questions (mean of folds)`, cv);

  if (process.argv.includes("--no-write")) return;
  const result = {
    benchmark: "tagger",
    date: new Date().toISOString().slice(0, 10),
    // Fit times depend on what else the machine runs: the 1-minute load average at the end says how busy it was.
    machine: { cpu: cpus()[0]?.model ?? "unknown", cores: cpus().length, node: process.version, loadAverage: Number(loadavg()[0]!.toFixed(2)) },
    data: { source: "bench/data/mmlu-subjects (MMLU questions via MMLU-Redux, see its README)", train: train.length, test: test.length, labels: labels.size },
    split,
    crossValidation: { folds: k, examples: all.length, rows: cv },
  };
  await mkdir("bench/results", { recursive: true });
  await writeFile("bench/results/tagger.json", `${JSON.stringify(result, null, 2)}\n`);
  console.log("\nwrote bench/results/tagger.json");
}
