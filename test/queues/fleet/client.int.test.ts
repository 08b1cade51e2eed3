/**
 * The front door's fleet client against a real Redis and real BullMQ workers running the real
 * OnlineRunner, whose generation is scripted (the engine port), so the cases that real models
 * cannot stage on demand are exact: a worker that goes silent after picking a job up but before its
 * first token (the call is retried on another worker), one that goes silent after tokens went out
 * (WORKER_LOST), no live worker for an expert (NO_EXPERT_AVAILABLE), and a cancel that reaches the
 * running generation. "Dead" means its registry heartbeat stopped, as for a killed process.
 */
import { Queue, Worker } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { GenerateRequest, GenerateResult } from "../../../experts/spec.js";
import { ConclaveError, isConclaveError } from "../../../kernel/errors.js";
import { expertQueue, onlineCancelKey } from "../../../queues/bullmq/names.js";
import { BATCH_PRIORITY, GENERATE, ONLINE } from "../../../queues/bullmq/jobs.js";
import { FleetClient } from "../../../queues/fleet/client.js";
import { OnlineRunner, type OnlineGenerate } from "../../../queues/fleet/online-runner.js";
import { publishEntry, type WorkerEntry } from "../../../queues/fleet/registry.js";
import { redisServer, startRedis, type TestRedis } from "../../helpers/redis.js";

const REDIS = redisServer();
const HEARTBEAT_MS = 100;

let redis: TestRedis;
let connection: Redis;
let counter = 0;

beforeAll(async () => {
  if (!REDIS) return;
  redis = await startRedis(REDIS);
  connection = new Redis(redis.url, { maxRetriesPerRequest: null });
});

afterAll(async () => {
  connection?.disconnect();
  await redis?.stop();
});

const result = (text: string): GenerateResult => ({ text, finishReason: "stop", usage: { promptTokens: 1, completionTokens: 2 }, warnings: [] });
const request = (onText?: (text: string) => void, signal?: AbortSignal): GenerateRequest => ({
  messages: [{ role: "user", content: "hi" }],
  params: { maxTokens: 8 },
  ...(onText ? { onText } : {}),
  ...(signal ? { signal } : {}),
});

/** A worker process as the client sees it: a registry entry kept alive by heartbeats, and a BullMQ Worker running the real OnlineRunner. */
async function fakeProcess(prefix: string, id: string, expertId: string, generate: OnlineGenerate) {
  const shutdown = new AbortController();
  const runner = new OnlineRunner(connection, prefix, id, generate, shutdown.signal);
  await runner.start();
  const entry: WorkerEntry = { id, budget: 1, resident: [], loading: [], inFlight: {}, serves: { [expertId]: { memory: 0, slots: 1 } }, loads: {}, served: {}, failed: {}, cancelled: 0 };
  await publishEntry(connection, prefix, entry);
  const beat = setInterval(() => void publishEntry(connection, prefix, { ...entry, cancelled: runner.cancelled }), HEARTBEAT_MS);
  const worker = new Worker(expertQueue(prefix, expertId), (job, token) => runner.process(job, token, undefined), { connection: connection.duplicate(), prefix, concurrency: 1 });
  return {
    runner,
    /** Silent from now on, as a killed process: no heartbeat, no new jobs. */
    die: async () => {
      clearInterval(beat);
      await worker.pause(true);
    },
    close: async () => {
      clearInterval(beat);
      shutdown.abort();
      await worker.close(true);
      await runner.close();
    },
  };
}

function setup() {
  const prefix = `client${process.pid}-${++counter}`;
  return { prefix, client: new FleetClient({ redisUrl: redis.url, prefix, heartbeatMs: HEARTBEAT_MS }) };
}

