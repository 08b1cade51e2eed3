/**
 * The front door's fleet client while Redis is out of reach: its connections report the outage once
 * (onError) instead of ioredis printing "[ioredis] Unhandled error event" and a stack trace at every
 * reconnection attempt, which filled a replica's log with about a hundred traces a minute.
 */
import { afterEach, expect, it, vi } from "vitest";
import { FleetClient } from "../../../queues/fleet/client.js";
import { redisServer, startRedis } from "../../helpers/redis.js";

afterEach(() => vi.restoreAllMocks());

it("reports a Redis outage once, and never as an unhandled ioredis error event", async () => {
  const printed = vi.spyOn(console, "error").mockImplementation(() => undefined);
  const reported: Error[] = [];
  // Port 1: nothing listens, every connection attempt is refused at once.
  const client = new FleetClient({ redisUrl: "redis://127.0.0.1:1", prefix: "unreachable", heartbeatMs: 100, onError: (error) => reported.push(error) });
  try {
    // ioredis retries after 50, 100, 150... ms: several refused attempts within this time.
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(printed.mock.calls.filter((call) => String(call[0]).includes("Unhandled error event"))).toEqual([]);
    expect(reported).toHaveLength(1);
    expect(reported[0]!.message).toMatch(/ECONNREFUSED/);
  } finally {
    await client.close();
  }
});

const REDIS = redisServer();

it.skipIf(!REDIS)("stays quiet when Redis goes away after its expert queues were opened", async () => {
  const redis = await startRedis(REDIS);
  const reported: Error[] = [];
  const client = new FleetClient({ redisUrl: redis.url, prefix: `errors${process.pid}`, heartbeatMs: 100, onError: (error) => reported.push(error) });
  try {
    // A call opens the expert's queue (and a reader); no worker serves it, so it ends after three heartbeats.
    await expect(client.submit("x", { messages: [{ role: "user", content: "hi" }], params: { maxTokens: 1 } })).rejects.toMatchObject({ code: "NO_EXPERT_AVAILABLE" });
    const printed = vi.spyOn(console, "error").mockImplementation(() => undefined);
    await redis.stop();
    await new Promise((resolve) => setTimeout(resolve, 600));
    // BullMQ's Queue prints an error event nobody listens to with console.error.
    expect(printed.mock.calls.map((call) => String(call[0]))).toEqual([]);
    expect(reported).toHaveLength(1);
  } finally {
    await client.close();
    await redis.stop();
  }
});
