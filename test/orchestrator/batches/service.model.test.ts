/**
 * The batch lifecycle's edge statuses on the embedded queue: an empty input file fails the batch,
 * a batch that outlives its completion window expires with the lines that finished, and a service
 * started over the same directory resumes an unfinished batch without doubling lines.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { disposeRuntime } from "../../../experts/llama/runtime.js";
import { BatchService } from "../../../orchestrator/batches/service.js";
import type { BatchObject } from "../../../orchestrator/batches/records.js";
import { parseConfig } from "../../../orchestrator/config/load.js";
import { Orchestrator } from "../../../orchestrator/orchestrator.js";
import { EmbeddedExecutor } from "../../../queues/embedded-executor.js";

const dirs: string[] = [];
afterAll(async () => {
  await disposeRuntime();
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function service(dir: string, windowHours = 24) {
  const orchestrator = await Orchestrator.create(
    parseConfig({ runtime: { gpu: false, maxThreads: 2 }, models: { dir: "models", embedded: "synthetic" }, batches: { dir: "batches", completionWindowHours: windowHours } }, dir),
  );
  const batches = new BatchService(orchestrator, new EmbeddedExecutor(orchestrator, join(dir, "batches", "work")));
  await batches.start();
  return { orchestrator, batches, async close() { await batches.close(); await orchestrator.close(); } };
}

async function until(batches: BatchService, id: string, statuses: string[], timeoutMs = 30_000): Promise<BatchObject> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const batch = await batches.get(id);
    if (statuses.includes(batch.status)) return batch;
    if (Date.now() > deadline) throw new Error(`batch stayed ${batch.status}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const lines = (n: number, maxTokens: number) =>
  Array.from({ length: n }, (_, i) => JSON.stringify({ custom_id: `x${i}`, model: "demo-code", messages: [{ role: "user", content: `question ${i}` }], max_tokens: maxTokens })).join("\n");
const create = (batches: BatchService, fileId: string) => batches.create({ input_file_id: fileId, endpoint: "/v1/chat/completions", completion_window: "24h" });

describe("batch lifecycle", () => {
  it("fails a batch whose input file has no requests", async () => {
    const dir = await mkdtemp(join(tmpdir(), "conclave-svc-"));
    dirs.push(dir);
    const s = await service(dir);
    const file = await s.batches.uploadFile("empty.jsonl", Buffer.from("\n\n"));
    const failed = await until(s.batches, (await create(s.batches, file.id)).id, ["failed"]);
    expect(failed.errors?.data[0]).toMatchObject({ code: "empty_file" });
    expect(failed.failed_at).not.toBeNull();
    await s.close();
  });

  it("cancels a batch still validating: it ends cancelled and nothing runs", async () => {
    const dir = await mkdtemp(join(tmpdir(), "conclave-svc-"));
    dirs.push(dir);
    const s = await service(dir);
    const file = await s.batches.uploadFile("many.jsonl", Buffer.from(lines(400, 50)));
    const created = await create(s.batches, file.id);
    const cancelling = await s.batches.cancel(created.id);
    expect(cancelling.status).toBe("cancelling");
    const cancelled = await until(s.batches, created.id, ["cancelled", "completed"]);
    expect(cancelled.status).toBe("cancelled");
    expect(cancelled.output_file_id).toBeNull();
    expect(s.orchestrator.stats().experts["demo-code"]!.served).toBe(0);
    // A finished batch cannot be cancelled; cancelling twice is harmless.
    expect((await s.batches.cancel(created.id)).status).toBe("cancelled");
    await s.close();
  });

  it("expires a batch that outlives its window, keeping what finished", async () => {
    const dir = await mkdtemp(join(tmpdir(), "conclave-svc-"));
    dirs.push(dir);
    const s = await service(dir, 1.5 / 3600); // a 1.5 s window
    const file = await s.batches.uploadFile("long.jsonl", Buffer.from(lines(24, 400)));
    const expired = await until(s.batches, (await create(s.batches, file.id)).id, ["expired", "completed"]);
    expect(expired.status).toBe("expired");
    expect(expired.expired_at).not.toBeNull();
    expect(expired.request_counts.completed).toBeLessThan(24);
    await s.close();
  });

  it("resumes an unfinished batch in a new process without doubling lines", async () => {
    const dir = await mkdtemp(join(tmpdir(), "conclave-svc-"));
    dirs.push(dir);
    const first = await service(dir);
    const file = await first.batches.uploadFile("resume.jsonl", Buffer.from(lines(16, 60)));
    const { id } = await create(first.batches, file.id);
    for (let i = 0; i < 400 && (await first.batches.executor.counts(id)).completed < 3; i++) await new Promise((r) => setTimeout(r, 10));
    // The "crash": the first service stops mid-batch; its unfinished work is gone with it.
    await first.close();
    const done = (await first.batches.executor.counts(id)).completed;
    expect(done).toBeGreaterThanOrEqual(3);
    expect(done).toBeLessThan(16);

    const second = await service(dir);
    const finished = await until(second.batches, id, ["completed"]);
    expect(finished.request_counts).toEqual({ total: 16, completed: 16, failed: 0 });
    const output = (await second.batches.files.content(finished.output_file_id!)).toString().trim().split("\n").map((l) => JSON.parse(l).custom_id);
    expect(output).toEqual(Array.from({ length: 16 }, (_, i) => `x${i}`));
    // Only the unfinished lines ran again.
    expect(second.orchestrator.stats().experts["demo-code"]!.served).toBeLessThanOrEqual(16 - done + 4);
    await second.close();
  });
});
