/**
 * The whole Redis deployment on one machine: the server with REDIS_URL (BullMQ executor) and a real
 * `conclave worker` process, driven by the official openai client. The server never generates; the
 * worker drains the expert queues and the batch completes with one line per custom_id.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI, { toFile } from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { disposeRuntime } from "../../../experts/llama/runtime.js";
import { createExecutor } from "../../../orchestrator/batches/executor.js";
import { BatchService } from "../../../orchestrator/batches/service.js";
import { loadConfig } from "../../../orchestrator/config/load.js";
import { buildServer, type ConclaveServer } from "../../../orchestrator/http/server.js";
import { Orchestrator } from "../../../orchestrator/orchestrator.js";
import { PACKAGE_ROOT } from "../../helpers/paths.js";
import { redisServer, startRedis, type TestRedis } from "../../helpers/redis.js";
import { QUEUE_TEST_TIMEOUT_MS, waitFor } from "../../helpers/wait.js";

const REDIS = redisServer();

let redis: TestRedis;
let dir: string;
let orchestrator: Orchestrator;
let batches: BatchService;
let server: ConclaveServer;
let worker: ChildProcess;
let workerOutput = "";
let client: OpenAI;
let baseURL: string;
let finishedBatch: string | undefined;

beforeAll(async () => {
  if (!REDIS) return;
  redis = await startRedis(REDIS);
  dir = await mkdtemp(join(tmpdir(), "conclave-redis-http-"));
  const configPath = join(dir, "conclave.yaml");
  await writeFile(
    configPath,
    ["runtime: { gpu: false, maxThreads: 2 }", "models: { dir: ./models, embedded: synthetic }", "generation: { maxTokens: 3 }", "aggregation: { maxTokens: 3 }", `batches: { dir: ./batches, queue: { prefix: http${process.pid} } }`, ""].join("\n"),
  );
  orchestrator = await Orchestrator.create(await loadConfig(configPath));
  const env = { REDIS_URL: redis.url };
  batches = new BatchService(orchestrator, await createExecutor(orchestrator, env));
  await batches.start();
  server = await buildServer(orchestrator, { apiKeys: ["sk-alpha", "sk-beta"], adminKeys: ["sk-admin"], batches });
  baseURL = `${await server.app.listen({ port: 0, host: "127.0.0.1" })}/v1`;
  client = new OpenAI({ baseURL, apiKey: "sk-alpha", maxRetries: 0 });

  worker = spawn(process.execPath, ["bin/conclave.js", "--config", configPath, "worker"], { cwd: PACKAGE_ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  worker.stdout!.on("data", (chunk) => (workerOutput += String(chunk)));
  worker.stderr!.on("data", (chunk) => (workerOutput += String(chunk)));
  await waitFor(() => workerOutput.includes("conclave worker"), "the worker process to start", {
    everyMs: 50,
    failIf: () => (worker.exitCode === null ? undefined : `the worker exited with ${worker.exitCode}: ${workerOutput}`),
  });
}, QUEUE_TEST_TIMEOUT_MS);

afterAll(async () => {
  if (worker && worker.exitCode === null) worker.kill("SIGKILL");
  await server?.close();
  await batches?.close();
  await orchestrator?.close();
  await disposeRuntime();
  await redis?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe.skipIf(!REDIS)("Batch API on BullMQ with a conclave worker process", { timeout: QUEUE_TEST_TIMEOUT_MS }, () => {
  it("completes through the openai client with one output line per custom_id", async () => {
    const questions = ["What is 4 plus 9?", "Write a SQL join.", "Define a contract.", "What is a cell?", "Write a limerick."];
    const lines = Array.from({ length: 10 }, (_, i) => JSON.stringify({ custom_id: `r${i}`, body: { messages: [{ role: "user", content: questions[i % 5] }] } }));
    const file = await client.files.create({ file: await toFile(Buffer.from(lines.join("\n")), "in.jsonl"), purpose: "batch" });
    let batch = await client.batches.create({ input_file_id: file.id, endpoint: "/v1/chat/completions", completion_window: "24h" });
    await waitFor(async () => {
      batch = await client.batches.retrieve(batch.id);
      return ["completed", "failed", "cancelled", "expired"].includes(batch.status);
    }, `batch ${batch.id} to end`);
    expect(batch.status).toBe("completed");
    finishedBatch = batch.id;
    expect(batch.request_counts).toEqual({ total: 10, completed: 10, failed: 0 });
    const output = (await (await client.files.content(batch.output_file_id!)).text()).trim().split("\n").map((l) => JSON.parse(l).custom_id);
    expect(output).toEqual(Array.from({ length: 10 }, (_, i) => `r${i}`));
    // The server only routed: every generation ran in the worker process.
    expect(Object.values(orchestrator.stats().experts).every((e) => e.loads === 0)).toBe(true);
    const metrics = await server.app.inject({ url: "/metrics" });
    expect(metrics.body).toMatch(/conclave_worker_model_switches_total\{worker="[^"]+"\} [1-9]/);
    expect(metrics.body).toMatch(/conclave_queue_backlog\{expert="demo-math"\} 0/);
  });

  it("keeps the batch its key's own: another key gets 404, an admin key sees it", async () => {
    expect(finishedBatch).toBeDefined();
    const beta = new OpenAI({ baseURL, apiKey: "sk-beta", maxRetries: 0 });
    await expect(beta.batches.retrieve(finishedBatch!)).rejects.toMatchObject({ status: 404, code: "batch_not_found" });
    expect((await beta.batches.list()).data).toEqual([]);
    const admin = new OpenAI({ baseURL, apiKey: "sk-admin", maxRetries: 0 });
    expect((await admin.batches.retrieve(finishedBatch!)).status).toBe("completed");
  });

  it("stops the worker gracefully on SIGTERM", async () => {
    const exited = new Promise<number | null>((resolve) => worker.once("exit", (code) => resolve(code)));
    worker.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(workerOutput).toMatch(/SIGTERM: stopping/);
  });
});