it.skipIf(!REDIS)("retries on another worker a call whose worker died before its first token", async () => {
  const { prefix, client } = setup();
  let first: (() => Promise<void>) | undefined;
  const started = new Promise<void>((resolve) => (first = async () => resolve()));
  // The first worker picks the job up (its start record goes out) and then never answers.
  const doomed = await fakeProcess(prefix, "doomed", "x", () => (void first?.(), new Promise<GenerateResult>(() => undefined)));
  try {
    const pieces: string[] = [];
    const answer = client.submit("x", request((text) => pieces.push(text)));
    await started;
    await doomed.die();
    const healthy = await fakeProcess(prefix, "healthy", "x", async (_id, req) => {
      req.onText?.("hel");
      req.onText?.("lo");
      return result("hello");
    });
    try {
      expect((await answer).text).toBe("hello");
      expect(pieces).toEqual(["hel", "lo"]);
      // The first attempt is cancelled, so a worker that takes it up after its lock expires skips it.
      const firstAttempt = (await connection.keys(`${prefix}:fleet:cancel:*`)).map((key) => key.slice(key.lastIndexOf(":") + 1));
      expect(firstAttempt).toHaveLength(1);
      expect(await connection.exists(onlineCancelKey(prefix, firstAttempt[0]!))).toBe(1);
    } finally {
      await healthy.close();
    }
  } finally {
    await doomed.close();
    await client.close();
  }
});

it.skipIf(!REDIS)("fails with WORKER_LOST (503) when the worker dies after part of the answer went out", async () => {
  const { prefix, client } = setup();
  let dying: (() => void) | undefined;
  const midway = new Promise<void>((resolve) => (dying = resolve));
  const worker = await fakeProcess(prefix, "w", "x", (_id, req) => {
    req.onText?.("partial");
    dying?.();
    return new Promise<GenerateResult>(() => undefined);
  });
  try {
    const pieces: string[] = [];
    const answer = client.submit("x", request((text) => pieces.push(text)));
    await midway;
    await worker.die();
    const error = await answer.then(() => undefined, (thrown: unknown) => thrown);
    expect(isConclaveError(error) && error.code).toBe("WORKER_LOST");
    expect(isConclaveError(error) && error.status).toBe(503);
    expect(pieces).toEqual(["partial"]);
  } finally {
    await worker.close();
    await client.close();
  }
});

it.skipIf(!REDIS)("fails with NO_EXPERT_AVAILABLE when no live worker serves the expert, and removes the job", async () => {
  const { prefix, client } = setup();
  try {
    const error = await client.submit("nobody", request()).then(() => undefined, (thrown: unknown) => thrown);
    expect(isConclaveError(error) && error.code).toBe("NO_EXPERT_AVAILABLE");
    const queue = new Queue(expertQueue(prefix, "nobody"), { connection, prefix });
    expect(await queue.getJobCounts("prioritized", "waiting")).toEqual({ prioritized: 0, waiting: 0 });
    await queue.close();
  } finally {
    await client.close();
  }
});

it.skipIf(!REDIS)("a cancelled call aborts the running generation on its worker and rejects with ABORTED at once", async () => {
  const { prefix, client } = setup();
  let running: (() => void) | undefined;
  const isRunning = new Promise<void>((resolve) => (running = resolve));
  const worker = await fakeProcess(prefix, "w", "x", (_id, req) => {
    req.onText?.("a");
    running?.();
    return new Promise<GenerateResult>((resolve) => req.signal?.addEventListener("abort", () => resolve({ ...result("a"), finishReason: "abort" })));
  });
  try {
    const controller = new AbortController();
    const answer = client.submit("x", request(() => undefined, controller.signal));
    await isRunning;
    controller.abort();
    const error = await answer.then(() => undefined, (thrown: unknown) => thrown);
    expect(isConclaveError(error) && error.code).toBe("ABORTED");
    // The worker's generation saw the abort and ended early.
    await new Promise<void>((resolve) => {
      const check = () => (worker.runner.cancelled === 1 ? resolve() : setTimeout(check, 20));
      check();
    });
    expect(worker.runner.inFlight).toBe(0);
  } finally {
    await worker.close();
    await client.close();
  }
});

