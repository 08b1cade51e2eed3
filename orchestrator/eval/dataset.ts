/**
 * A labelled test set for `conclave eval`, in the shared RouterBench form: one JSON line per question
 *   {"id", "prompt", "answers": {model: {"text", "correct", "cost"}}}
 * (any recordings file with `prompt` and recorded `correct` grades works). Each question also gets
 * its reference answer: the choice letter or number most of the correctly graded answers extract to
 * (vote.ts's extraction), which grades a final answer that is no expert's recorded text (a
 * synthesis) and makes the validation set for `conclave profile`. Free-text answers (code, essays)
 * have no reference: such questions are graded only by the recorded grades.
 *
 * Failure: EVAL_INVALID when the file cannot be read, a line is bad (file:line: reason) or a
 * question has no prompt (a prompt is what the pipeline is asked).
 */
import { readFile } from "node:fs/promises";
import { ConclaveError } from "../../kernel/errors.js";
import { parseRecordingLine, type RecordedAnswer } from "../../experts/replay/recordings.js";
import { extractAnswer } from "../aggregate/vote.js";

export interface Reference {
  kind: "choice" | "number";
  value: string;
}

export interface EvalItem {
  id: string;
  prompt: string;
  answers: Record<string, RecordedAnswer>;
  /** What the correct answers said, when it can be told. */
  reference?: Reference;
}

/** The most common value of one kind among the correct answers, if at least half of them give one. */
function mostCommon(texts: readonly string[], kind: Reference["kind"]): Reference | undefined {
  const counts = new Map<string, number>();
  for (const text of texts) {
    // Numbers by the vote's strict reading: a stated or final short number, not any digit in code or prose.
    const extracted = kind === "choice" ? extractAnswer(text, "choice") : extractAnswer(text, "auto");
    const value = extracted?.kind === kind ? extracted.value : undefined;
    if (value !== undefined) counts.set(value, (counts.get(value) ?? 0) + 1);
  }
  let best: string | undefined;
  for (const [value, count] of counts) if (best === undefined || count > counts.get(best)!) best = value;
  const given = [...counts.values()].reduce((a, b) => a + b, 0);
  return best !== undefined && given * 2 >= texts.length ? { kind, value: best } : undefined;
}

/**
 * What the answers graded correct say: their most common choice letter when most of them give one
 * (multiple choice), else their most common number (arithmetic), else nothing (free text).
 */
export function referenceAnswer(answers: Readonly<Record<string, RecordedAnswer>>): Reference | undefined {
  const correct = Object.values(answers).filter((a) => (a.correct ?? 0) >= 0.5).map((a) => a.text);
  if (correct.length === 0) return undefined;
  return mostCommon(correct, "choice") ?? mostCommon(correct, "number");
}

/** Whether a final text says the reference answer (the same extraction the vote uses). */
export function matchesReference(text: string, reference: Reference): boolean {
  return extractAnswer(text, reference.kind)?.value === reference.value;
}

export function parseEvalSet(text: string, file: string): EvalItem[] {
  const items: EvalItem[] = [];
  const seen = new Set<string>();
  text.split("\n").forEach((raw, index) => {
    if (raw.trim() === "") return;
    const where = `${file}:${index + 1}`;
    let line;
    try {
      line = parseRecordingLine(raw);
    } catch (error) {
      throw new ConclaveError("EVAL_INVALID", `${where}: ${(error as Error).message}`);
    }
    if (line.prompt === undefined) throw new ConclaveError("EVAL_INVALID", `${where}: a test question needs its "prompt"`);
    const id = line.id ?? String(index + 1);
    if (seen.has(id)) throw new ConclaveError("EVAL_INVALID", `${where}: duplicate id "${id}"`);
    seen.add(id);
    const reference = referenceAnswer(line.answers);
    items.push({ id, prompt: line.prompt, answers: line.answers, ...(reference === undefined ? {} : { reference }) });
  });
  if (items.length === 0) throw new ConclaveError("EVAL_INVALID", `${file}: no test question`);
  return items;
}

export async function readEvalSet(path: string): Promise<EvalItem[]> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (error as Error).message;
    throw new ConclaveError("EVAL_INVALID", `${path}: cannot read the test set: ${reason}`, { cause: error });
  }
  return parseEvalSet(text, path);
}

/** The same questions as a validation set for `conclave profile` (graded against the reference). */
export function toValidationLines(items: readonly EvalItem[]): { lines: string[]; skipped: number } {
  const lines: string[] = [];
  for (const item of items) {
    if (item.reference === undefined) continue;
    const { kind, value } = item.reference;
    lines.push(JSON.stringify({ id: item.id, question: item.prompt, answer: kind === "number" ? Number(value) : value, grade: kind }));
  }
  return { lines, skipped: items.length - lines.length };
}
