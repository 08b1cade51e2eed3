/**
 * `conclave replay import <files...> --out rec.jsonl [--config-out conclave.yaml] [--no-prompts]`:
 * converts RouterBench CSV exports or JSONL recordings into the replay format (experts/replay), and
 * optionally writes a config with one replay expert per recorded model (ids made config-safe, the
 * recorded name kept as `model`) that vote; `conclave profile` then measures them, and `conclave eval
 * --profile` uses that profile.
 *
 * `conclave replay validation <file> --out val.jsonl`: the questions of a graded recordings file as a
 * validation set for `conclave profile` (answer = the reference letter the correct answers chose).
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, relative, resolve } from "node:path";
import { stringify } from "yaml";
import { ConclaveError } from "../../kernel/errors.js";
import { formatRecordings, importRecordings } from "../../experts/replay/import.js";
import type { RecordingLine } from "../../experts/replay/recordings.js";
import { readEvalSet, toValidationLines } from "../eval/dataset.js";

async function readInput(path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    throw new ConclaveError("REPLAY_RECORDINGS_INVALID", `${path}: cannot read: ${(error as Error).message}`, { cause: error });
  }
}

/** A config-safe expert id for a recorded model name ("meta/llama-2-70b-chat" -> "meta_llama-2-70b-chat"). */
export function expertIdFor(model: string): string {
  const id = model.replace(/[^A-Za-z0-9._:-]/g, "_").replace(/^[^A-Za-z0-9]+/, "");
  return id || "model";
}

export function replayConfig(models: readonly string[], recordings: readonly string[]): Record<string, unknown> {
  return {
    // Replay needs no model, so no GPU probing at start-up either.
    runtime: { gpu: false },
    experts: models.map((model) => ({ id: expertIdFor(model), backend: "replay", model, recordings: [...recordings] })),
    routing: { strategy: "symbolic", k: 3 },
    // Recorded LLMs differ in overall strength more than in skills: votes weigh their odds of being right.
    aggregation: { method: "vote", weighting: "competence" },
  };
}

export async function replayImportCommand(
  inputs: readonly string[],
  options: { out: string; configOut?: string; prompts: boolean },
  print: (text: string) => void,
): Promise<RecordingLine[]> {
  const lines: RecordingLine[] = [];
  for (const input of inputs) lines.push(...importRecordings(await readInput(input), input, { keepPrompts: options.prompts }));
  await mkdir(dirname(resolve(options.out)), { recursive: true });
  await writeFile(options.out, formatRecordings(lines));
  const models = [...new Set(lines.flatMap((line) => Object.keys(line.answers)))];
  print(`wrote ${lines.length} recorded prompts of ${models.length} models to ${options.out}`);
  if (options.configOut) {
    const recordings = relative(dirname(resolve(options.configOut)), resolve(options.out)) || options.out;
    await mkdir(dirname(resolve(options.configOut)), { recursive: true });
    await writeFile(options.configOut, `# Replay experts written by conclave replay import\n${stringify(replayConfig(models, [recordings]))}`);
    print(`wrote ${options.configOut} (${models.length} replay experts)`);
  }
  return lines;
}

export async function replayValidationCommand(input: string, options: { out: string }, print: (text: string) => void): Promise<void> {
  const { lines, skipped } = toValidationLines(await readEvalSet(input));
  await mkdir(dirname(resolve(options.out)), { recursive: true });
  await writeFile(options.out, lines.map((line) => `${line}\n`).join(""));
  print(`wrote ${lines.length} validation questions to ${options.out}${skipped ? ` (${skipped} skipped: no correct answer gives a reference letter or number)` : ""}`);
}
