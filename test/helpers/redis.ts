/**
 * A private redis-server for one test file: started on a free port with persistence off, ready
 * once it answers PING, killed by `stop()`. Tests use unique key prefixes on top of it.
 *
 * The binary is `REDIS_SERVER` when set, else `redis-server` on PATH (Debian puts it in /usr/bin,
 * Homebrew in /opt/homebrew/bin or /usr/local/bin). Where there is none, `redisServer()` says in one
 * line what to install and the queue tests are skipped; under CI=true the missing server is an error.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { Redis } from "ioredis";
import { findBinary, requiredBinary, type BinarySpec } from "./binaries.js";

export interface TestRedis {
  url: string;
  port: number;
  stop(): Promise<void>;
}

const REDIS: BinarySpec = {
  envVar: "REDIS_SERVER",
  names: ["redis-server"],
  tier: "the queue tests",
  installHint:
    "redis-server not found (set REDIS_SERVER or put it on PATH: `apt-get install redis-server` on Debian/Ubuntu, `brew install redis` on macOS)",
};

/** Finds the redis-server binary: REDIS_SERVER, then PATH. Undefined when there is none. */
export const findRedisServer = (env: NodeJS.ProcessEnv = process.env): string | undefined => findBinary(REDIS, env);

/**
 * The binary for this run's queue tests, or undefined to skip them (after one line that says what to
 * install). Under CI=true a missing server throws: CI must never pass by skipping the queue tier.
 */
export const redisServer = (env: NodeJS.ProcessEnv = process.env): string | undefined => requiredBinary(REDIS, env);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function ping(url: string): Promise<boolean> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on("error", () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === "PONG";
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/**
 * Starts a server and resolves once it answers PING; rejects with its exit code if it dies first.
 * `port`: a given one (to bring a stopped server back where its clients reconnect), else a free one.
 */
export async function startRedis(binary = redisServer(), port?: number): Promise<TestRedis> {
  if (!binary) throw new Error(REDIS.installHint);
  port ??= await freePort();
  const child: ChildProcess = spawn(binary, ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
    stdio: "ignore",
  });
  let spawnError: Error | undefined;
  child.once("error", (error) => (spawnError = error));
  const exited = new Promise<void>((resolve) => child.once("close", () => resolve()));
  const url = `redis://127.0.0.1:${port}`;
  // No wall-clock deadline: a loaded machine may take long to start it; the test's own timeout bounds
  // the wait, and a server that exits (bad binary, port taken) fails at once.
  while (!(await ping(url))) {
    if (spawnError) throw new Error(`${binary} could not start: ${spawnError.message}`);
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${binary} exited (${child.exitCode ?? child.signalCode}) before answering on port ${port}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url,
    port,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
  };
}
