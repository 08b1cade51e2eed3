/**
 * A labelled test set for `conclave eval`, in the shared RouterBench form: one JSON line per question
 *   {"id", "prompt", "answers": {model: {"text", "correct", "cost"}}}
 * (any recordings file with `prompt` and recorded `correct` grades works). Each question also gets
 * its reference answer: the choice letter most of the correctly graded answers extract to (vote.ts's
 * extraction), which grades a final answer that is no expert's recorded text (a synthesis).
 *
 * Failure: EVAL_INVALID when the file cannot be read, a line is bad (file:line: reason) or a
 * question has no prompt (a prompt is what the pipeline is asked).
 */
import { readFile } from "node:fs/promises";
import { ConclaveError } from "../../kernel/errors.js";
import { parseRecordingLine, type RecordedAnswer } from "../../experts/replay/recordings.js";
import { extractAnswer } from "../aggregate/vote.js";

export interface EvalItem {
  id: string;
  prompt: string;
  answers: Record<string, RecordedAnswer>;
  /** The letter the correct answers chose, when one can be told. */
  reference?: string;
}

/** The most common choice letter among the answers graded correct (ties: the first seen). */
export function referenceAnswer(answers: Readonly<Record<string, RecordedAnswer>>): string | undefined {
  const counts = new Map<string, number>();
  for (const answer of Object.values(answers)) {
    if ((answer.correct ?? 0) < 0.5) continue;
    const letter = extractAnswer(answer.text, "choice")?.value;
    if (letter !== undefined) counts.set(letter, (counts.get(letter) ?? 0) + 1);
  }
  let best: string | undefined;
  for (const [letter, count] of counts) if (best === undefined || count > counts.get(best)!) best = letter;
  return best;
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

/** The same questions as a validation set for `conclave profile` (choice-graded against the reference). */
export function toValidationLines(items: readonly EvalItem[]): { lines: string[]; skipped: number } {
  const lines: string[] = [];
  for (const item of items) {
    if (item.reference === undefined) continue;
    lines.push(JSON.stringify({ id: item.id, question: item.prompt, answer: item.reference, grade: "choice" }));
  }
  return { lines, skipped: items.length - lines.length };
}
