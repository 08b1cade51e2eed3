/**
 * `conclave batch --expected <file>` (what `npm run demo` runs): each question, the experts recruited,
 * the answer, the expected answer and whether it is right, then the score. Pure: rows are built from
 * the batch's own results and printed as text, so the wording is tested without a model.
 *
 * The expected answers live in a side file, one JSON object a line, `{"custom_id", "expected"}`, so
 * the batch input stays a plain batch file. An answer is graded as the profiler grades validation
 * lines (profile/grade.ts: exact strings, numbers by value). A line without an expected answer is
 * shown and left out of the score; an error counts as wrong.
 */
import type { InstanceOutcome } from "../../kernel/contracts.js";
import { ConclaveError } from "../../kernel/errors.js";
import { grade } from "../profile/grade.js";

export interface AnswerRow {
  id: string;
  question: string;
  /** The recruited experts; empty when routing abstained or the line failed. */
  experts: string[];
  abstained: boolean;
  /** The answer's text, or the error's code and message. */
  answer: string;
  failed: boolean;
  expected?: string;
  /** Undefined when no answer is expected for the line. */
  right?: boolean;
}

/** Reads `{"custom_id", "expected"}` lines; throws INVALID_REQUEST naming the line that is not one. */
export function parseExpectedAnswers(text: string, source: string): Map<string, string> {
  const expected = new Map<string, string>();
  text.split(/\r?\n/).forEach((raw, index) => {
    if (!raw.trim()) return;
    let line: unknown;
    try {
      line = JSON.parse(raw);
    } catch {
      throw new ConclaveError("INVALID_REQUEST", `${source} line ${index + 1}: not valid JSON`);
    }
    const { custom_id: id, expected: answer } = (line ?? {}) as { custom_id?: unknown; expected?: unknown };
    if (typeof id !== "string" || (typeof answer !== "string" && typeof answer !== "number")) {
      throw new ConclaveError("INVALID_REQUEST", `${source} line ${index + 1}: expected {"custom_id": string, "expected": string or number}`);
    }
    expected.set(id, String(answer));
  });
  return expected;
}

export function answerRow(id: string, question: string, result: { outcome: InstanceOutcome } | { error: { code: string; message: string } }, expected: string | undefined): AnswerRow {
  const base = { id, question, ...(expected === undefined ? {} : { expected }) };
  if ("error" in result) {
    return { ...base, experts: [], abstained: false, answer: `${result.error.code}: ${result.error.message}`, failed: true, ...(expected === undefined ? {} : { right: false }) };
  }
  const { outcome } = result;
  const answer = outcome.text.trim();
  return {
    ...base,
    experts: outcome.trace.recruitment.recruits.map((recruit) => recruit.expertId),
    abstained: outcome.trace.recruitment.abstain !== undefined,
    answer,
    failed: false,
    ...(expected === undefined ? {} : { right: grade(answer, { answer: expected }).correct }),
  };
}

/** One line for the question, one for who answered what; the score last. */
export function formatAnswerReport(rows: readonly AnswerRow[]): string {
  const lines: string[] = [];
  for (const row of rows) {
    const mark = row.right === undefined ? " " : row.right ? "✓" : "✗";
    lines.push(`${mark} ${row.id}  ${row.question}`);
    const who = row.failed ? "failed" : row.abstained && row.experts.length === 0 ? "routing abstained" : `experts ${row.experts.join(", ")}${row.abstained ? " (abstain fallback)" : ""}`;
    const answer = row.abstained && row.experts.length === 0 ? "(the abstain message)" : JSON.stringify(row.answer);
    const expected = row.expected === undefined ? "" : `  expected ${JSON.stringify(row.expected)}`;
    lines.push(`      ${who}  →  ${answer}${expected}`);
  }
  lines.push(formatScore(rows));
  return lines.join("\n");
}

export function formatScore(rows: readonly AnswerRow[]): string {
  const graded = rows.filter((row) => row.right !== undefined);
  const right = graded.filter((row) => row.right).length;
  const percent = graded.length === 0 ? 0 : Math.round((right / graded.length) * 100);
  const ungraded = rows.length - graded.length;
  return `score       ${right}/${graded.length} right (${percent}%)${ungraded ? `; ${ungraded} without an expected answer` : ""}`;
}
