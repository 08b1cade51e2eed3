import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { findRedisServer, redisServer } from "./redis.js";

let dir: string;
let fake: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "conclave-redis-bin-"));
  fake = join(dir, "redis-server");
  await writeFile(fake, "#!/bin/sh\n");
  await chmod(fake, 0o755);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("finding redis-server", () => {
  it("takes REDIS_SERVER first, then the first match on PATH, and nothing that is not executable", async () => {
    expect(findRedisServer({ REDIS_SERVER: fake, PATH: "" })).toBe(fake);
    expect(findRedisServer({ PATH: ["/nonexistent", dir].join(delimiter) })).toBe(fake);
    expect(findRedisServer({ REDIS_SERVER: join(dir, "missing"), PATH: dir })).toBeUndefined();
    const plain = join(dir, "plain");
    await writeFile(plain, "");
    expect(findRedisServer({ REDIS_SERVER: plain, PATH: "" })).toBeUndefined();
    expect(findRedisServer({ PATH: "" })).toBeUndefined();
  });

  it("skips with one line naming what to install, except under CI=true where it fails", () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    try {
      expect(redisServer({ PATH: "" })).toBeUndefined();
      expect(redisServer({ PATH: "" })).toBeUndefined();
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0]![0])).toMatch(/skipping the queue tests: redis-server not found .*apt-get install redis-server/);
    } finally {
      warn.mockRestore();
    }
    expect(() => redisServer({ PATH: "", CI: "true" })).toThrow(/CI=true requires the queue tests to run/);
    expect(redisServer({ PATH: dir, CI: "true" })).toBe(fake);
  });
});
