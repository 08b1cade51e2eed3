/**
 * Recordings: what replay experts answer from. The format is JSON Lines, one prompt per line:
 *
 *   {"hash": "<sha256 hex of the normalised prompt>", "prompt"?: "...", "id"?: "...",
 *    "answers": {"<model>": {"text": "...", "cost"?: 0.00012, "correct"?: 1,
 *                            "usage"?: {"promptTokens": 512, "completionTokens": 3}}}}
 *
 * `hash` may be left out when `prompt` is given (it is then computed); other keys (RouterBench's
 * `task`) are ignored, so the shared RouterBench JSONL reads as it is. `cost` is in US dollars per
 * call; `correct` is the recorded grade (0..1), used only by `conclave eval`. The prompt is
 * normalised before hashing (`normalisePrompt`): Unicode NFC, CRLF -> LF, every whitespace run -> one
 * space, trimmed; so a prompt that differs only in spacing still finds its recording.
 *
 * Input: files. Output: a `Recordings` index by hash. Failure: REPLAY_RECORDINGS_INVALID naming the
 * file and line (a bad line is not skipped: a recording that silently vanished would be a wrong eval).
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { ConclaveError } from "../../kernel/errors.js";
import type { TokenUsage } from "../../kernel/contracts.js";

export interface RecordedAnswer {
  text: string;
  /** US dollars for this call, when recorded. */
  cost?: number;
  /** The recorded grade, 0..1, when known. */
  correct?: number;
  usage?: TokenUsage;
}

export interface RecordingLine {
  hash: string;
  prompt?: string;
  id?: string;
  answers: Record<string, RecordedAnswer>;
}

export function normalisePrompt(prompt: string): string {
  return prompt.normalize("NFC").replace(/\r\n?/g, "\n").replace(/\s+/g, " ").trim();
}

export function promptHash(prompt: string): string {
  return createHash("sha256").update(normalisePrompt(prompt)).digest("hex");
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

function parseAnswer(raw: unknown, where: string): RecordedAnswer {
  if (!isObject(raw) || typeof raw["text"] !== "string") throw new Error(`${where}: an answer needs a "text" string`);
  const answer: RecordedAnswer = { text: raw["text"] };
  const cost = raw["cost"];
  if (cost !== undefined && cost !== null) {
    if (typeof cost !== "number" || !Number.isFinite(cost) || cost < 0) throw new Error(`${where}.cost: expected a number >= 0`);
    answer.cost = cost;
  }
  const correct = raw["correct"];
  if (correct !== undefined && correct !== null) {
    if (typeof correct !== "number" || correct < 0 || correct > 1) throw new Error(`${where}.correct: expected a number in [0, 1]`);
    answer.correct = correct;
  }
  const usage = raw["usage"];
  if (isObject(usage) && typeof usage["promptTokens"] === "number" && typeof usage["completionTokens"] === "number") {
    answer.usage = { promptTokens: usage["promptTokens"], completionTokens: usage["completionTokens"] };
  }
  return answer;
}

/** One line of a recordings file; throws a plain Error whose message is the reason. */
export function parseRecordingLine(text: string): RecordingLine {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    throw new Error(`not valid JSON (${(cause as Error).message})`);
  }
  if (!isObject(raw)) throw new Error("must be a JSON object");
  const prompt = typeof raw["prompt"] === "string" ? raw["prompt"] : undefined;
  const hash = typeof raw["hash"] === "string" ? raw["hash"] : prompt !== undefined ? promptHash(prompt) : undefined;
  if (hash === undefined) throw new Error('give "hash" or "prompt"');
  if (!isObject(raw["answers"])) throw new Error('"answers" must be an object {model: {text, cost?, correct?}}');
  const answers: Record<string, RecordedAnswer> = {};
  for (const [model, answer] of Object.entries(raw["answers"])) answers[model] = parseAnswer(answer, `answers.${model}`);
  return { hash, ...(prompt !== undefined ? { prompt } : {}), ...(typeof raw["id"] === "string" ? { id: raw["id"] } : {}), answers };
}

export function parseRecordings(text: string, file: string): RecordingLine[] {
  const lines: RecordingLine[] = [];
  text.split("\n").forEach((raw, index) => {
    if (raw.trim() === "") return;
    try {
      lines.push(parseRecordingLine(raw));
    } catch (error) {
      throw new ConclaveError("REPLAY_RECORDINGS_INVALID", `${file}:${index + 1}: ${(error as Error).message}`);
    }
  });
  return lines;
}

/** Every recorded answer by prompt hash, then by model; later files win on a clash. */
export class Recordings {
  private constructor(
    readonly files: readonly string[],
    private readonly byHash: ReadonlyMap<string, Readonly<Record<string, RecordedAnswer>>>,
  ) {}

  static fromLines(lines: readonly RecordingLine[], files: readonly string[] = []): Recordings {
    const byHash = new Map<string, Record<string, RecordedAnswer>>();
    for (const line of lines) byHash.set(line.hash, { ...byHash.get(line.hash), ...line.answers });
    return new Recordings(files, byHash);
  }

  get size(): number {
    return this.byHash.size;
  }

  answer(hash: string, model: string): RecordedAnswer | undefined {
    const answers = this.byHash.get(hash);
    return answers && Object.hasOwn(answers, model) ? answers[model] : undefined;
  }

  /** The models with at least one recording. */
  models(): string[] {
    const models = new Set<string>();
    for (const answers of this.byHash.values()) for (const model of Object.keys(answers)) models.add(model);
    return [...models];
  }

  /** Mean recorded cost per call of a model (what routing expects it to cost), undefined when none is recorded. */
  meanCost(model: string): number | undefined {
    let sum = 0;
    let count = 0;
    for (const answers of this.byHash.values()) {
      const cost = Object.hasOwn(answers, model) ? answers[model]!.cost : undefined;
      if (cost !== undefined) {
        sum += cost;
        count += 1;
      }
    }
    return count > 0 ? sum / count : undefined;
  }
}

// Shared by every replay expert reading the same files: eleven experts over one 20 MB file parse it once.
const cache = new Map<string, Promise<Recordings>>();

export function loadRecordings(files: readonly string[]): Promise<Recordings> {
  const paths = files.map((file) => resolve(file));
  const key = paths.join("\n");
  let found = cache.get(key);
  if (!found) {
    found = (async () => {
      const lines: RecordingLine[] = [];
      for (const path of paths) {
        let text: string;
        try {
          text = await readFile(path, "utf8");
        } catch (error) {
          const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (error as Error).message;
          throw new ConclaveError("REPLAY_RECORDINGS_INVALID", `${path}: cannot read the recordings: ${reason}`, { cause: error });
        }
        lines.push(...parseRecordings(text, path));
      }
      return Recordings.fromLines(lines, paths);
    })();
    cache.set(key, found);
    // A failed read is not cached: the next attempt (a fixed path) reads again.
    found.catch(() => cache.delete(key));
  }
  return found;
}
