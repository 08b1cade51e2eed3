/** `conclave batch submit|status|results|cancel` against a real server on a real port. */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../helpers/cli.js";
import { disposeRuntime } from "../../../experts/llama/runtime.js";
import { startTestServer, type TestServer } from "../http/fixture.js";

let t: TestServer;
let address: string;
beforeAll(async () => {
  t = await startTestServer();
  address = await t.listen();
});
afterAll(async () => {
  await t.close();
  await disposeRuntime();
});

const cli = (...args: string[]) => runCli(args);

describe("conclave batch submit / status / results", () => {
  it("submits, follows to completion and writes the output and error files", async () => {
    const input = join(t.dir, "submit.jsonl");
    const lines = ["Add 2 and 3.", "Name a SQL join.", "What is DNA?"].map((q, i) => JSON.stringify({ custom_id: `s${i}`, messages: [{ role: "user", content: q }], max_tokens: 2 }));
    await writeFile(input, [...lines, "{broken"].join("\n"));
    const output = join(t.dir, "submit-out.jsonl");
    const errors = join(t.dir, "submit-err.jsonl");
    const submitted = await cli("batch", "submit", input, "--server", address, "-o", output, "--errors", errors, "--no-progress");
    expect(submitted.code).toBe(0);
    const id = /submitted (batch_[\w-]+)/.exec(submitted.stdout)![1]!;
    expect(submitted.stdout).toMatch(/completed {2}3\/4 done, 1 failed/);
    const written = (await readFile(output, "utf8")).trim().split("\n").map((l) => JSON.parse(l).custom_id);
    expect(written).toEqual(["s0", "s1", "s2"]);
    expect((await readFile(errors, "utf8")).trim().split("\n")).toHaveLength(1);

    const status = await cli("batch", "status", id, "--server", address, "--json");
    expect(JSON.parse(status.stdout)).toMatchObject({ id, status: "completed", request_counts: { total: 4, completed: 3, failed: 1 } });
    const results = await cli("batch", "results", id, "--server", address);
    expect(results.stdout.trim().split("\n").filter((l) => l.startsWith("{"))).toHaveLength(3);
  });

  it("reports an unknown batch and an unreachable server clearly", async () => {
    const unknown = await cli("batch", "status", "batch_nope", "--server", address);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/404 batch_not_found/);
    const down = await cli("batch", "cancel", "batch_x", "--server", "http://127.0.0.1:1");
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/cannot reach the conclave server/);
  });
});