it.skipIf(!REDIS)("a worker takes an online job before batch jobs queued earlier in the same expert queue", async () => {
  const { prefix, client } = setup();
  const queue = new Queue(expertQueue(prefix, "x"), { connection, prefix });
  const order: string[] = [];
  let worker: Worker | undefined;
  const shutdown = new AbortController();
  const runner = new OnlineRunner(connection, prefix, "w", async () => (order.push("online"), result("ok")), shutdown.signal);
  try {
    await runner.start();
    await publishEntry(connection, prefix, { id: "w", budget: 1, resident: [], loading: [], inFlight: {}, serves: { x: { memory: 0, slots: 1 } }, loads: {}, served: {}, failed: {}, cancelled: 0 });
    // As the batch executor queues them: batch priority.
    for (let i = 0; i < 3; i++) await queue.add(GENERATE, { i }, { priority: BATCH_PRIORITY });
    const answer = client.submit("x", request());
    await new Promise<void>((resolve) => {
      const check = async () => ((await queue.getJobCounts("prioritized"))["prioritized"] === 4 ? resolve() : setTimeout(() => void check(), 20));
      void check();
    });
    worker = new Worker(
      expertQueue(prefix, "x"),
      async (job, token) => (job.name === ONLINE ? runner.process(job, token, undefined) : void order.push(`batch ${(job.data as { i: number }).i}`)),
      { connection: connection.duplicate(), prefix, concurrency: 1 },
    );
    expect((await answer).text).toBe("ok");
    await new Promise<void>((resolve) => {
      const check = () => (order.length === 4 ? resolve() : setTimeout(check, 20));
      check();
    });
    expect(order).toEqual(["online", "batch 0", "batch 1", "batch 2"]);
  } finally {
    shutdown.abort();
    await worker?.close(true);
    await runner.close();
    await queue.close();
    await client.close();
  }
});

it.skipIf(!REDIS)("a worker shutting down gracefully before the first token hands the call back, and another worker answers it", async () => {
  const { prefix, client } = setup();
  let picked: (() => void) | undefined;
  const isPicked = new Promise<void>((resolve) => (picked = resolve));
  const leaving = await fakeProcess(prefix, "leaving", "x", (_id, req) => {
    picked?.();
    return new Promise<GenerateResult>((_resolve, reject) => req.signal?.addEventListener("abort", () => reject(new ConclaveError("ABORTED", "worker closing"))));
  });
  try {
    const pieces: string[] = [];
    const answer = client.submit("x", request((text) => pieces.push(text)));
    await isPicked;
    const staying = await fakeProcess(prefix, "staying", "x", async (_id, req) => {
      req.onText?.("ok");
      return result("ok");
    });
    try {
      await leaving.close();
      expect((await answer).text).toBe("ok");
      expect(pieces).toEqual(["ok"]);
      // Handed back, the same attempt ran again: the client never had to give it up and cancel it.
      expect(await connection.keys(`${prefix}:fleet:cancel:*`)).toEqual([]);
    } finally {
      await staying.close();
    }
  } finally {
    await leaving.close();
    await client.close();
  }
});

it.skipIf(!REDIS)("streams a thinking model's thought and answer pieces to their own sinks, in order, and returns the reasoning", async () => {
  const { prefix, client } = setup();
  const worker = await fakeProcess(prefix, "thinker", "x", async (_id, req) => {
    req.onReasoning?.("r|r1");
    req.onReasoning?.("a1");
    req.onText?.("1");
    return { ...result("1"), reasoning: "r|r1a1" };
  });
  try {
    const events: string[] = [];
    const answer = await client.submit("x", { ...request((text) => events.push(`text:${text}`)), onReasoning: (text) => events.push(`reasoning:${text}`) });
    expect(events).toEqual(["reasoning:r|r1", "reasoning:a1", "text:1"]);
    expect(answer).toMatchObject({ text: "1", reasoning: "r|r1a1" });
  } finally {
    await worker.close();
    await client.close();
  }
});
