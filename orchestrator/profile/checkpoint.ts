/**
 * The profiling checkpoint: one JSON line per finished piece of work (a question's tags, an expert's
 * answer, a candidate aggregator's synthesis), appended as soon as it finishes, so a run killed at
 * any point resumes without redoing it.
 *
 * Every record carries `key`, a hash of exactly what produced it (messages, parameters, expert): a
 * record whose key no longer matches (the question or the settings changed) is simply not reused.
 * A kill can tear the last line; `open` ignores it and cuts it off, so the next append starts on a
 * fresh line. Appends are serialised; `flush()` waits for them.
 */
import { createHash } from "node:crypto";
import { appendFile, mkdir, readFile, truncate } from "node:fs/promises";
import { dirname } from "node:path";

export type CheckpointRecord =
  | { phase: "tags"; question: string; key: string; skills: string[] }
  | { phase: "answer" | "synthesis"; question: string; expert: string; set?: number; key: string; text?: string; error?: { code: string; message: string } };

/** The slot a record fills: the same slot with the same key is the same work. */
export function slotOf(record: Pick<CheckpointRecord, "phase" | "question"> & { expert?: string; set?: number }): string {
  return JSON.stringify([record.phase, record.question, record.set ?? null, record.expert ?? null]);
}

/** A short stable hash of anything JSON-serialisable. */
export function workKey(value: unknown): string {
  return createHash("sha256").update(JSON.stringify(value)).digest("hex").slice(0, 16);
}

/** Parses a checkpoint's text; the torn tail (anything after the last newline) and bad lines are skipped. */
export function parseCheckpoint(text: string): { records: CheckpointRecord[]; validBytes: number } {
  const end = text.lastIndexOf("\n") + 1;
  const records: CheckpointRecord[] = [];
  for (const line of text.slice(0, end).split("\n")) {
    if (line.trim() === "") continue;
    try {
      const record = JSON.parse(line) as CheckpointRecord;
      if (record && typeof record === "object" && typeof record.key === "string" && typeof record.question === "string") records.push(record);
    } catch {
      // A line cut by a kill in the middle of a write: the work it stood for is simply redone.
    }
  }
  return { records, validBytes: Buffer.byteLength(text.slice(0, end)) };
}

export class Checkpoint {
  private readonly done = new Map<string, CheckpointRecord>();
  private writes: Promise<void> = Promise.resolve();
  private failure: unknown;

  private constructor(readonly path: string) {}

  static async open(path: string): Promise<Checkpoint> {
    const checkpoint = new Checkpoint(path);
    let text = "";
    try {
      text = await readFile(path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
    const { records, validBytes } = parseCheckpoint(text);
    if (validBytes < Buffer.byteLength(text)) await truncate(path, validBytes);
    for (const record of records) checkpoint.done.set(slotOf(record), record);
    await mkdir(dirname(path), { recursive: true });
    return checkpoint;
  }

  /** The finished record for this slot, if it was produced by the same work (same key). */
  find(slot: Parameters<typeof slotOf>[0], key: string): CheckpointRecord | undefined {
    const record = this.done.get(slotOf(slot));
    return record?.key === key ? record : undefined;
  }

  get size(): number {
    return this.done.size;
  }

  append(record: CheckpointRecord): void {
    this.done.set(slotOf(record), record);
    const line = `${JSON.stringify(record)}\n`;
    this.writes = this.writes.then(() => appendFile(this.path, line)).catch((error: unknown) => void (this.failure ??= error));
  }

  /** Waits for every append; rethrows the first write failure (a checkpoint that silently stopped would lie). */
  async flush(): Promise<void> {
    await this.writes;
    if (this.failure !== undefined) throw this.failure;
  }
}
