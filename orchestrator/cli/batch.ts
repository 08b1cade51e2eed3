/**
 * `conclave batch in.jsonl -o out.jsonl`: routes every line, runs the work grouped by expert and
 * writes one output line per input line, in input order. Bad lines become error lines; the batch goes
 * on. Ends with a summary (instances, loads per model, wall time, peak RSS), optionally as JSON.
 * With `expected` (a side file of expected answers, answer-report.ts), it first prints each question,
 * its experts, its answer against the expected one, and the score.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { resourceUsage } from "node:process";
import { SingleBar, Presets } from "cli-progress";
import { isConclaveError, toConclaveError } from "../../kernel/errors.js";
import type { Orchestrator } from "../orchestrator.js";
import { customIdOf, errorLine, parseBatchLine, successLine, type BatchLine } from "../batch/lines.js";
import { formatSummary, type BatchSummary } from "./format.js";
import { answerRow, formatAnswerReport, parseExpectedAnswers } from "./answer-report.js";
import { routingText } from "../pipeline.js";

export interface BatchCommandOptions {
  input: string;
  output: string;
  summary?: string;
  perInstanceLoading: boolean;
  progress: boolean;
  model: string;
  /** JSONL of {custom_id, expected}: print each answer against it, and the score. */
  expected?: string;
}

export async function runBatchCommand(orchestrator: Orchestrator, options: BatchCommandOptions, print: (text: string) => void): Promise<BatchSummary> {
  const text = await readFile(options.input, "utf8");
  // Read before any model runs, so a bad answers file fails fast.
  const expected = options.expected ? parseExpectedAnswers(await readFile(options.expected, "utf8"), options.expected) : undefined;
  // Every input line gets exactly one output slot, valid or not, so output order matches input order.
  const slots: string[] = [];
  const valid: Array<{ slot: number; line: BatchLine }> = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    try {
      const line = parseBatchLine(raw, index + 1);
      if (line) valid.push({ slot: slots.push("") - 1, line });
    } catch (error) {
      const failure = isConclaveError(error) ? error : toConclaveError(error, "BATCH_LINE_INVALID");
      slots.push(errorLine(customIdOf(raw), failure));
    }
  });

  const bar = new SingleBar({ format: "batch |{bar}| {value}/{total} instances · {eta_formatted} left", noTTYOutput: true, notTTYSchedule: 2000, stream: process.stderr }, Presets.shades_classic);
  if (options.progress) bar.start(valid.length, 0);
  const started = performance.now();
  const spentBefore = orchestrator.spending.byExpert();
  const results = await orchestrator.runBatch(
    valid.map(({ line }) => ({ instance: line.instance, ...(line.model && line.model !== options.model ? { expertId: line.model } : {}) })),
    { perInstanceLoading: options.perInstanceLoading, onProgress: ({ done }) => options.progress && bar.update(done) },
  );
  const wallMs = performance.now() - started;
  if (options.progress) bar.stop();

  let failed = slots.filter((s) => s !== "").length;
  results.forEach((result, index) => {
    const slot = valid[index]!.slot;
    if ("outcome" in result) slots[slot] = successLine(result.id, result.outcome, options.model, valid[index]!.line.warnings);
    else {
      failed += 1;
      slots[slot] = errorLine(result.id, result.error);
    }
  });
  await mkdir(dirname(options.output), { recursive: true });
  await writeFile(options.output, slots.map((line) => `${line}\n`).join(""));

  if (expected) {
    print(formatAnswerReport(results.map((result, index) => answerRow(result.id, routingText(valid[index]!.line.instance.messages), result, expected.get(result.id)))));
    print("");
  }
  const stats = orchestrator.stats();
  const summary: BatchSummary = {
    instances: slots.length,
    succeeded: slots.length - failed,
    failed,
    loads: Object.fromEntries(Object.entries(stats.experts).map(([id, e]) => [id, e.loads])),
    wallMs: Math.round(wallMs),
    // maxRSS is in KiB; it covers the whole process, models included (mmap'd pages that were touched).
    peakRssBytes: resourceUsage().maxRSS * 1024,
    mode: options.perInstanceLoading ? "per-instance" : "grouped",
    costUsd: costSince(spentBefore, orchestrator.spending.byExpert()),
  };
  print(formatSummary(summary));
  if (options.summary) await mkdir(dirname(options.summary), { recursive: true });
  if (options.summary) await writeFile(options.summary, `${JSON.stringify(summary, null, 2)}\n`);
  return summary;
}

/** What the batch spent: the ledger's growth per expert while it ran. */
function costSince(before: Record<string, number>, after: Record<string, number>): NonNullable<BatchSummary["costUsd"]> {
  const byExpert: Record<string, number> = {};
  for (const [id, usd] of Object.entries(after)) if (usd - (before[id] ?? 0) > 0) byExpert[id] = usd - (before[id] ?? 0);
  return { total: Object.values(byExpert).reduce((a, b) => a + b, 0), byExpert };
}
