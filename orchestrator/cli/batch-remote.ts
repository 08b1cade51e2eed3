/**
 * `conclave batch submit|status|results|cancel`: a client of a running server's Batch API (the
 * same endpoints the openai SDK uses). Submit uploads the file, creates the batch and follows it
 * with a progress bar; results downloads the output and error files.
 */
import { readFile, writeFile } from "node:fs/promises";
import { basename } from "node:path";
import { Presets, SingleBar } from "cli-progress";
import type { BatchObject } from "../batches/records.js";
import { TERMINAL } from "../batches/records.js";
import { ConclaveError } from "../../kernel/errors.js";

export interface RemoteOptions {
  server: string;
  apiKey?: string;
}

export function remoteFrom(options: { server?: string }, env: Record<string, string | undefined>): RemoteOptions {
  const server = (options.server ?? env["CONCLAVE_URL"] ?? "http://localhost:8080").replace(/\/+$/, "");
  const apiKey = env["CONCLAVE_API_KEY"];
  return { server, ...(apiKey ? { apiKey } : {}) };
}

async function call<T>(remote: RemoteOptions, path: string, init: RequestInit = {}): Promise<T> {
  const headers = new Headers(init.headers);
  if (remote.apiKey) headers.set("authorization", `Bearer ${remote.apiKey}`);
  let response: Response;
  try {
    response = await fetch(`${remote.server}/v1${path}`, { ...init, headers });
  } catch (cause) {
    throw new ConclaveError("REMOTE_EXPERT_ERROR", `cannot reach the conclave server at ${remote.server} (${(cause as Error).message}); start one with \`conclave serve\` or pass --server`, { cause });
  }
  if (!response.ok) {
    const body = (await response.json().catch(() => ({}))) as { error?: { message?: string; code?: string } };
    throw new ConclaveError("REMOTE_EXPERT_ERROR", `${response.status} ${body.error?.code ?? ""}: ${body.error?.message ?? response.statusText}`);
  }
  return (path.endsWith("/content") ? await response.text() : await response.json()) as T;
}

export function describeBatch(batch: BatchObject): string {
  const c = batch.request_counts;
  const files = [batch.output_file_id && `output ${batch.output_file_id}`, batch.error_file_id && `errors ${batch.error_file_id}`].filter(Boolean).join(", ");
  return `${batch.id}  ${batch.status}  ${c.completed}/${c.total} done, ${c.failed} failed${files ? `  (${files})` : ""}`;
}

export async function submitBatch(
  remote: RemoteOptions,
  input: string,
  options: { output?: string; errors?: string; progress: boolean; pollMs?: number },
  print: (text: string) => void,
): Promise<BatchObject> {
  const form = new FormData();
  form.set("purpose", "batch");
  form.set("file", new Blob([await readFile(input)], { type: "application/jsonl" }), basename(input));
  const file = await call<{ id: string }>(remote, "/files", { method: "POST", body: form });
  let batch = await call<BatchObject>(remote, "/batches", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ input_file_id: file.id, endpoint: "/v1/chat/completions", completion_window: "24h" }),
  });
  print(`submitted ${batch.id} (file ${file.id})`);
  const bar = new SingleBar({ format: "batch |{bar}| {value}/{total} · {status}", noTTYOutput: true, notTTYSchedule: 2000, stream: process.stderr }, Presets.shades_classic);
  if (options.progress) bar.start(1, 0, { status: batch.status });
  while (!TERMINAL.has(batch.status)) {
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 500));
    batch = await call<BatchObject>(remote, `/batches/${batch.id}`);
    const c = batch.request_counts;
    if (options.progress) {
      bar.setTotal(Math.max(1, c.total));
      bar.update(c.completed + c.failed, { status: batch.status });
    }
  }
  if (options.progress) bar.stop();
  print(describeBatch(batch));
  await downloadResults(remote, batch, options, print);
  return batch;
}

export async function downloadResults(remote: RemoteOptions, batch: BatchObject, options: { output?: string; errors?: string }, print: (text: string) => void): Promise<void> {
  if (options.output && batch.output_file_id) {
    await writeFile(options.output, await call<string>(remote, `/files/${batch.output_file_id}/content`));
    print(`output written to ${options.output}`);
  }
  if (options.errors && batch.error_file_id) {
    await writeFile(options.errors, await call<string>(remote, `/files/${batch.error_file_id}/content`));
    print(`errors written to ${options.errors}`);
  }
  if (!options.output && batch.output_file_id) print(await call<string>(remote, `/files/${batch.output_file_id}/content`));
}

export const getBatch = (remote: RemoteOptions, id: string) => call<BatchObject>(remote, `/batches/${id}`);
export const cancelBatch = (remote: RemoteOptions, id: string) => call<BatchObject>(remote, `/batches/${id}/cancel`, { method: "POST" });
