/**
 * Fleet mode on real processes: a real redis-server, two `conclave serve` replicas in fleet mode and
 * three `conclave worker` processes on the zoo (plus "endless", a model that never stops, for the
 * mid-stream cases), driven by the official openai client. Every wait is on a state (the residency
 * registry, a child's output), never on a deadline of its own; the test timeout bounds the run.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readRegistry, type RegistryView } from "../../../queues/fleet/registry.js";
import { redisServer, startRedis, type TestRedis } from "../../helpers/redis.js";
import { QUEUE_TEST_TIMEOUT_MS, waitFor } from "../../helpers/wait.js";
import { startApi, startWorker, writeFleetConfig, type Child } from "./fleet-processes.js";

const REDIS = redisServer();
const HEARTBEAT_MS = 300;

let redis: TestRedis;
let dir: string;
let prefix: string;
let client: Redis;
let apis: Array<{ child: Child; url: string; openai: OpenAI }> = [];
let workers: Child[] = [];

const children = () => [...apis.map((api) => api.child), ...workers];
/** A child that died on its own fails the wait at once (a killed worker is removed from `workers` first). */
const anyDied = () => children().map((child) => child.exited()).find(Boolean);

async function registry(): Promise<RegistryView[]> {
  return (await readRegistry(client, prefix, 3 * HEARTBEAT_MS)).workers;
}
const cancelled = (views: RegistryView[]) => views.reduce((sum, view) => sum + view.cancelled, 0);
const total = (views: RegistryView[], field: "loads" | "served" | "failed" | "inFlight", expertId: string) =>
  views.reduce((sum, view) => sum + (view[field][expertId] ?? 0), 0);

beforeAll(async () => {
  if (!REDIS) return;
  redis = await startRedis(REDIS);
  dir = await mkdtemp(join(tmpdir(), "conclave-fleet-"));
  prefix = `fleet${process.pid}`;
  const { configPath } = await writeFleetConfig(dir, prefix, { heartbeatMs: HEARTBEAT_MS });
  const env = { REDIS_URL: redis.url };
  client = new Redis(redis.url);
  workers = await Promise.all([0, 1, 2].map((i) => startWorker(`fleet-w${i}`, configPath, env)));
  const started = await Promise.all([0, 1].map((i) => startApi(`api-${i}`, configPath, env)));
  apis = started.map(({ child, url }) => ({ child, url, openai: new OpenAI({ baseURL: `${url}/v1`, apiKey: "none", maxRetries: 0 }) }));
  await waitFor(async () => (await registry()).filter((w) => w.alive).length === 3, "three live workers in the registry", { failIf: anyDied });
}, QUEUE_TEST_TIMEOUT_MS);

afterAll(async () => {
  await Promise.all(children().map((child) => child.stop("SIGTERM")));
  client?.disconnect();
  await redis?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
}, QUEUE_TEST_TIMEOUT_MS);

