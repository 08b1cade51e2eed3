/**
 * The embedded batch executor: every instance of a batch is handed at once to the in-process engine
 * (the orchestrator, through the `BatchEngine` port), so the scheduler sees each expert's whole
 * backlog and loads each model once. Each result is appended to `<dir>/<batch>.results.jsonl` as it
 * finishes; reading keeps the first line per custom_id, so a restarted batch that re-runs unfinished
 * work never doubles a line.
 */
import { setMaxListeners } from "node:events";
import { appendFile, mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { BatchEngine } from "./engine.js";
import { toConclaveError } from "../kernel/errors.js";
import type { BatchExecutor, BatchProgressCounts, BatchResultLine, RoutedItem } from "./batch-executor.js";

export class EmbeddedExecutor implements BatchExecutor {
  readonly kind = "embedded" as const;
  private readonly running = new Map<string, { controller: AbortController; pending: number }>();
  /** Serialises appends per batch so lines never interleave. */
  private readonly writes = new Map<string, Promise<void>>();

  constructor(
    private readonly engine: BatchEngine,
    private readonly dir: string,
  ) {}

  private file(batchId: string): string {
    return join(this.dir, `${batchId}.results.jsonl`);
  }

  /** Outcome per custom_id, kept in memory so progress never re-reads the results file. */
  private readonly tallies = new Map<string, Map<string, boolean>>();

  private record(batchId: string, result: BatchResultLine): Promise<void> {
    const tally = this.tallies.get(batchId);
    if (tally && !tally.has(result.customId)) tally.set(result.customId, result.ok);
    const previous = this.writes.get(batchId) ?? Promise.resolve();
    const next = previous.then(() => appendFile(this.file(batchId), `${JSON.stringify(result)}\n`, { mode: 0o600 }));
    this.writes.set(batchId, next.catch(() => undefined));
    return next;
  }

  async enqueue(batchId: string, items: readonly RoutedItem[], model: string): Promise<void> {
    // Results hold prompts' answers: readable by the server's user only.
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const recorded = await this.results(batchId);
    this.tallies.set(batchId, new Map(recorded.map((r) => [r.customId, r.ok])));
    const done = new Set(recorded.map((r) => r.customId));
    const todo = items.filter((item) => !done.has(item.customId));
    const state = { controller: new AbortController(), pending: todo.length };
    // Every instance of the batch listens to this one signal: many listeners are expected.
    setMaxListeners(0, state.controller.signal);
    this.running.set(batchId, state);
    for (const item of todo) {
      void this.engine
        .answer(item.instance, { routed: item.routed, signal: state.controller.signal, workClass: "batch" })
        .then(
          (outcome) => this.record(batchId, { customId: item.customId, ok: true, line: this.engine.batchLines.success(item.customId, outcome, model, item.warnings) }),
          (error: unknown) => {
            const failure = toConclaveError(error);
            // A cancelled instance is neither completed nor failed: it is simply not in the output.
            // Nor is one cut off by shutdown: it runs again when the batch resumes.
            if ((failure.code === "ABORTED" && state.controller.signal.aborted) || failure.code === "CLOSED") return;
            return this.record(batchId, { customId: item.customId, ok: false, line: this.engine.batchLines.failure(item.customId, failure) });
          },
        )
        .finally(() => {
          state.pending -= 1;
        });
    }
  }

  async results(batchId: string): Promise<BatchResultLine[]> {
    await this.writes.get(batchId);
    const text = await readFile(this.file(batchId), "utf8").catch(() => "");
    const byId = new Map<string, BatchResultLine>();
    for (const raw of text.split("\n")) {
      if (!raw.trim()) continue;
      // A line torn by a crash mid-write is skipped; its instance is simply run again.
      try {
        const result = JSON.parse(raw) as BatchResultLine;
        if (!byId.has(result.customId)) byId.set(result.customId, result);
      } catch {
        continue;
      }
    }
    return [...byId.values()];
  }

  async counts(batchId: string): Promise<BatchProgressCounts> {
    const tally = this.tallies.get(batchId);
    if (tally) {
      const completed = [...tally.values()].filter(Boolean).length;
      return { completed, failed: tally.size - completed };
    }
    const results = await this.results(batchId);
    const completed = results.filter((r) => r.ok).length;
    return { completed, failed: results.length - completed };
  }

  async idle(batchId: string): Promise<boolean> {
    return (this.running.get(batchId)?.pending ?? 0) === 0;
  }

  async cancel(batchId: string): Promise<void> {
    this.running.get(batchId)?.controller.abort("batch cancelled");
  }

  async close(): Promise<void> {
    for (const state of this.running.values()) state.controller.abort("shutting down");
    await Promise.all(this.writes.values());
  }
}
