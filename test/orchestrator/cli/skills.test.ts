/**
 * `conclave skills fit` then `conclave skills eval` through the in-process CLI: the eval's last line
 * is one JSON object whose figures equal those computed directly from the saved tagger.
 */
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { evaluateClassifier } from "../../../skills/classifier-metrics.js";
import { readLabelledExamples } from "../../../skills/labelled-examples.js";
import { TrainedTagger } from "../../../skills/trained-tagger.js";
import { runCli } from "../../helpers/cli.js";

const jsonl = (rows: Array<[string, string]>) => rows.map(([text, label]) => JSON.stringify({ text, label })).join("\n");

const TRAIN: Array<[string, string]> = [
  ["Solve for x in 3x + 5 = 20", "math"],
  ["Factor the polynomial x^2 - 5x + 6", "math"],
  ["What is the derivative of x^3?", "math"],
  ["Find the integral of 2x from 0 to 3", "math"],
  ["Simplify the fraction 12/18", "math"],
  ["Which enzyme digests starch in the mouth?", "biology"],
  ["How do mitochondria produce ATP?", "biology"],
  ["What do ribosomes do in protein synthesis?", "biology"],
  ["How do chloroplasts perform photosynthesis?", "biology"],
  ["What organelle holds the DNA of a eukaryotic cell?", "biology"],
  ["Write a SQL query joining orders and customers", "sql"],
  ["Select rows from the users table where age > 30", "sql"],
  ["Create an index on a database column", "sql"],
  ["Group sales by region with a SQL query", "sql"],
  ["Delete duplicate rows from a table", "sql"],
];

const TEST: Array<[string, string]> = [
  ["Solve the equation 2x - 4 = 10", "math"],
  ["What is the integral of x^2?", "math"],
  ["How do cells make ATP in mitochondria?", "biology"],
  ["Which enzyme breaks down proteins?", "biology"],
  ["Write a query joining the customers table", "sql"],
  ["Count rows per region in a SQL table", "sql"],
  ["What is the capital of France?", "geography"],
];

async function files() {
  const dir = await mkdtemp(join(tmpdir(), "conclave-skills-cli-"));
  const train = join(dir, "train.jsonl");
  const test = join(dir, "test.jsonl");
  await writeFile(train, jsonl(TRAIN));
  await writeFile(test, jsonl(TEST));
  return { dir, train, test, tagger: join(dir, "tagger.json") };
}

describe("conclave skills", () => {
  it("fits a tagger, then evaluates it ending with one JSON line of accuracy and macro_f1", async () => {
    const { train, test, tagger } = await files();
    const fit = await runCli(["skills", "fit", "--examples", train, "--out", tagger]);
    expect(fit.code, fit.stderr).toBe(0);
    expect(fit.stdout).toMatch(/15 examples, 3 labels/);
    expect(fit.stdout).toMatch(/biology\s+5/);
    expect(fit.stdout).toMatch(/fitted in \d+\.\d+ s/);

    const evaluated = await runCli(["skills", "eval", "--tagger", tagger, "--examples", test]);
    expect(evaluated.code, evaluated.stderr).toBe(0);
    const lines = evaluated.stdout.trimEnd().split("\n");
    const last = JSON.parse(lines.at(-1)!) as { accuracy: number; macro_f1: number };
    expect(Object.keys(last)).toEqual(["accuracy", "macro_f1"]);
    expect(last.accuracy).toBeGreaterThanOrEqual(0);
    expect(last.accuracy).toBeLessThanOrEqual(1);
    expect(last.macro_f1).toBeGreaterThanOrEqual(0);
    expect(last.macro_f1).toBeLessThanOrEqual(1);

    const loaded = await TrainedTagger.load(tagger);
    const examples = await readLabelledExamples(test);
    const expected = evaluateClassifier(
      examples.map((e) => e.labels),
      examples.map((e) => loaded.probabilities(e.text)[0]!.label),
    );
    expect(last).toEqual({ accuracy: expected.accuracy, macro_f1: expected.macroF1 });
    // The geography line can never be right, so the figures are not trivially perfect.
    expect(last.accuracy).toBeLessThan(1);
    expect(evaluated.stdout).toMatch(/note: 1 label\(s\) the tagger was not fitted on/);
    expect(evaluated.stdout).toMatch(/label\s+precision\s+recall\s+F1\s+support/);
    expect(evaluated.stdout).toMatch(/most confused \(gold -> predicted\):\n {2}geography -> /);
  });

  it("reports a bad line as file:line and refuses a single label", async () => {
    const { dir, tagger } = await files();
    const bad = join(dir, "bad.jsonl");
    await writeFile(bad, `${jsonl(TRAIN.slice(0, 2))}\n{"text": "no label here"}\n`);
    const badLine = await runCli(["skills", "fit", "--examples", bad, "--out", tagger]);
    expect(badLine.code).toBe(1);
    expect(badLine.stderr).toMatch(/error \[INVALID_REQUEST\]: .*bad\.jsonl:3: missing "label"/);

    const one = join(dir, "one.jsonl");
    await writeFile(one, jsonl(TRAIN.slice(0, 3)));
    const single = await runCli(["skills", "fit", "--examples", one, "--out", tagger]);
    expect(single.code).toBe(2);
    expect(single.stderr).toMatch(/one\.jsonl: needs at least 2 labels to tell apart, got 1 \(math\)/);
  });

  it("refuses a file that is not a tagger", async () => {
    const { dir, test } = await files();
    const notTagger = join(dir, "profile.json");
    await writeFile(notTagger, JSON.stringify({ version: 1, experts: {} }));
    const result = await runCli(["skills", "eval", "--tagger", notTagger, "--examples", test]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/error \[CONFIG_INVALID\]: trained tagger .*profile\.json: not a trained tagger/);
  });
});
