/**
 * `conclave skills fit` and `conclave skills eval`: fit the trained tagger from labelled JSONL
 * (skills/labelled-examples.ts) and score a fitted tagger on another file. Neither needs a model or
 * the orchestrator.
 *
 * fit prints the examples per label and the fit time; eval prints accuracy, macro-F1, per-label F1
 * (when there are few labels), the most confused pairs, and as its last line one JSON object
 * `{"accuracy": ..., "macro_f1": ...}` for scripts. Failures: a bad example line (INVALID_REQUEST,
 * `file:line: reason`), fewer than two labels or a bad tagger file (CONFIG_INVALID).
 */
import { loadSkillCatalog } from "../../skills/catalog.js";
import { evaluateClassifier } from "../../skills/classifier-metrics.js";
import { labelCounts, readLabelledExamples } from "../../skills/labelled-examples.js";
import { TrainedTagger } from "../../skills/trained-tagger.js";

type Print = (line: string) => void;

/** Per-label lines are only useful while they fit on a screen. */
const PER_LABEL_MAX = 20;
const CONFUSIONS_SHOWN = 5;

const pct = (value: number) => `${(value * 100).toFixed(1)}%`;

export async function skillsFitCommand(options: { examples: string; out: string; catalog?: string }, print: Print): Promise<void> {
  const examples = await readLabelledExamples(options.examples);
  const catalog = options.catalog ? await loadSkillCatalog(options.catalog) : undefined;
  const counts = labelCounts(examples);
  print(`${examples.length} examples, ${counts.length} labels (${options.examples})`);
  for (const { label, count } of counts) print(`  ${label.padEnd(32)} ${String(count).padStart(6)}`);
  const started = performance.now();
  const tagger = TrainedTagger.fit(examples, { source: options.examples, ...(catalog ? { catalog } : {}) });
  const seconds = (performance.now() - started) / 1000;
  await tagger.save(options.out);
  print(`fitted in ${seconds.toFixed(2)} s: ${tagger.toJSON().features.length} features; wrote ${options.out}`);
}

export async function skillsEvalCommand(options: { tagger: string; examples: string }, print: Print): Promise<void> {
  const tagger = await TrainedTagger.load(options.tagger);
  const examples = await readLabelledExamples(options.examples);
  // Scored on labels, the tagger's own vocabulary: classify() may merge labels into categories.
  const predicted = examples.map((example) => tagger.probabilities(example.text)[0]!.label);
  const metrics = evaluateClassifier(
    examples.map((example) => example.labels),
    predicted,
  );
  const known = new Set(tagger.labels);
  const unknown = [...new Set(examples.flatMap((example) => example.labels).filter((label) => !known.has(label)))];
  print(`${examples.length} examples (${options.examples}), tagger ${options.tagger} with ${tagger.labels.length} labels`);
  if (unknown.length > 0) print(`note: ${unknown.length} label(s) the tagger was not fitted on, always counted wrong: ${unknown.slice(0, 5).join(", ")}${unknown.length > 5 ? ", ..." : ""}`);
  print(`accuracy  ${pct(metrics.accuracy)}`);
  print(`macro-F1  ${pct(metrics.macroF1)}`);
  if (metrics.perLabel.length <= PER_LABEL_MAX) {
    print("label                            precision  recall      F1  support");
    for (const s of metrics.perLabel) {
      print(`${s.label.padEnd(32)} ${pct(s.precision).padStart(9)} ${pct(s.recall).padStart(7)} ${pct(s.f1).padStart(7)} ${String(s.support).padStart(8)}`);
    }
  }
  const confused = metrics.confusions.slice(0, CONFUSIONS_SHOWN);
  print(confused.length > 0 ? "most confused (gold -> predicted):" : "no confusions");
  for (const c of confused) print(`  ${c.gold} -> ${c.predicted}: ${c.count}`);
  print(JSON.stringify({ accuracy: metrics.accuracy, macro_f1: metrics.macroF1 }));
}
