/**
 * Converts recorded answers into the replay format (recordings.ts), from two sources:
 *
 * - RouterBench's CSV: a `prompt` column, an id column (`sample_id`, else the row number) and, per
 *   model, `<model>` (the grade, 0..1), `<model>|model_response` (the text) and
 *   `<model>|total_cost` (US dollars). A model is any column that has a `|model_response` partner.
 * - JSONL of `{"id", "prompt", "answers": {model: {"text", "correct", "cost"}}}` (the form the shared
 *   RouterBench splits use): each line is re-keyed by its prompt hash.
 *
 * Output: recording lines, with the prompt kept unless `keepPrompts` is false (a hash is enough to
 * replay; leaving prompts out keeps private logs private). Failure: REPLAY_RECORDINGS_INVALID naming
 * the file and row, e.g. a CSV without a prompt column or a cost that is not a number.
 */
import { ConclaveError } from "../../kernel/errors.js";
import { parseCsv } from "./csv.js";
import { parseRecordings, promptHash, type RecordedAnswer, type RecordingLine } from "./recordings.js";

export interface ImportOptions {
  keepPrompts: boolean;
}

const RESPONSE = "|model_response";
const COST = "|total_cost";

function invalid(file: string, message: string): ConclaveError {
  return new ConclaveError("REPLAY_RECORDINGS_INVALID", `${file}: ${message}`);
}

function line(prompt: string, id: string | undefined, answers: Record<string, RecordedAnswer>, options: ImportOptions): RecordingLine {
  return { hash: promptHash(prompt), ...(id !== undefined ? { id } : {}), ...(options.keepPrompts ? { prompt } : {}), answers };
}

function numberOrUndefined(value: string | undefined, file: string, where: string): number | undefined {
  if (value === undefined || value.trim() === "" || value.trim().toLowerCase() === "nan") return undefined;
  const parsed = Number(value);
  if (!Number.isFinite(parsed)) throw invalid(file, `${where}: expected a number, got ${JSON.stringify(value)}`);
  return parsed;
}

export function importRouterBenchCsv(text: string, file: string, options: ImportOptions): RecordingLine[] {
  let rows: string[][];
  try {
    rows = parseCsv(text);
  } catch (error) {
    throw invalid(file, (error as Error).message);
  }
  const header = rows[0];
  if (!header) throw invalid(file, "empty file");
  const column = new Map(header.map((name, index) => [name.trim(), index]));
  const promptAt = column.get("prompt");
  if (promptAt === undefined) throw invalid(file, 'no "prompt" column');
  const idAt = column.get("sample_id");
  const models = [...column.keys()].filter((name) => name.endsWith(RESPONSE)).map((name) => name.slice(0, -RESPONSE.length));
  if (models.length === 0) throw invalid(file, `no "<model>${RESPONSE}" column`);
  return rows.slice(1).map((row, index) => {
    const where = `row ${index + 2}`;
    const prompt = row[promptAt];
    if (prompt === undefined || prompt.trim() === "") throw invalid(file, `${where}: empty prompt`);
    const answers: Record<string, RecordedAnswer> = {};
    for (const model of models) {
      const text = row[column.get(`${model}${RESPONSE}`)!];
      if (text === undefined) continue;
      const costAt = column.get(`${model}${COST}`);
      const gradeAt = column.get(model);
      const cost = costAt === undefined ? undefined : numberOrUndefined(row[costAt], file, `${where}, ${model}${COST}`);
      const correct = gradeAt === undefined ? undefined : numberOrUndefined(row[gradeAt], file, `${where}, ${model}`);
      answers[model] = { text, ...(cost === undefined ? {} : { cost }), ...(correct === undefined ? {} : { correct }) };
    }
    return line(prompt, idAt === undefined ? String(index + 1) : row[idAt], answers, options);
  });
}

export function importJsonl(text: string, file: string, options: ImportOptions): RecordingLine[] {
  return parseRecordings(text, file).map((parsed, index) => {
    if (parsed.prompt === undefined) return { hash: parsed.hash, ...(parsed.id ? { id: parsed.id } : {}), answers: parsed.answers };
    return line(parsed.prompt, parsed.id ?? String(index + 1), parsed.answers, options);
  });
}

/** Picks the reader by the file's extension: .csv, else JSONL. */
export function importRecordings(text: string, file: string, options: ImportOptions): RecordingLine[] {
  return file.toLowerCase().endsWith(".csv") ? importRouterBenchCsv(text, file, options) : importJsonl(text, file, options);
}

export function formatRecordings(lines: readonly RecordingLine[]): string {
  return lines.map((l) => JSON.stringify({ hash: l.hash, ...(l.id !== undefined ? { id: l.id } : {}), ...(l.prompt !== undefined ? { prompt: l.prompt } : {}), answers: l.answers })).join("\n") + "\n";
}
