/**
 * Batch objects in OpenAI's shape, kept as one JSON file each in `<dir>/batches/`, written
 * atomically on every change (owner-only permissions). Listing is newest first with OpenAI's
 * `after` / `limit` paging, over the batches a caller may see.
 *
 * Each record carries its `owner` (the id of the key that created it); `publicBatch` gives the API
 * shape without it.
 */
import { randomUUID } from "node:crypto";
import { mkdir, readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { ConclaveError } from "../../kernel/errors.js";
import { PRIVATE_DIR, writeAtomic } from "./files.js";

export type BatchStatus = "validating" | "failed" | "in_progress" | "finalizing" | "completed" | "expired" | "cancelling" | "cancelled";

export const TERMINAL: ReadonlySet<BatchStatus> = new Set(["failed", "completed", "expired", "cancelled"]);

export interface BatchObject {
  id: string;
  object: "batch";
  endpoint: string;
  errors: { object: "list"; data: Array<{ code: string; message: string; param: string | null; line: number | null }> } | null;
  input_file_id: string;
  completion_window: string;
  status: BatchStatus;
  output_file_id: string | null;
  error_file_id: string | null;
  created_at: number;
  in_progress_at: number | null;
  expires_at: number;
  finalizing_at: number | null;
  completed_at: number | null;
  failed_at: number | null;
  expired_at: number | null;
  cancelling_at: number | null;
  cancelled_at: number | null;
  request_counts: { total: number; completed: number; failed: number };
  metadata: Record<string, string> | null;
}

/** A batch as stored: its API object plus the owner that may see and cancel it. */
export interface StoredBatch extends BatchObject {
  owner: string;
}

export function publicBatch({ owner: _owner, ...batch }: StoredBatch): BatchObject {
  return batch;
}

const BATCH_ID = /^batch_[A-Za-z0-9-]+$/;
export const now = () => Math.floor(Date.now() / 1000);

export function newBatch(input: {
  owner: string;
  inputFileId: string;
  endpoint: string;
  completionWindow: string;
  windowHours: number;
  metadata: Record<string, string> | null;
}): StoredBatch {
  const created = now();
  return {
    id: `batch_${randomUUID()}`,
    owner: input.owner,
    object: "batch",
    endpoint: input.endpoint,
    errors: null,
    input_file_id: input.inputFileId,
    completion_window: input.completionWindow,
    status: "validating",
    output_file_id: null,
    error_file_id: null,
    created_at: created,
    in_progress_at: null,
    expires_at: created + Math.round(input.windowHours * 3600),
    finalizing_at: null,
    completed_at: null,
    failed_at: null,
    expired_at: null,
    cancelling_at: null,
    cancelled_at: null,
    request_counts: { total: 0, completed: 0, failed: 0 },
    metadata: input.metadata,
  };
}

export class BatchRecords {
  private readonly dir: string;

  constructor(root: string) {
    this.dir = join(root, "batches");
  }

  async save(batch: StoredBatch): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: PRIVATE_DIR });
    await writeAtomic(join(this.dir, `${batch.id}.json`), JSON.stringify(batch, null, 1));
  }

  /** A batch recorded before batches had owners belongs to the anonymous owner. */
  async get(id: string): Promise<StoredBatch> {
    if (!BATCH_ID.test(id)) throw batchNotFound(id);
    const text = await readFile(join(this.dir, `${id}.json`), "utf8").catch(() => {
      throw batchNotFound(id);
    });
    const batch = JSON.parse(text) as Partial<StoredBatch> & BatchObject;
    return { ...batch, owner: batch.owner ?? "anonymous" };
  }

  async all(): Promise<StoredBatch[]> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const ids = names.filter((name) => name.endsWith(".json") && BATCH_ID.test(name.slice(0, -5))).map((name) => name.slice(0, -5));
    // A few files at a time: thousands of batches must not exhaust file descriptors.
    const batches: StoredBatch[] = [];
    for (let i = 0; i < ids.length; i += 32) batches.push(...(await Promise.all(ids.slice(i, i + 32).map((id) => this.get(id)))));
    return batches.sort((a, b) => b.created_at - a.created_at || b.id.localeCompare(a.id));
  }

  /** One page of the batches `visible` lets through, in the API shape. */
  async list(
    after: string | undefined,
    limit: number,
    visible: (batch: StoredBatch) => boolean,
  ): Promise<{ object: "list"; data: BatchObject[]; first_id: string | null; last_id: string | null; has_more: boolean }> {
    const all = (await this.all()).filter(visible);
    const start = after ? all.findIndex((b) => b.id === after) + 1 : 0;
    const data = all.slice(start, start + limit).map(publicBatch);
    return { object: "list", data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null, has_more: start + limit < all.length };
  }

  /** Where an executor may keep a batch's working files. */
  workDir(): string {
    return this.dir;
  }
}

export function batchNotFound(id: string): ConclaveError {
  return new ConclaveError("BATCH_NOT_FOUND", `no batch with id ${id}`, { param: "batch_id" });
}
