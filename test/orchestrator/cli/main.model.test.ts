/**
 * The CLI as a user runs it, on the embedded demo pool (generated into a temp models dir): `run`
 * prints an answer and its routing trace; `batch` writes one line per input line, a bad line fails
 * alone, and the JSON summary counts one load per model.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../helpers/cli.js";

let dir: string;
let configPath: string;

const cli = (...args: string[]) => runCli(["--config", configPath, ...args]);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "conclave-cli-"));
  configPath = join(dir, "conclave.yaml");
  // No experts: the embedded demo pool, written into this test's own models dir.
  await writeFile(configPath, ["runtime:", "  gpu: false", "  maxThreads: 2", "models:", "  dir: ./models", "  embedded: synthetic", "generation:", "  maxTokens: 6", "aggregation:", "  maxTokens: 6", ""].join("\n"));
});

afterAll(() => rm(dir, { recursive: true, force: true }));

describe("conclave CLI on the demo pool", () => {
  it("run: prints the answer and a routing trace, and says the pool is synthetic", async () => {
    const result = await cli("run", "Solve for x: 2x + 3 = 11", "--max-tokens", "4");
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/synthetic/);
    expect(result.stdout).toMatch(/skills\s+algebra/);
    expect(result.stdout).toMatch(/demo-math/);
    expect(result.stdout).toMatch(/aggregation /);
    expect(result.stdout).toMatch(/time\s+tag \d+ ms/);
  });

  it("batch: one output line per input line in order, a bad line fails alone, summary as JSON", async () => {
    const input = join(dir, "in.jsonl");
    const questions = ["What is 12 times 7?", "Write a SQL query that counts users.", "Is an oral contract binding?", "How do enzymes work?"];
    const lines = Array.from({ length: 8 }, (_, i) => JSON.stringify({ custom_id: `r${i}`, messages: [{ role: "user", content: questions[i % 4] }], max_tokens: 3 }));
    lines.splice(3, 0, '{"custom_id": "broken", "messages": "not a list"}');
    await writeFile(input, lines.join("\n") + "\n");
    const output = join(dir, "out", "out.jsonl");
    const summaryPath = join(dir, "out", "summary.json");
    const result = await cli("batch", input, "-o", output, "--summary", summaryPath, "--no-progress");
    expect(result.code).toBe(0);
    const written = (await readFile(output, "utf8")).trim().split("\n").map((l) => JSON.parse(l) as { custom_id: string; response: { status_code: number } | null; error: { code: string } | null });
    expect(written.map((l) => l.custom_id)).toEqual(["r0", "r1", "r2", "broken", "r3", "r4", "r5", "r6", "r7"]);
    expect(written[3]!.error?.code).toBe("batch_line_invalid");
    expect(written.filter((l) => l.response?.status_code === 200)).toHaveLength(8);
    const summary = JSON.parse(await readFile(summaryPath, "utf8")) as { instances: number; loads: Record<string, number>; wallMs: number; peakRssBytes: number; failed: number };
    expect(summary.instances).toBe(9);
    expect(summary.failed).toBe(1);
    expect(Object.values(summary.loads).every((n) => n <= 1)).toBe(true);
    expect(Object.values(summary.loads).filter((n) => n === 1).length).toBeGreaterThanOrEqual(4);
    expect(summary.wallMs).toBeGreaterThan(0);
    expect(summary.peakRssBytes).toBeGreaterThan(10 * 2 ** 20);
    expect(result.stdout).toMatch(/instances\s+9 \(8 ok, 1 failed\)/);
  });

  it("exits 2 with the key named when the config is invalid", async () => {
    const bad = join(dir, "bad.yaml");
    await writeFile(bad, "routing:\n  k: 0\n");
    const saved = configPath;
    configPath = bad;
    try {
      const result = await cli("models");
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/routing\.k/);
    } finally {
      configPath = saved;
    }
  });
});
