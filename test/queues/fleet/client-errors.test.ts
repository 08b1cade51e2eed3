/**
 * The front door's fleet client while Redis is out of reach: its connections report the outage once
 * (onError) instead of ioredis printing "[ioredis] Unhandled error event" and a stack trace at every
 * reconnection attempt, which filled a replica's log with about a hundred traces a minute.
 */
import { afterEach, expect, it, vi } from "vitest";
import { FleetClient } from "../../../queues/fleet/client.js";

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
