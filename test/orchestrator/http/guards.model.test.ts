/**
 * The server's guards on real sockets and real models: API keys, per-key rate limits, the bounded
 * backlog (429 + Retry-After), a client disconnect freeing its sequence, graceful shutdown.
 */
import { request as httpRequest } from "node:http";
import { afterAll, describe, expect, it } from "vitest";
import { disposeRuntime } from "../../../experts/llama/runtime.js";
import { ask, startTestServer, type TestServer } from "./fixture.js";

const open: TestServer[] = [];
async function server(...args: Parameters<typeof startTestServer>): Promise<TestServer> {
  const started = await startTestServer(...args);
  open.push(started);
  return started;
}
afterAll(async () => {
  for (const s of open) await s.close();
  await disposeRuntime();
});

const until = async (condition: () => boolean, timeoutMs = 10_000) => {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

describe("API keys and rate limits", () => {
  it("needs a configured bearer key on the API but not on probes", async () => {
    const t = await server({}, ["key-one", "key-two"]);
    const chat = (authorization?: string) =>
      t.server.app.inject({ method: "POST", url: "/v1/chat/completions", payload: ask("hi", { max_tokens: 1 }), headers: authorization ? { authorization } : {} });
    const missing = await chat();
    expect(missing.statusCode).toBe(401);
    expect(missing.json().error.code).toBe("invalid_api_key");
    expect((await chat("Bearer key-three")).statusCode).toBe(401);
    expect((await chat("Bearer key-two")).statusCode).toBe(200);
    expect((await t.server.app.inject({ url: "/v1/models" })).statusCode).toBe(401);
    expect((await t.server.app.inject({ url: "/healthz" })).statusCode).toBe(200);
    expect((await t.server.app.inject({ url: "/metrics" })).statusCode).toBe(200);
  });

  it("limits requests per key per minute with 429 and Retry-After", async () => {
    const t = await server({ rateLimitPerMinute: 2 }, ["a", "b"]);
    const models = (key: string) => t.server.app.inject({ url: "/v1/models", headers: { authorization: `Bearer ${key}` } });
    expect((await models("a")).statusCode).toBe(200);
    expect((await models("a")).statusCode).toBe(200);
    const limited = await models("a");
    expect(limited.statusCode).toBe(429);
    expect(limited.json().error).toMatchObject({ code: "rate_limited", type: "rate_limit_error" });
    expect(Number(limited.headers["retry-after"])).toBeGreaterThan(0);
    expect((await models("b")).statusCode).toBe(200); // another key has its own budget
  });

  it("limits by client address when no keys are configured, whatever token is sent", async () => {
    const t = await server({ rateLimitPerMinute: 2 });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await t.server.app.inject({ url: "/v1/models", headers: { authorization: `Bearer random-${i}` } })).statusCode);
    expect(statuses).toEqual([200, 200, 429]);
  });

  it("refuses a batch file over batches.maxFileBytes with 413", async () => {
    const t = await server({}, [], { batches: { maxFileBytes: 1000 } });
    const boundary = "----conclave";
    const body = [`--${boundary}`, 'Content-Disposition: form-data; name="purpose"', "", "batch", `--${boundary}`, 'Content-Disposition: form-data; name="file"; filename="big.jsonl"', "Content-Type: application/jsonl", "", "x".repeat(5000), `--${boundary}--`, ""].join("\r\n");
    const response = await t.server.app.inject({ method: "POST", url: "/v1/files", payload: body, headers: { "content-type": `multipart/form-data; boundary=${boundary}` } });
    expect(response.statusCode).toBe(413);
    expect(response.json().error.code).toBe("body_too_large");
  });
});

describe("capacity and cancellation", () => {
  it("answers 429 with Retry-After once the pending online requests reach the bound, not counting batch work", async () => {
    const t = await server({ maxBacklog: 2, retryAfterSeconds: 3 });
    await t.orchestrator.scheduler.submit("demo-math", { messages: [{ role: "user", content: "warm up" }], params: { maxTokens: 1 } });
    // Batch-like work straight on the scheduler fills the backlog but is not online traffic.
    const batchWork = Array.from({ length: 8 }, (_, i) => t.orchestrator.scheduler.submit("demo-math", { messages: [{ role: "user", content: `b${i}` }], params: { maxTokens: 100 } }));
    const quick = await t.server.app.inject({ method: "POST", url: "/v1/chat/completions", payload: ask("hi", { model: "demo-code", max_tokens: 1 }) });
    expect(quick.statusCode).toBe(200);
    const long = (i: number) => t.server.app.inject({ method: "POST", url: "/v1/chat/completions", payload: ask(`q${i}`, { model: "demo-code", max_tokens: 300 }) });
    const running = [long(0), long(1)];
    await until(() => t.orchestrator.stats().experts["demo-code"]!.inFlight === 2);
    const refused = await long(99);
    expect(refused.statusCode).toBe(429);
    expect(refused.json().error.code).toBe("over_capacity");
    expect(refused.headers["retry-after"]).toBe("3");
    expect((await Promise.all(running)).every((r) => r.statusCode === 200)).toBe(true);
    await Promise.all(batchWork);
  });

  it("frees the sequence at once when a streaming client disconnects", async () => {
    const t = await server();
    const address = new URL(await t.listen());
    const stats = () => t.orchestrator.stats().experts["demo-code"]!;
    // 900 tokens: most of what the demo's 1024-token context leaves beside the prompt.
    const body = JSON.stringify(ask("Write a long SQL tutorial", { model: "demo-code", max_tokens: 900, stream: true }));
    const started = Date.now();
    await new Promise<void>((resolve, reject) => {
      const req = httpRequest({ host: address.hostname, port: address.port, path: "/v1/chat/completions", method: "POST", headers: { "content-type": "application/json" } }, (res) => {
        let chunks = 0;
        res.on("data", () => {
          chunks += 1;
          // A few tokens in, the client goes away.
          if (chunks === 3) {
            req.destroy();
            resolve();
          }
        });
      });
      req.on("error", (error) => (error.message.includes("socket hang up") ? undefined : reject(error)));
      req.end(body);
    });
    await until(() => stats().inFlight === 0, 5_000);
    expect(stats().failed).toBe(1); // the generation was cancelled, not finished
    expect(Date.now() - started).toBeLessThan(5_000);
    const metrics = await t.server.app.inject({ url: "/metrics" });
    expect(metrics.body).toMatch(/conclave_expert_in_flight\{expert="demo-code"\} 0/);
  });

  it("shuts down gracefully: refuses new work, cancels what outlives the deadline", async () => {
    const t = await server({ shutdownTimeoutMs: 300 });
    const address = await t.listen();
    const inFlight = fetch(`${address}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(ask("long", { model: "demo-law", max_tokens: 950 })) }).then(
      (response) => response.status,
      () => "connection closed",
    );
    await until(() => t.orchestrator.stats().experts["demo-law"]!.inFlight === 1);
    const closing = t.server.close();
    // New connections are refused (a keep-alive one would get 503); probes see the server going.
    const probe = await fetch(`${address}/readyz`).then((r) => r.status, () => "refused");
    expect([503, "refused"]).toContain(probe);
    const { cancelled } = await closing;
    expect(cancelled).toBe(1);
    expect([499, 503, "connection closed"]).toContain(await inFlight);
    expect(t.orchestrator.stats().experts["demo-law"]!.inFlight).toBe(0);
    expect(await t.server.close()).toEqual({ cancelled: 1 }); // idempotent
  });
});
