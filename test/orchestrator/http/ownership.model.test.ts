/**
 * Files and batches belong to the key that made them, over HTTP with the official openai client:
 * another key gets the very answer a missing id gets on every route, lists hold the caller's own,
 * an admin key sees and cancels everything (also through the CLI), batch data on disk is readable by
 * its owner only, /metrics and /docs stay open unless server.protectMetrics, and ownership survives
 * a restart of the server.
 */
import { createHash } from "node:crypto";
import { mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI, { toFile } from "openai";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { disposeRuntime } from "../../../experts/llama/runtime.js";
import { BatchService } from "../../../orchestrator/batches/service.js";
import { parseConfig } from "../../../orchestrator/config/load.js";
import { buildServer, type ConclaveServer } from "../../../orchestrator/http/server.js";
import { Orchestrator } from "../../../orchestrator/orchestrator.js";
import { EmbeddedExecutor } from "../../../queues/embedded-executor.js";
import { runCli } from "../../helpers/cli.js";
import { waitFor } from "../../helpers/wait.js";

const ALPHA = "sk-alpha";
const BETA = "sk-beta";
const ADMIN = "sk-admin";
// beta's key is configured by its digest only: the config file holds no secret for it.
const BETA_HASHED = `sha256:${createHash("sha256").update(BETA).digest("hex")}`;

interface Running {
  orchestrator: Orchestrator;
  batches: BatchService;
  server: ConclaveServer;
  url: string;
}

let dir: string;
let running: Running | undefined;

async function start(server: Record<string, unknown> = {}): Promise<Running> {
  const config = parseConfig(
    {
      runtime: { gpu: false, maxThreads: 2 },
      models: { dir: join(dir, "models"), embedded: "synthetic" },
      generation: { maxTokens: 3 },
      aggregation: { maxTokens: 3 },
      batches: { dir: join(dir, "data") },
      server,
    },
    dir,
  );
  const orchestrator = await Orchestrator.create(config);
  const batches = new BatchService(orchestrator, new EmbeddedExecutor(orchestrator, join(dir, "data", "work")));
  await batches.start();
  const built = await buildServer(orchestrator, { apiKeys: [ALPHA, BETA_HASHED], adminKeys: [ADMIN], batches });
  const url = await built.app.listen({ port: 0, host: "127.0.0.1" });
  return { orchestrator, batches, server: built, url };
}

async function stop(r: Running | undefined): Promise<void> {
  if (!r) return;
  await r.server.close();
  await r.batches.close();
  await r.orchestrator.close();
}

const client = (key: string) => new OpenAI({ baseURL: `${running!.url}/v1`, apiKey: key, maxRetries: 0 });

/** The status and error body of a call that must fail, with the id it names replaced by ID. */
async function refusal(call: Promise<unknown>, id: string): Promise<{ status: number | undefined; error: unknown }> {
  try {
    await call;
  } catch (error) {
    const apiError = error as InstanceType<typeof OpenAI.APIError>;
    return { status: apiError.status, error: JSON.parse(JSON.stringify(apiError.error).replaceAll(id, "ID")) };
  }
  throw new Error("the call succeeded");
}

async function finished(openai: OpenAI, id: string) {
  let batch = await openai.batches.retrieve(id);
  await waitFor(async () => {
    batch = await openai.batches.retrieve(id);
    return ["completed", "failed", "cancelled", "expired"].includes(batch.status);
  }, `batch ${id} to end`);
  return batch;
}

const lines = (n: number) =>
  Buffer.from(Array.from({ length: n }, (_, i) => JSON.stringify({ custom_id: `c${i}`, body: { messages: [{ role: "user", content: `What is ${i} plus 2?` }] } })).join("\n"));

let alphaFile: string;
let alphaBatch: string;
let alphaOutput: string;
let betaBatch: string;
/** Every batch alpha made. */
const alphaBatches: string[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "conclave-owners-"));
  running = await start();
  const alpha = client(ALPHA);
  alphaFile = (await alpha.files.create({ file: await toFile(lines(4), "alpha.jsonl"), purpose: "batch" })).id;
  alphaBatch = (await alpha.batches.create({ input_file_id: alphaFile, endpoint: "/v1/chat/completions", completion_window: "24h" })).id;
  alphaBatches.unshift(alphaBatch);
  const done = await finished(alpha, alphaBatch);
  expect(done.status).toBe("completed");
  alphaOutput = done.output_file_id!;
  const beta = client(BETA);
  const betaFile = (await beta.files.create({ file: await toFile(lines(2), "beta.jsonl"), purpose: "batch" })).id;
  betaBatch = (await beta.batches.create({ input_file_id: betaFile, endpoint: "/v1/chat/completions", completion_window: "24h" })).id;
  expect((await finished(beta, betaBatch)).status).toBe("completed");
}, 180_000);

