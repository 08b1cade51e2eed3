/**
 * The Batch API's lifecycle, in OpenAI's shapes, over a batch executor (embedded or BullMQ):
 *
 *   validating  - every line of the input file is parsed and routed; a bad line becomes an error
 *                 line at once and never runs (it fails alone, without retry);
 *   in_progress - the routed instances are queued at once, so the executor groups them by expert;
 *   finalizing  - the output and error files are written, one line per custom_id, in input order;
 *   completed | cancelled | expired | failed (an empty or unreadable input file).
 *
 * Progress lives with the executor (a results file, or Redis), so a restarted server picks its
 * unfinished batches up again: `start()` re-queues what has no result yet and nothing is doubled.
 *
 * Files and batches belong to the key that made them (`Principal.owner`, recorded on disk, so it
 * survives restarts). Every call on behalf of a caller takes its principal: another owner's file or
 * batch answers FILE_NOT_FOUND / BATCH_NOT_FOUND, exactly as an id that does not exist; lists hold
 * the caller's own only; admin principals see and cancel everything.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { BatchExecutor, BatchResultLine, RoutedItem } from "../../queues/batch-executor.js";
import { customIdOf, errorLine, parseBatchLine } from "../batch/lines.js";
import { ConclaveError, isConclaveError, toConclaveError } from "../../kernel/errors.js";
import type { Orchestrator } from "../orchestrator.js";
import { ANONYMOUS, type Principal } from "../principal.js";
import { FileStore, fileNotFound, publicFile, writeAtomic, type FileObject, type StoredFile } from "./files.js";
import { BatchRecords, batchNotFound, newBatch, now, publicBatch, TERMINAL, type BatchObject, type BatchStatus, type StoredBatch } from "./records.js";

export const BATCH_ENDPOINT = "/v1/chat/completions";
const TICK_MS = 250;

interface ActiveBatch {
  total: number;
  invalid: BatchResultLine[];
  /** custom_ids in input order (invalid lines included), for ordered output. */
  order: string[];
  /** Set when the batch is bound to end cancelled or expired; saved so a restart keeps the intent. */
  final: "cancelled" | "expired" | undefined;
}

export interface BatchServiceEvents {
  /** Called after every change of a batch that is still running (progress bars, metrics). */
  onChange?: (batch: BatchObject) => void;
}

