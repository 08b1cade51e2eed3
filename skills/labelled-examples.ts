/**
 * Labelled text for fitting and evaluating a trained tagger, one JSON object per line:
 * `{"text": "...", "label": "..."}` or `{"text": "...", "skills": ["...", ...]}` (a multi-label line
 * counts towards each of its labels). Blank lines are skipped.
 *
 * Input: a JSONL file (or its text and a name for messages). Output: the examples with their line
 * numbers. Failure: INVALID_REQUEST naming `file:line` and the reason for the first bad line.
 */
import { readFile } from "node:fs/promises";
import { ConclaveError } from "../kernel/errors.js";

export interface LabelledExample {
  text: string;
  /** One or more labels (skill ids or categories), deduplicated, in the line's order. */
  labels: string[];
  /** 1-based line number in the source, for messages. */
  line: number;
}

function bad(source: string, line: number, reason: string): ConclaveError {
  return new ConclaveError("INVALID_REQUEST", `${source}:${line}: ${reason}`);
}

function labelsOf(value: Record<string, unknown>, source: string, line: number): string[] {
  const { label, skills } = value;
  if (label !== undefined && skills !== undefined) throw bad(source, line, 'give "label" or "skills", not both');
  const raw: unknown[] = label !== undefined ? [label] : Array.isArray(skills) ? skills : [];
  if (label === undefined && skills === undefined) throw bad(source, line, 'missing "label" (a string) or "skills" (a list of strings)');
  if (skills !== undefined && !Array.isArray(skills)) throw bad(source, line, '"skills" must be a list of strings');
  const labels: string[] = [];
  for (const item of raw) {
    if (typeof item !== "string" || !item.trim()) throw bad(source, line, "every label must be a non-empty string");
    const trimmed = item.trim();
    if (!labels.includes(trimmed)) labels.push(trimmed);
  }
  if (labels.length === 0) throw bad(source, line, '"skills" must not be empty');
  return labels;
}

/** Parses JSONL text; `source` (a path or a label) prefixes every error. */
export function parseLabelledExamples(content: string, source: string): LabelledExample[] {
  const examples: LabelledExample[] = [];
  content.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    if (!raw.trim()) return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (cause) {
      throw bad(source, line, `not valid JSON (${(cause as Error).message})`);
    }
    if (!value || typeof value !== "object" || Array.isArray(value)) throw bad(source, line, "expected a JSON object");
    const record = value as Record<string, unknown>;
    if (typeof record["text"] !== "string" || !record["text"].trim()) throw bad(source, line, '"text" must be a non-empty string');
    examples.push({ text: record["text"], labels: labelsOf(record, source, line), line });
  });
  return examples;
}

export async function readLabelledExamples(path: string): Promise<LabelledExample[]> {
  let content: string;
  try {
    content = await readFile(path, "utf8");
  } catch (cause) {
    const missing = (cause as NodeJS.ErrnoException).code === "ENOENT";
    throw new ConclaveError("INVALID_REQUEST", missing ? `${path} not found` : `cannot read ${path}: ${(cause as Error).message}`, { cause });
  }
  return parseLabelledExamples(content, path);
}

/** Examples per label (a multi-label line counts once for each of its labels), most frequent first. */
export function labelCounts(examples: readonly LabelledExample[]): Array<{ label: string; count: number }> {
  const counts = new Map<string, number>();
  for (const example of examples) for (const label of example.labels) counts.set(label, (counts.get(label) ?? 0) + 1);
  return [...counts].map(([label, count]) => ({ label, count })).sort((a, b) => b.count - a.count || a.label.localeCompare(b.label));
}
