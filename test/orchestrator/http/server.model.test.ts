/** Every route and error of the HTTP door, through inject(), on real generated MoE experts. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { disposeRuntime } from "../../../experts/llama/runtime.js";
import { ask, startTestServer, type TestServer } from "./fixture.js";

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ bodyLimit: "64KB" });
});
afterAll(async () => {
  await t.close();
  await disposeRuntime();
});

const post = (url: string, payload: unknown, headers: Record<string, string> = {}) => t.server.app.inject({ method: "POST", url, payload: payload as object, headers });

describe("POST /v1/chat/completions", () => {
  it("answers in OpenAI's shape with the routing trace in the body and headers", async () => {
    const response = await post("/v1/chat/completions", ask("Solve for x: 2x + 3 = 7", { max_tokens: 3 }));
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body).toMatchObject({ object: "chat.completion", model: "conclave", choices: [{ index: 0, message: { role: "assistant" } }] });
    expect(body.id).toMatch(/^chatcmpl-/);
    expect(body.usage.total_tokens).toBe(body.usage.prompt_tokens + body.usage.completion_tokens);
    expect(body.conclave.skills[0].skill).toBe("algebra");
    expect(body.conclave.recruitment.recruits[0].expertId).toBe("demo-math");
    expect(response.headers["x-conclave-experts"]).toMatch(/^demo-math;weight=/);
    expect(response.headers["x-conclave-skills"]).toMatch(/^algebra;score=/);
    expect(response.headers["x-conclave-time-ms"]).toMatch(/total=\d/);
  });

  it("bypasses routing when the model is an expert id", async () => {
    const response = await post("/v1/chat/completions", ask("hello", { model: "demo-law", max_tokens: 2 }));
    expect(response.statusCode).toBe(200);
    expect(response.json().model).toBe("demo-law");
    expect(response.json().conclave.recruitment).toMatchObject({ strategy: "direct", recruits: [{ expertId: "demo-law" }] });
  });

  it("streams chat.completion.chunk events, the trace, usage, then [DONE]", async () => {
    const response = await post("/v1/chat/completions", ask("Write a SQL query", { max_tokens: 4, stream: true, stream_options: { include_usage: true } }));
    expect(response.statusCode).toBe(200);
    expect(response.headers["content-type"]).toMatch(/text\/event-stream/);
    expect(response.headers["x-conclave-experts"]).toMatch(/demo-code/);
    const events = response.body.split("\n\n").filter(Boolean).map((e) => e.replace(/^data: /, ""));
    expect(events.at(-1)).toBe("[DONE]");
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e));
    expect(chunks.every((c) => c.object === "chat.completion.chunk")).toBe(true);
    expect(chunks[0].choices[0].delta.role).toBe("assistant");
    const finish = chunks.find((c) => c.choices[0]?.finish_reason);
    expect(finish.conclave.aggregation.method).toBeDefined();
    const usage = chunks.at(-1);
    expect(usage.choices).toEqual([]);
    expect(usage.usage.completion_tokens).toBeGreaterThan(0);
  });

  it("names the bad field in a 400 in OpenAI's error shape", async () => {
    const missing = await post("/v1/chat/completions", { model: "conclave" });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().error).toMatchObject({ type: "invalid_request_error", code: "invalid_request", param: "messages" });
    const role = await post("/v1/chat/completions", { messages: [{ role: "robot", content: "x" }] });
    expect(role.json().error.param).toBe("messages[0].role");
    const tokens = await post("/v1/chat/completions", ask("x", { max_tokens: -1 }));
    expect(tokens.json().error.param).toBe("max_tokens");
    const json = await t.server.app.inject({ method: "POST", url: "/v1/chat/completions", payload: "{nope", headers: { "content-type": "application/json" } });
    expect(json.statusCode).toBe(400);
    expect(json.json().error.code).toBe("invalid_request");
  });

  it("refuses what it cannot honour and reports what it ignores", async () => {
    const n = await post("/v1/chat/completions", ask("x", { n: 2 }));
    expect(n.statusCode).toBe(400);
    expect(n.json().error).toMatchObject({ code: "unsupported_parameter", param: "n" });
    const tools = await post("/v1/chat/completions", ask("x", { tools: [{ type: "function", function: { name: "f" } }] }));
    expect(tools.json().error.param).toBe("tools");
    const ignored = await post("/v1/chat/completions", ask("hi", { max_tokens: 2, presence_penalty: 0.5, some_future_field: true }));
    expect(ignored.statusCode).toBe(200);
    expect(ignored.headers["x-conclave-warnings"]).toMatch(/presence_penalty is not supported/);
    expect(ignored.json().conclave.warnings[0]).toMatch(/presence_penalty/);
  });

  it("returns 404 for an unknown model and 413 for a body over the limit", async () => {
    const unknown = await post("/v1/chat/completions", ask("x", { model: "gpt-17" }));
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error).toMatchObject({ code: "model_not_found", param: "model" });
    const big = await post("/v1/chat/completions", ask("x".repeat(70_000)));
    expect(big.statusCode).toBe(413);
    expect(big.json().error.code).toBe("body_too_large");
  });

  it("follows a JSON schema given as response_format", async () => {
    const schema = { type: "object", properties: { answer: { type: "string", enum: ["yes", "no"] } }, required: ["answer"] };
    const response = await post("/v1/chat/completions", ask("Is water wet?", { model: "demo-science", max_tokens: 60, temperature: 0, response_format: { type: "json_schema", json_schema: { name: "a", schema } } }));
    expect(response.statusCode).toBe(200);
    expect(["yes", "no"]).toContain(JSON.parse(response.json().choices[0].message.content).answer);
    // Through the whole ensemble too: every expert and the aggregator write under the grammar.
    const routed = await post("/v1/chat/completions", ask("Is a verbal contract binding? Answer yes or no.", { max_tokens: 60, temperature: 0, response_format: { type: "json_schema", json_schema: { name: "a", schema } } }));
    expect(routed.statusCode).toBe(200);
    expect(routed.json().conclave.recruitment.recruits.length).toBeGreaterThan(1);
    expect(["yes", "no"]).toContain(JSON.parse(routed.json().choices[0].message.content).answer);
    const object = await post("/v1/chat/completions", ask("Give JSON", { model: "demo-science", max_tokens: 40, response_format: { type: "json_object" } }));
    expect(object.statusCode).toBe(200);
    const content = object.json().choices[0].message.content as string;
    expect(content.trimStart().startsWith("{")).toBe(true);
  });

  it("lets concurrent requests for one expert share its resident model and sequences", async () => {
    const before = t.orchestrator.stats().experts["demo-code"]!;
    const responses = await Promise.all(Array.from({ length: 6 }, (_, i) => post("/v1/chat/completions", ask(`q${i}`, { model: "demo-code", max_tokens: 8 }))));
    expect(responses.every((r) => r.statusCode === 200)).toBe(true);
    const after = t.orchestrator.stats().experts["demo-code"]!;
    expect(after.loads).toBe(1);
    expect(after.served - before.served).toBe(6);
    expect(after.peakInFlight).toBe(4);
  });
});

describe("other routes", () => {
  it("lists the ensemble and every expert with MoE shape and residency", async () => {
    const response = await t.server.app.inject({ method: "GET", url: "/v1/models" });
    const data = response.json().data as Array<{ id: string; conclave: Record<string, unknown> }>;
    expect(data[0]).toMatchObject({ id: "conclave", object: "model", conclave: { kind: "ensemble", synthetic: true } });
    const law = data.find((m) => m.id === "demo-law")!;
    expect(law.conclave).toMatchObject({ kind: "expert", backend: "llama", shape: { expertCount: 8, expertUsedCount: 2 }, available: true });
    expect(typeof law.conclave["resident"]).toBe("boolean");
    expect((await t.server.app.inject({ method: "GET", url: "/v1/models/demo-law" })).json().id).toBe("demo-law");
    expect((await t.server.app.inject({ method: "GET", url: "/v1/models/nope" })).statusCode).toBe(404);
  });

  it("routes without generating", async () => {
    const served = () => Object.values(t.orchestrator.stats().experts).reduce((s, e) => s + e.served, 0);
    const before = served();
    const response = await post("/v1/route", ask("How do enzymes speed up reactions in biology?"));
    expect(response.statusCode).toBe(200);
    expect(response.json().skills[0].skill).toBe("biology");
    expect(response.json().recruitment.recruits[0].expertId).toBe("demo-science");
    expect(served()).toBe(before);
    expect((await post("/v1/route", {})).json().error.param).toBe("messages");
  });

  it("serves health, readiness, metrics and OpenAPI docs; unknown routes get an OpenAI-shaped 404", async () => {
    expect((await t.server.app.inject({ url: "/healthz" })).json()).toEqual({ status: "ok" });
    expect((await t.server.app.inject({ url: "/readyz" })).json()).toMatchObject({ status: "ready", available_experts: 5 });
    const metrics = await t.server.app.inject({ url: "/metrics" });
    expect(metrics.headers["content-type"]).toMatch(/text\/plain/);
    expect(metrics.body).toMatch(/conclave_model_loads_total\{expert="demo-math"\} 1/);
    expect(metrics.body).toMatch(/conclave_http_requests_total\{route="\/v1\/chat\/completions",method="POST",status="200"\} \d+/);
    expect(metrics.body).toMatch(/conclave_http_request_duration_seconds_bucket/);
    expect(metrics.body).toMatch(/conclave_tokens_total\{kind="completion"\} [1-9]/);
    expect(metrics.body).toMatch(/conclave_model_memory_bytes\{expert="demo-code",kind="ram"\} [1-9]/);
    expect(metrics.body).toMatch(/conclave_expert_backlog\{expert="demo-law"\} 0/);
    const docs = await t.server.app.inject({ url: "/docs/json" });
    expect(Object.keys(docs.json().paths)).toEqual(expect.arrayContaining(["/v1/chat/completions", "/v1/models", "/v1/route"]));
    expect(docs.json().paths["/v1/chat/completions"].post.requestBody.content["application/json"].schema.properties.messages).toBeDefined();
    expect((await t.server.app.inject({ url: "/docs" })).statusCode).toBeLessThan(400);
    const missing = await t.server.app.inject({ url: "/v2/nothing" });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe("route_not_found");
  });
});