export class BatchService {
  readonly files: FileStore;
  readonly records: BatchRecords;
  private readonly active = new Map<string, ActiveBatch>();
  /** One read-change-write at a time per batch: cancel, the progress loop and preparation never interleave. */
  private readonly locks = new Map<string, Promise<unknown>>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly orchestrator: Orchestrator,
    readonly executor: BatchExecutor,
    private readonly events: BatchServiceEvents = {},
  ) {
    const root = orchestrator.config.batches.dir;
    this.files = new FileStore(root);
    this.records = new BatchRecords(root);
  }

  private locked<T>(id: string, step: () => Promise<T>): Promise<T> {
    const run = (this.locks.get(id) ?? Promise.resolve()).then(step, step);
    const settled = run.catch(() => undefined);
    this.locks.set(id, settled);
    void settled.then(() => {
      if (this.locks.get(id) === settled) this.locks.delete(id);
    });
    return run;
  }

  private get model(): string {
    return this.orchestrator.config.server.ensemble;
  }

  /** Resumes batches a previous process left unfinished, and starts the progress loop. */
  async start(): Promise<void> {
    for (const batch of await this.records.all()) {
      if (TERMINAL.has(batch.status)) continue;
      void this.prepare(batch);
    }
    this.timer = setInterval(() => void this.tick(), TICK_MS);
    this.timer.unref();
  }

  /** Whether `principal` may see what `owner` made. */
  private static sees(principal: Principal, owner: string): boolean {
    return principal.admin || principal.owner === owner;
  }

  async uploadFile(filename: string, content: Buffer, principal: Principal = ANONYMOUS): Promise<FileObject> {
    return publicFile(await this.files.create(filename, "batch", content, principal.owner));
  }

  private async ownFile(id: string, principal: Principal): Promise<StoredFile> {
    const file = await this.files.get(id);
    if (!BatchService.sees(principal, file.owner)) throw fileNotFound(id);
    return file;
  }

  async file(id: string, principal: Principal = ANONYMOUS): Promise<FileObject> {
    return publicFile(await this.ownFile(id, principal));
  }

  async fileContent(id: string, principal: Principal = ANONYMOUS): Promise<Buffer> {
    await this.ownFile(id, principal);
    return this.files.content(id);
  }

  private async ownBatch(id: string, principal: Principal): Promise<StoredBatch> {
    const batch = await this.records.get(id);
    if (!BatchService.sees(principal, batch.owner)) throw batchNotFound(id);
    return batch;
  }

  async create(body: unknown, principal: Principal = ANONYMOUS): Promise<BatchObject> {
    const input = (typeof body === "object" && body !== null ? body : {}) as Record<string, unknown>;
    const inputFileId = input["input_file_id"];
    if (typeof inputFileId !== "string") throw invalid("input_file_id must be a file id", "input_file_id");
    if (input["endpoint"] !== BATCH_ENDPOINT) throw invalid(`endpoint must be ${BATCH_ENDPOINT}`, "endpoint");
    if (input["completion_window"] !== "24h") throw invalid('completion_window must be "24h"', "completion_window");
    const metadata = input["metadata"];
    if (metadata != null && (typeof metadata !== "object" || Object.values(metadata).some((v) => typeof v !== "string"))) {
      throw invalid("metadata must map strings to strings", "metadata");
    }
    const file = await this.ownFile(inputFileId, principal);
    if (file.purpose !== "batch") throw invalid(`file ${file.id} has purpose ${file.purpose}, not batch`, "input_file_id");
    const batch = newBatch({
      // An admin creating from another key's file makes a batch of its own.
      owner: principal.owner,
      inputFileId,
      endpoint: BATCH_ENDPOINT,
      completionWindow: "24h",
      windowHours: this.orchestrator.config.batches.completionWindowHours,
      metadata: (metadata as Record<string, string> | null | undefined) ?? null,
    });
    await this.records.save(batch);
    void this.prepare(batch);
    return publicBatch(batch);
  }

  async get(id: string, principal: Principal = ANONYMOUS): Promise<BatchObject> {
    return publicBatch(await this.ownBatch(id, principal));
  }

  list(after: string | undefined, limit: number, principal: Principal = ANONYMOUS) {
    return this.records.list(after, limit, (batch) => BatchService.sees(principal, batch.owner));
  }

  async cancel(id: string, principal: Principal = ANONYMOUS): Promise<BatchObject> {
    // Checked before the lock too, so another owner cannot even queue behind the batch's lock.
    await this.ownBatch(id, principal);
    return this.locked(id, async () => {
      const batch = await this.ownBatch(id, principal);
      if (batch.status === "cancelling" || batch.status === "cancelled") return publicBatch(batch);
      if (TERMINAL.has(batch.status) || batch.status === "finalizing") {
        throw invalid(`batch ${id} is ${batch.status} and cannot be cancelled`, "batch_id");
      }
      await this.executor.cancel(id);
      return publicBatch(await this.update(batch, { status: "cancelling", cancelling_at: now() }));
    });
  }

  /** Parses and routes the input file, records bad lines, and queues the rest. */
  private async prepare(batch: StoredBatch): Promise<void> {
    try {
      if (batch.status === "finalizing" || batch.status === "cancelling") {
        this.active.set(batch.id, await this.loadState(batch.id));
        return;
      }
      const text = (await this.files.content(batch.input_file_id)).toString("utf8");
      const items: RoutedItem[] = [];
      const invalidLines: BatchResultLine[] = [];
      const order: string[] = [];
      const seen = new Set<string>();
      const lines = text.split(/\r?\n/);
      for (const [index, raw] of lines.entries()) {
        if (!raw.trim()) continue;
        const lineNo = index + 1;
        try {
          const line = parseBatchLine(raw, lineNo);
          if (!line) continue;
          const customId = line.instance.id;
          if (seen.has(customId)) throw new ConclaveError("BATCH_LINE_INVALID", `line ${lineNo}: custom_id ${customId} is not unique in the batch`, { param: "custom_id" });
          seen.add(customId);
          order.push(customId);
          const expertId = line.model && line.model !== this.model ? line.model : undefined;
          const routed = await this.orchestrator.route(line.instance.messages, expertId);
          items.push({ customId, instance: line.instance, routed, warnings: line.warnings });
        } catch (error) {
          const failure = isConclaveError(error) ? error : toConclaveError(error, "BATCH_LINE_INVALID");
          const customId = customIdOf(raw);
          const key = customId && !seen.has(customId) ? customId : `line-${lineNo}`;
          if (!order.includes(key)) order.push(key);
          invalidLines.push({ customId: key, ok: false, line: errorLine(customId, failure) });
        }
      }
      const total = order.length;
      if (total === 0) {
        await this.update(batch, {
          status: "failed",
          failed_at: now(),
          errors: { object: "list", data: [{ code: "empty_file", message: `input file ${batch.input_file_id} has no requests`, param: "input_file_id", line: null }] },
        });
        return;
      }
      const state: ActiveBatch = { total, invalid: invalidLines, order, final: undefined };
      await this.saveState(batch.id, state);
      const started = await this.locked(batch.id, async () => {
        // Cancelled while validating: nothing is queued, and the progress loop finalises it as cancelled.
        const current = await this.records.get(batch.id);
        this.active.set(batch.id, state);
        if (current.status === "cancelling") return false;
        await this.update(current, {
          status: "in_progress",
          in_progress_at: current.in_progress_at ?? now(),
          request_counts: { total, completed: 0, failed: invalidLines.length },
        });
        return true;
      });
      if (started) await this.executor.enqueue(batch.id, items, this.model);
    } catch (error) {
      const failure = toConclaveError(error, "INTERNAL_ERROR");
      // Whatever was queued before the failure must not run on unseen: stop it, stop tracking it.
      this.active.delete(batch.id);
      await this.executor.cancel(batch.id).catch(() => undefined);
      await this.locked(batch.id, async () =>
        this.update(await this.records.get(batch.id), {
          status: "failed",
          failed_at: now(),
          errors: { object: "list", data: [{ code: failure.code.toLowerCase(), message: failure.message, param: failure.param ?? null, line: null }] },
        }),
      ).catch(() => undefined);
    }
  }

  private stateFile(id: string): string {
    return join(this.records.workDir(), `${id}.state.json`);
  }

  private async loadState(id: string): Promise<ActiveBatch> {
    return JSON.parse(await readFile(this.stateFile(id), "utf8")) as ActiveBatch;
  }

  private saveState(id: string, state: ActiveBatch): Promise<void> {
    return writeAtomic(this.stateFile(id), JSON.stringify(state));
  }

  private async tick(): Promise<void> {
    for (const [id, state] of this.active) {
      if (this.closed || this.locks.has(id)) continue;
      // A transient failure (disk, Redis) is retried on the next tick.
      await this.locked(id, () => this.advance(id, state)).catch(() => undefined);
    }
  }

  private async advance(id: string, state: ActiveBatch): Promise<void> {
    const batch = await this.records.get(id);
    const counts = await this.executor.counts(id);
    const request_counts = { total: state.total, completed: counts.completed, failed: counts.failed + state.invalid.length };
    const done = request_counts.completed + request_counts.failed >= state.total;
    if (!this.active.has(id) || TERMINAL.has(batch.status)) return;
    if (batch.status === "in_progress" && !done && now() >= batch.expires_at) {
      state.final = "expired";
      await this.saveState(id, state);
      await this.executor.cancel(id);
      await this.update(batch, { status: "cancelling", cancelling_at: now(), request_counts });
      return;
    }
    if (batch.status === "in_progress" && done) return this.finalize(batch, state, "completed");
    if (batch.status === "cancelling" && (await this.executor.idle(id))) {
      state.final ??= "cancelled";
      await this.saveState(id, state);
      return this.finalize(batch, state, state.final);
    }
    if (batch.status === "finalizing") return this.finalize(batch, state, state.final ?? "completed");
    if (JSON.stringify(request_counts) !== JSON.stringify(batch.request_counts)) await this.update(batch, { request_counts });
  }

  private async finalize(batch: StoredBatch, state: ActiveBatch, final: Extract<BatchStatus, "completed" | "cancelled" | "expired">): Promise<void> {
    const finalizing = await this.update(batch, { status: "finalizing", finalizing_at: batch.finalizing_at ?? now() });
    const byId = new Map<string, BatchResultLine>();
    for (const result of [...state.invalid, ...(await this.executor.results(batch.id))]) if (!byId.has(result.customId)) byId.set(result.customId, result);
    const ordered = state.order.map((id) => byId.get(id)).filter((r): r is BatchResultLine => r !== undefined);
    const outputs = ordered.filter((r) => r.ok).map((r) => `${r.line}\n`);
    const errors = ordered.filter((r) => !r.ok).map((r) => `${r.line}\n`);
    const write = (lines: string[], kind: string): Promise<FileObject | null> =>
      // Ids derive from the batch, so finalising again after a crash replaces rather than duplicates.
      lines.length
        ? this.files.create(`${batch.id}_${kind}.jsonl`, "batch_output", lines.join(""), batch.owner, `file-${kind}-${batch.id.slice("batch_".length)}`)
        : Promise.resolve(null);
    const [output, errorFile] = await Promise.all([write(outputs, "output"), write(errors, "error")]);
    this.active.delete(batch.id);
    const stamp = now();
    await this.update(finalizing, {
      status: final,
      output_file_id: output?.id ?? null,
      error_file_id: errorFile?.id ?? null,
      request_counts: { total: state.total, completed: outputs.length, failed: errors.length },
      ...(final === "completed" ? { completed_at: stamp } : final === "cancelled" ? { cancelled_at: stamp } : { expired_at: stamp }),
    });
  }

  private async update(batch: StoredBatch, change: Partial<BatchObject>): Promise<StoredBatch> {
    const next = { ...batch, ...change };
    await this.records.save(next);
    this.events.onChange?.(publicBatch(next));
    return next;
  }

  /** Batches being worked on, for metrics. */
  activeIds(): string[] {
    return [...this.active.keys()];
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    await this.executor.close();
  }
}

function invalid(message: string, param: string): ConclaveError {
  return new ConclaveError("INVALID_REQUEST", `${param}: ${message}`, { param });
}