afterAll(async () => {
  await stop(running);
  await disposeRuntime();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Every route another key might try on alpha's things, each beside the same call on a missing id. */
function crossKeyCalls(openai: OpenAI) {
  const missingFile = "file-00000000-0000-0000-0000-000000000000";
  const missingBatch = "batch_00000000-0000-0000-0000-000000000000";
  return [
    { name: "GET file", theirs: () => openai.files.retrieve(alphaFile), missing: () => openai.files.retrieve(missingFile), ids: [alphaFile, missingFile] },
    { name: "GET file content", theirs: () => openai.files.content(alphaFile), missing: () => openai.files.content(missingFile), ids: [alphaFile, missingFile] },
    { name: "GET output file", theirs: () => openai.files.retrieve(alphaOutput), missing: () => openai.files.retrieve(missingFile), ids: [alphaOutput, missingFile] },
    { name: "GET batch", theirs: () => openai.batches.retrieve(alphaBatch), missing: () => openai.batches.retrieve(missingBatch), ids: [alphaBatch, missingBatch] },
    { name: "cancel batch", theirs: () => openai.batches.cancel(alphaBatch), missing: () => openai.batches.cancel(missingBatch), ids: [alphaBatch, missingBatch] },
    {
      name: "create a batch from their file",
      theirs: () => openai.batches.create({ input_file_id: alphaFile, endpoint: "/v1/chat/completions", completion_window: "24h" }),
      missing: () => openai.batches.create({ input_file_id: missingFile, endpoint: "/v1/chat/completions", completion_window: "24h" }),
      ids: [alphaFile, missingFile],
    },
  ];
}

async function expectOwnershipHolds(): Promise<void> {
  const beta = client(BETA);
  for (const call of crossKeyCalls(beta)) {
    const theirs = await refusal(call.theirs(), call.ids[0]!);
    const missing = await refusal(call.missing(), call.ids[1]!);
    expect(theirs.status, call.name).toBe(404);
    expect(theirs, call.name).toEqual(missing);
  }
  const betaList = (await beta.batches.list()).data.map((b) => b.id);
  expect(betaList).toEqual([betaBatch]);
  const alpha = client(ALPHA);
  // Batches made within one second list in id order, so compare as sets.
  expect((await alpha.batches.list()).data.map((b) => b.id).sort()).toEqual([...alphaBatches].sort());
  expect((await alpha.files.retrieve(alphaFile)).filename).toBe("alpha.jsonl");
  expect((await (await alpha.files.content(alphaOutput)).text()).trim().split("\n")).toHaveLength(4);
}

describe("ownership of files and batches", () => {
  it("another key's files and batches look exactly like missing ids on every route; lists hold one's own", async () => {
    await expectOwnershipHolds();
    // The API shapes carry no owner: nothing about the key leaks into responses.
    const raw = await fetch(`${running!.url}/v1/batches/${alphaBatch}`, { headers: { authorization: `Bearer ${ALPHA}` } });
    expect(await raw.text()).not.toMatch(/owner|key_/);
  });

  it("an admin key sees and cancels every key's batches, also through the CLI", async () => {
    const admin = client(ADMIN);
    expect((await admin.batches.list()).data.map((b) => b.id).sort()).toEqual([alphaBatch, betaBatch].sort());
    expect((await admin.files.retrieve(alphaFile)).id).toBe(alphaFile);
    expect((await (await admin.files.content(alphaOutput)).text()).length).toBeGreaterThan(0);
    // A running batch of alpha's, cancelled by the admin.
    const alpha = client(ALPHA);
    const big = await alpha.files.create({ file: await toFile(lines(200), "big.jsonl"), purpose: "batch" });
    const created = await alpha.batches.create({ input_file_id: big.id, endpoint: "/v1/chat/completions", completion_window: "24h" });
    alphaBatches.unshift(created.id);
    expect((await admin.batches.cancel(created.id)).status).toMatch(/cancelling|cancelled/);
    expect((await finished(alpha, created.id)).status).toBe("cancelled");

    vi.stubEnv("CONCLAVE_URL", running!.url);
    try {
      vi.stubEnv("CONCLAVE_API_KEY", ADMIN);
      const status = await runCli(["batch", "status", betaBatch]);
      expect(status.code).toBe(0);
      expect(status.stdout).toContain(`${betaBatch}  completed`);
      vi.stubEnv("CONCLAVE_API_KEY", ALPHA);
      const refused = await runCli(["batch", "status", betaBatch]);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toMatch(/404 batch_not_found/);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it("writes batch data readable by its owner only", async () => {
    const modes: string[] = [];
    async function walk(path: string): Promise<void> {
      const info = await stat(path);
      if (info.mode & 0o077) modes.push(`${path}: ${(info.mode & 0o777).toString(8)}`);
      if (info.isDirectory()) for (const name of await readdir(path)) await walk(join(path, name));
    }
    for (const name of await readdir(join(dir, "data"))) await walk(join(dir, "data", name));
    expect(modes).toEqual([]);
  });

  it("keeps /metrics and /docs open by default and closes them with server.protectMetrics", async () => {
    expect((await fetch(`${running!.url}/metrics`)).status).toBe(200);
    expect((await fetch(`${running!.url}/docs/json`)).status).toBe(200);
    expect((await fetch(`${running!.url}/v1/models`)).status).toBe(401);
    await stop(running);
    running = await start({ protectMetrics: true });
    const metrics = await fetch(`${running.url}/metrics`);
    expect(metrics.status).toBe(401);
    expect(((await metrics.json()) as { error: { code: string } }).error.code).toBe("invalid_api_key");
    expect((await fetch(`${running.url}/docs/json`)).status).toBe(401);
    expect((await fetch(`${running.url}/metrics`, { headers: { authorization: `Bearer ${BETA}` } })).status).toBe(200);
    expect((await fetch(`${running.url}/healthz`)).status).toBe(200);
  });

  it("ownership holds after a restart", async () => {
    await stop(running);
    running = await start();
    await expectOwnershipHolds();
  });
});