describe.skipIf(!REDIS)("fleet mode: two API replicas, three workers", () => {
  it("routes repeat traffic to the worker that holds the expert: one load for eight requests through both replicas", { timeout: QUEUE_TEST_TIMEOUT_MS }, async () => {
    for (let i = 0; i < 8; i++) {
      const answer = await apis[i % 2]!.openai.chat.completions.create({ model: "zoo-sub-sort", messages: [{ role: "user", content: `Sort the letters of planet${i}.` }] });
      expect(answer.choices[0]!.message.content).toBeTruthy();
    }
    await waitFor(async () => total(await registry(), "served", "zoo-sub-sort") === 8, "the registry to count the eight generations", { failIf: anyDied });
    const views = await registry();
    expect(total(views, "loads", "zoo-sub-sort")).toBe(1);
    const holders = views.filter((view) => (view.served["zoo-sub-sort"] ?? 0) > 0);
    expect(holders.map((view) => view.served["zoo-sub-sort"])).toEqual([8]);
    expect(holders[0]!.resident).toContain("zoo-sub-sort");
  });

  it("streams an answer through the official client with its tokens in order (the same text as unstreamed, on the other replica)", { timeout: QUEUE_TEST_TIMEOUT_MS }, async () => {
    const messages = [{ role: "user" as const, content: "Reverse the word conclave." }];
    const stream = await apis[0]!.openai.chat.completions.create({ model: "zoo-letters", messages, temperature: 0, stream: true, stream_options: { include_usage: true } });
    const pieces: string[] = [];
    let finish: string | null | undefined;
    let usage: OpenAI.CompletionUsage | undefined | null;
    for await (const chunk of stream) {
      const choice = chunk.choices[0];
      if (choice?.delta.content) pieces.push(choice.delta.content);
      if (choice?.finish_reason) finish = choice.finish_reason;
      if (chunk.usage) usage = chunk.usage;
    }
    const whole = await apis[1]!.openai.chat.completions.create({ model: "zoo-letters", messages, temperature: 0 });
    expect(pieces.length).toBeGreaterThan(1);
    expect(pieces.join("")).toBe(whole.choices[0]!.message.content);
    expect(finish).toBe("stop");
    expect(usage?.completion_tokens).toBe(whole.usage?.completion_tokens);
    // A routed request (tag, recruit, vote in the front door; three experts on the workers) streams too.
    const routed = await apis[1]!.openai.chat.completions.create({ model: "conclave", messages: [{ role: "user", content: "What is 47 plus 38?" }], stream: true });
    let text = "";
    for await (const chunk of routed) text += chunk.choices[0]?.delta.content ?? "";
    expect(text.length).toBeGreaterThan(0);
  });

  it("a client that disconnects mid-stream cancels the generation on the worker and frees its sequence", { timeout: QUEUE_TEST_TIMEOUT_MS }, async () => {
    const before = await registry();
    const controller = new AbortController();
    const stream = await apis[0]!.openai.chat.completions.create(
      { model: "endless", messages: [{ role: "user", content: "Go on forever." }], max_tokens: 400, stream: true },
      { signal: controller.signal },
    );
    let pieces = 0;
    // The SDK ends the iteration quietly when its signal aborts.
    await (async () => {
      for await (const chunk of stream) {
        if (chunk.choices[0]?.delta.content) pieces += 1;
        if (pieces === 3) controller.abort();
      }
    })().catch(() => undefined);
    expect(pieces).toBe(3);
    await waitFor(
      async () => {
        const views = await registry();
        return total(views, "inFlight", "endless") === 0 && cancelled(views) > cancelled(before);
      },
      "the worker to stop the generation on the cancel and free its sequence",
      { failIf: anyDied },
    );
  });

  it("a worker killed mid-stream ends the stream with a clean 503 error chunk; the next request runs on another worker", { timeout: QUEUE_TEST_TIMEOUT_MS }, async () => {
    const stream = await apis[1]!.openai.chat.completions.create({ model: "endless", messages: [{ role: "user", content: "Tell me more." }], max_tokens: 400, stream: true });
    let pieces = 0;
    let victim: string | undefined;
    const consumed = (async () => {
      for await (const chunk of stream) {
        if (chunk.choices[0]?.delta.content) pieces += 1;
        if (pieces === 2) {
          // The holder is the worker running it, as the registry says (published every heartbeat).
          await waitFor(async () => (victim = (await registry()).find((w) => (w.inFlight["endless"] ?? 0) > 0)?.id) !== undefined, "the registry to show who runs it");
          const child = workers.find((w) => w.name === victim)!;
          workers = workers.filter((w) => w !== child);
          await child.stop("SIGKILL");
        }
      }
    })();
    const error = await consumed.then(() => undefined, (thrown: unknown) => thrown);
    expect(victim).toBeDefined();
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as InstanceType<typeof OpenAI.APIError>).code).toBe("worker_lost");
    const after = await apis[0]!.openai.chat.completions.create({ model: "endless", messages: [{ role: "user", content: "Again." }], max_tokens: 4 });
    expect(after.usage?.completion_tokens).toBe(4);
    await waitFor(
      async () => (await registry()).some((w) => w.alive && w.id !== victim && (w.served["endless"] ?? 0) > 0),
      "the registry to show which live worker served the next request",
      { failIf: anyDied },
    );
    expect((await registry()).find((w) => w.id === victim)?.alive ?? false).toBe(false);
  });
});
