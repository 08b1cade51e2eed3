/** `conclave serve` end to end: listens where told, serves, and shuts down when stopped. */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { disposeRuntime } from "../../../experts/llama/runtime.js";
import { serve } from "../../../orchestrator/cli/serve.js";
import { parseConfig } from "../../../orchestrator/config/load.js";
import { Orchestrator } from "../../../orchestrator/orchestrator.js";

afterAll(() => disposeRuntime());

describe("serve", () => {
  it("listens on $PORT, answers, then shuts down on the stop signal", async () => {
    const dir = await mkdtemp(join(tmpdir(), "conclave-serve-"));
    const orchestrator = await Orchestrator.create(
      parseConfig({ runtime: { gpu: false, maxThreads: 2 }, models: { dir: join(dir, "models"), embedded: "synthetic" }, server: { host: "127.0.0.1", port: 1 } }, dir),
    );
    const printed: string[] = [];
    let stop!: (signal: string) => void;
    const stopped = new Promise<string>((resolve) => (stop = resolve));
    let listening!: () => void;
    const ready = new Promise<void>((resolve) => (listening = resolve));
    const running = serve(orchestrator, {
      env: { PORT: "0" }, // PORT wins over server.port (1, which would fail)
      stopped,
      print: (line) => {
        printed.push(line);
        if (line.startsWith("conclave listening")) listening();
      },
    });
    await ready;
    const address = /listening on (http:\/\/[^:]+:\d+)/.exec(printed[0]!)![1]!;
    expect(printed[0]).toMatch(/routes across demo-math, demo-code/);
    const response = await fetch(`${address}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ messages: [{ role: "user", content: "hi" }], max_tokens: 2 }),
    });
    expect(response.status).toBe(200);
    stop("SIGTERM");
    await running;
    expect(printed.some((line) => line.startsWith("SIGTERM: shutting down"))).toBe(true);
    await expect(fetch(`${address}/healthz`)).rejects.toThrow();
    await orchestrator.close();
    await rm(dir, { recursive: true, force: true });
  });
});
