/**
 * `conclave worker` while Redis is out of reach: it says so in one warning line per distinct message
 * (not one per BullMQ worker, queue and reconnection attempt: a minute of outage printed ~3,700 lines
 * per worker, stack traces included), and works on once Redis is back.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it, vi } from "vitest";
import { parseConfig } from "../../../orchestrator/config/load.js";
import { Orchestrator } from "../../../orchestrator/orchestrator.js";
import { quietRepeats, workerCommand } from "../../../orchestrator/cli/worker.js";
import { disposeRuntime } from "../../../experts/llama/runtime.js";
import { redisServer, startRedis, type TestRedis } from "../../helpers/redis.js";
import { QUEUE_TEST_TIMEOUT_MS, waitFor } from "../../helpers/wait.js";

const REDIS = redisServer();
const cleanups: Array<() => Promise<unknown>> = [];

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  await disposeRuntime();
});

it("prints a repeated warning once per window", () => {
  const lines: string[] = [];
  let clock = 0;
  const warn = quietRepeats((text) => lines.push(text), 1000, (error: Error) => `warning: ${error.message}`, () => clock);
  for (let i = 0; i < 5; i++) warn(new Error("connect ECONNREFUSED"));
  warn(new Error("another"));
  clock = 1000;
  warn(new Error("connect ECONNREFUSED"));
  expect(lines).toEqual(["warning: connect ECONNREFUSED", "warning: another", "warning: connect ECONNREFUSED"]);
});

it.skipIf(!REDIS)(
  "reports a Redis outage in a line or two, without stack traces, and drains again once Redis is back",
  async () => {
    let redis: TestRedis = await startRedis(REDIS);
    cleanups.push(() => redis.stop());
    const dir = await mkdtemp(join(tmpdir(), "conclave-outage-"));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    // The embedded zoo (no experts listed), in fleet mode: online runner, heartbeat and placement too.
    const orchestrator = await Orchestrator.create(
      parseConfig({ runtime: { gpu: false, maxThreads: 1 }, server: { execution: "fleet", heartbeatMs: 200 }, batches: { dir } }, dir),
    );
    cleanups.push(() => orchestrator.close());
    const lines: string[] = [];
    let stop: (signal: string) => void = () => undefined;
    const stopped = new Promise<string>((resolve) => (stop = resolve));
    const printed = vi.spyOn(console, "error").mockImplementation(() => undefined);
    cleanups.push(async () => printed.mockRestore());
    const done = workerCommand(orchestrator, { env: { REDIS_URL: redis.url }, print: (text) => lines.push(text), stopped, workerId: "outage" });
    await waitFor(() => lines.some((line) => line.startsWith("conclave worker outage")), "the worker to start");
    // Let the placement open its queues, then take Redis away for a while.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const before = lines.length;
    await redis.stop();
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const during = lines.slice(before);
    expect(printed.mock.calls.map((call) => String(call[0]).split("\n")[0])).toEqual([]);
    expect(during.length).toBeGreaterThan(0);
    expect(during.length).toBeLessThanOrEqual(2);
    expect(new Set(during).size).toBe(during.length);
    redis = await startRedis(REDIS, redis.port);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    stop("SIGTERM");
    await done;
    expect(lines.at(-1)).toMatch(/^drained /);
  },
  QUEUE_TEST_TIMEOUT_MS,
);
