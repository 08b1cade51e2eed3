/**
 * The Batch API on the embedded queue, driven by the official openai client on a real port:
 * files.create -> batches.create -> batches.retrieve -> files.content, a bad line failing alone,
 * cancel keeping finished lines, paging.
 */
import OpenAI, { toFile } from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { disposeRuntime } from "../../../experts/llama/runtime.js";
import { startTestServer, type TestServer } from "./fixture.js";

let t: TestServer;
let client: OpenAI;
beforeAll(async () => {
  t = await startTestServer();
  client = new OpenAI({ baseURL: `${await t.listen()}/v1`, apiKey: "unused", maxRetries: 0 });
});
afterAll(async () => {
  await t.close();
  await disposeRuntime();
});

const QUESTIONS = ["What is 17 plus 25?", "Write a SQL query that lists users.", "Is a verbal contract binding?", "How do plants make food?", "Write a haiku about rain."];
const line = (i: number, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ custom_id: `c${i}`, method: "POST", url: "/v1/chat/completions", body: { model: "conclave", messages: [{ role: "user", content: QUESTIONS[i % 5] }], max_tokens: 3, ...extra } });

async function upload(lines: string[]) {
  return client.files.create({ file: await toFile(Buffer.from(lines.join("\n") + "\n"), "in.jsonl"), purpose: "batch" });
}

async function until(id: string, statuses: string[]): Promise<OpenAI.Batches.Batch> {
  for (let i = 0; i < 400; i++) {
    const batch = await client.batches.retrieve(id);
    if (statuses.includes(batch.status)) return batch;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`batch ${id} never reached ${statuses.join("/")}`);
}

const parseLines = (text: string) => text.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l) as { custom_id: string; response: { status_code: number; body: { choices: unknown[] } } | null; error: { code: string } | null });

describe("Batch API (embedded queue)", () => {
  it("completes a batch with one output line per custom_id; a bad line fails alone", async () => {
    const lines = Array.from({ length: 12 }, (_, i) => line(i));
    lines.splice(4, 0, '{"custom_id": "bad", "body": {"messages": "nope"}}', "not json at all");
    const file = await upload(lines);
    expect(file).toMatchObject({ object: "file", purpose: "batch", filename: "in.jsonl" });
    expect((await client.files.retrieve(file.id)).bytes).toBe(file.bytes);

    const created = await client.batches.create({ input_file_id: file.id, endpoint: "/v1/chat/completions", completion_window: "24h", metadata: { run: "t1" } });
    expect(["validating", "in_progress"]).toContain(created.status);
    const done = await until(created.id, ["completed", "failed"]);
    expect(done.status).toBe("completed");
    expect(done.request_counts).toEqual({ total: 14, completed: 12, failed: 2 });
    expect(done.metadata).toEqual({ run: "t1" });

    const output = parseLines(await (await client.files.content(done.output_file_id!)).text());
    expect(output.map((l) => l.custom_id)).toEqual(Array.from({ length: 12 }, (_, i) => `c${i}`));
    expect(output.every((l) => l.response?.status_code === 200 && l.error === null)).toBe(true);
    const errors = parseLines(await (await client.files.content(done.error_file_id!)).text());
    expect(errors.map((l) => l.custom_id)).toEqual(["bad", null]);
    expect(errors.every((l) => l.error?.code === "batch_line_invalid")).toBe(true);
    // Routed as a whole, grouped by expert: every model loaded once.
    expect(Object.values(t.orchestrator.stats().experts).every((e) => e.loads <= 1)).toBe(true);
  });

  it("cancels mid-batch, keeping the lines that finished", async () => {
    const file = await upload(Array.from({ length: 16 }, (_, i) => line(i, { max_tokens: 120, model: "demo-law" })));
    const created = await client.batches.create({ input_file_id: file.id, endpoint: "/v1/chat/completions", completion_window: "24h" });
    await until(created.id, ["in_progress"]);
    const metrics = await t.server.app.inject({ url: "/metrics" });
    expect(metrics.body).toContain(`conclave_batch_requests{batch="${created.id}",state="total"} 16`);
    // Wait until some lines are done, then cancel.
    for (let i = 0; i < 400 && (await client.batches.retrieve(created.id)).request_counts!.completed < 2; i++) await new Promise((r) => setTimeout(r, 25));
    const cancelling = await client.batches.cancel(created.id);
    expect(["cancelling", "cancelled"]).toContain(cancelling.status);
    const cancelled = await until(created.id, ["cancelled"]);
    expect(cancelled.request_counts!.completed).toBeGreaterThanOrEqual(2);
    expect(cancelled.request_counts!.completed).toBeLessThan(16);
    const output = parseLines(await (await client.files.content(cancelled.output_file_id!)).text());
    expect(output).toHaveLength(cancelled.request_counts!.completed);
    expect(new Set(output.map((l) => l.custom_id)).size).toBe(output.length);
    expect(t.orchestrator.stats().experts["demo-law"]!.inFlight).toBe(0);
  });

  it("refuses bad batch requests with the field named, and lists batches newest first", async () => {
    const missing = await client.batches.create({ input_file_id: "file-nope", endpoint: "/v1/chat/completions", completion_window: "24h" }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(OpenAI.NotFoundError);
    const file = await upload([line(1)]);
    const endpoint = await client.batches.create({ input_file_id: file.id, endpoint: "/v1/embeddings" as "/v1/chat/completions", completion_window: "24h" }).catch((e: unknown) => e);
    expect(endpoint).toBeInstanceOf(OpenAI.BadRequestError);
    expect((endpoint as InstanceType<typeof OpenAI.BadRequestError>).param).toBe("endpoint");
    const page = await client.batches.list({ limit: 1 });
    expect(page.data).toHaveLength(1);
    expect(page.has_more).toBe(true);
    const ids: string[] = [];
    for await (const batch of client.batches.list({ limit: 1 })) ids.push(batch.id);
    expect(ids.length).toBe(2);
    expect((await client.batches.retrieve(ids[0]!)).created_at).toBeGreaterThanOrEqual((await client.batches.retrieve(ids[1]!)).created_at);
  });
});
