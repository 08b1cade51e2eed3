import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createRemoteExpert, RemoteExpert, type RemoteExpertOptions } from "../../../experts/remote/remote-expert.js";
import type { ExpertBackend, GenerateRequest } from "../../../experts/spec.js";
import { isConclaveError, type ConclaveError } from "../../../kernel/errors.js";
import { completion, delay, sendJson, sseBody, startFakeServer, startSse, type FakeServer } from "./fake-openai.js";

let server: FakeServer;
let expert: ExpertBackend | undefined;

beforeEach(async () => {
  server = await startFakeServer();
});

afterEach(async () => {
  await expert?.close();
  expert = undefined;
  await server.close();
});

function makeExpert(overrides: Partial<RemoteExpertOptions> = {}): ExpertBackend {
  expert = createRemoteExpert({ id: "far", baseUrl: server.baseUrl, model: "m-1", concurrency: 4, timeoutMs: 5_000, maxRetries: 2, ...overrides });
  return expert;
}

function ask(content: string, extra: Partial<GenerateRequest> = {}): GenerateRequest {
  return { messages: [{ role: "user", content }], params: { maxTokens: 32 }, ...extra };
}

/** Awaits a rejection and hands back the ConclaveError, failing the test on success or another error type. */
async function rejection(promise: Promise<unknown>): Promise<ConclaveError> {
  const outcome = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!isConclaveError(outcome)) throw new Error(`expected a ConclaveError, got ${String(outcome)}`);
  return outcome;
}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([promise, delay(ms).then(() => Promise.reject(new Error(`${what} did not happen within ${ms} ms`)))]);
}

describe("non-streaming", () => {
  it("sends the OpenAI request body and auth header, and reads text, finish reason and usage", async () => {
    server.handle((_request, res) => sendJson(res, 200, completion("Paris.", "length", { prompt_tokens: 12, completion_tokens: 3 })));
    const remote = makeExpert({ baseUrl: `${server.baseUrl}/`, apiKey: "sk-test" });
    const schema = { type: "object", properties: { city: { type: "string" } } };
    const result = await remote.doGenerate({
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "Capital of France?", name: "alice" },
      ],
      params: { maxTokens: 16, temperature: 0.2, topP: 0.9, seed: 7, stop: ["\n"], jsonSchema: schema },
    });

    expect(result).toEqual({ text: "Paris.", finishReason: "length", usage: { promptTokens: 12, completionTokens: 3 }, warnings: [] });
    expect(server.requests).toHaveLength(1);
    const [request] = server.requests;
    expect(request?.method).toBe("POST");
    expect(request?.url).toBe("/v1/chat/completions");
    expect(request?.headers.authorization).toBe("Bearer sk-test");
    expect(request?.body).toEqual({
      model: "m-1",
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "Capital of France?", name: "alice" },
      ],
      max_tokens: 16,
      temperature: 0.2,
      top_p: 0.9,
      seed: 7,
      stop: ["\n"],
      response_format: { type: "json_schema", json_schema: { name: "response", schema, strict: true } },
      stream: false,
    });
  });

  it("sends no auth header without a key, and counts missing usage as 0 with finish reason stop", async () => {
    server.handle((_request, res) => sendJson(res, 200, { choices: [{ message: { content: "hi" }, finish_reason: "stop" }] }));
    const result = await makeExpert().doGenerate(ask("hello"));
    expect(result).toEqual({ text: "hi", finishReason: "stop", usage: { promptTokens: 0, completionTokens: 0 }, warnings: [] });
    expect(server.requests[0]?.headers.authorization).toBeUndefined();
  });

  it("reports malformed JSON as REMOTE_EXPERT_ERROR without retrying", async () => {
    server.handle((_request, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end("{not json");
    });
    const error = await rejection(makeExpert({ maxRetries: 3 }).doGenerate(ask("x")));
    expect(error.code).toBe("REMOTE_EXPERT_ERROR");
    expect(error.message).toMatch(/^far: malformed response/);
    expect(server.requests).toHaveLength(1);
  });
});

describe("streaming", () => {
  it("joins SSE pieces split at odd byte boundaries and takes usage from the final chunk", async () => {
    const pieces = ["Hé", "llo ", "wörld ", "🎉", "!"];
    const bytes = Buffer.from(sseBody(pieces, "length", { prompt_tokens: 9, completion_tokens: 5 }), "utf8");
    server.handle(async (_request, res) => {
      startSse(res);
      // Sizes 1..7 cut lines, CRLF pairs and multi-byte characters apart; the pause keeps reads separate.
      for (let offset = 0, size = 1; offset < bytes.length; offset += size, size = (size % 7) + 1) {
        res.write(bytes.subarray(offset, offset + size));
        await delay(1);
      }
      res.end();
    });
    const seen: string[] = [];
    const result = await makeExpert().doGenerate(ask("greet", { onText: (text) => seen.push(text) }));

    expect(seen).toEqual(pieces);
    expect(result).toEqual({ text: "Héllo wörld 🎉!", finishReason: "length", usage: { promptTokens: 9, completionTokens: 5 }, warnings: [] });
    expect(server.requests[0]?.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it("aborts mid-stream promptly with ABORTED and closes the connection", async () => {
    server.handle((_request, res) => {
      startSse(res);
      res.write(`: keep-alive\n\ndata: ${JSON.stringify({ choices: [{ delta: { content: "first " } }] })}\n\n`);
      // ...and never finishes: only the client's abort can end this request.
    });
    const controller = new AbortController();
    const seen: string[] = [];
    const started = Date.now();
    const pending = makeExpert().doGenerate(
      ask("long", {
        signal: controller.signal,
        onText: (text) => {
          seen.push(text);
          setTimeout(() => controller.abort(), 20);
        },
      }),
    );
    const error = await rejection(pending);
    expect(error.code).toBe("ABORTED");
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(seen).toEqual(["first "]);
    await within(server.requests[0]!.closed, 1_000, "server-side connection close");
  });

  it("does not retry once text was emitted, even on a retryable failure", async () => {
    server.handle((_request, res) => {
      startSse(res);
      res.write(`data: ${JSON.stringify({ choices: [{ delta: { content: "partial" } }] })}\n\n`);
      setTimeout(() => res.destroy(), 30);
    });
    const seen: string[] = [];
    const error = await rejection(makeExpert({ maxRetries: 3 }).doGenerate(ask("x", { onText: (text) => seen.push(text) })));
    expect(error.code).toBe("REMOTE_EXPERT_ERROR");
    expect(seen).toEqual(["partial"]);
    expect(server.requests).toHaveLength(1);
  });
});

describe("retries", () => {
  it("retries a 503 and then succeeds after the default backoff", async () => {
    server.handle((_request, res, index) => {
      if (index === 0) sendJson(res, 503, { error: { message: "warming up" } });
      else sendJson(res, 200, completion("ok"));
    });
    const result = await makeExpert().doGenerate(ask("x"));
    expect(result.text).toBe("ok");
    expect(server.requests).toHaveLength(2);
    const gap = server.requests[1]!.at - server.requests[0]!.at;
    expect(gap).toBeGreaterThanOrEqual(180);
    expect(gap).toBeLessThan(900);
  });

  it("gives up after maxRetries with the server's message", async () => {
    server.handle((_request, res) => sendJson(res, 502, { error: { message: "bad gateway upstream" } }));
    const error = await rejection(makeExpert({ maxRetries: 1 }).doGenerate(ask("x")));
    expect(error.code).toBe("REMOTE_EXPERT_ERROR");
    expect(error.message).toBe("far: 502 bad gateway upstream");
    expect(server.requests).toHaveLength(2);
  });

  it("honours Retry-After on 429", async () => {
    server.handle((_request, res, index) => {
      if (index === 0) sendJson(res, 429, { error: { message: "slow down" } }, { "retry-after": "1" });
      else sendJson(res, 200, completion("finally"));
    });
    const result = await makeExpert().doGenerate(ask("x"));
    expect(result.text).toBe("finally");
    expect(server.requests).toHaveLength(2);
    // The default first backoff is 200 ms; a 1 s gap shows the header won.
    expect(server.requests[1]!.at - server.requests[0]!.at).toBeGreaterThanOrEqual(950);
  });

  it("retries a dropped connection", async () => {
    server.handle((_request, res, index) => {
      if (index === 0) res.socket?.destroy();
      else sendJson(res, 200, completion("second time"));
    });
    const result = await makeExpert().doGenerate(ask("x"));
    expect(result.text).toBe("second time");
    expect(server.requests).toHaveLength(2);
  });

  it("does not retry a 400 and carries the server's error.message", async () => {
    server.handle((_request, res) =>
      sendJson(res, 400, { error: { message: "max_tokens is too large", type: "invalid_request_error", param: "max_tokens" } }),
    );
    const error = await rejection(makeExpert({ maxRetries: 3 }).doGenerate(ask("x")));
    expect(error.code).toBe("REMOTE_EXPERT_ERROR");
    expect(error.message).toBe("far: 400 max_tokens is too large");
    expect(server.requests).toHaveLength(1);
  });

  it("uses the raw text of a non-JSON error body", async () => {
    server.handle((_request, res) => {
      res.writeHead(404, { "content-type": "text/plain" });
      res.end("no such route");
    });
    const error = await rejection(makeExpert().doGenerate(ask("x")));
    expect(error.message).toBe("far: 404 no such route");
    expect(server.requests).toHaveLength(1);
  });

  it("times out each attempt and reports the timeout", async () => {
    server.handle(() => undefined); // never answers
    const started = Date.now();
    const error = await rejection(makeExpert({ timeoutMs: 150, maxRetries: 1 }).doGenerate(ask("x")));
    const elapsed = Date.now() - started;
    expect(error.code).toBe("REMOTE_EXPERT_ERROR");
    expect(error.message).toBe("far: request timed out after 150 ms");
    expect(server.requests).toHaveLength(2);
    expect(elapsed).toBeGreaterThanOrEqual(450); // 150 + 200 backoff + 150
    expect(elapsed).toBeLessThan(2_000);
  });

  it("aborts during backoff promptly", async () => {
    server.handle((_request, res) => sendJson(res, 503, { error: { message: "busy" } }, { "retry-after": "4" }));
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const started = Date.now();
    const error = await rejection(makeExpert().doGenerate(ask("x", { signal: controller.signal })));
    expect(error.code).toBe("ABORTED");
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(server.requests).toHaveLength(1);
  });
});

describe("concurrency and lifecycle", () => {
  it("keeps at most `concurrency` requests in flight and serves waiters first come, first served", async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    server.handle(async (request, res) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await delay(60);
      inFlight--; // before answering, so the client cannot start the next one first
      const messages = request.body.messages as Array<{ content: string }>;
      sendJson(res, 200, completion(`echo ${messages[0]?.content}`));
    });
    const remote = makeExpert({ concurrency: 2 });
    const results = await Promise.all(Array.from({ length: 6 }, (_, index) => remote.doGenerate(ask(String(index)))));

    expect(results.map((result) => result.text)).toEqual(["echo 0", "echo 1", "echo 2", "echo 3", "echo 4", "echo 5"]);
    expect(maxInFlight).toBe(2);
    const order = server.requests.map((request) => (request.body.messages as Array<{ content: string }>)[0]?.content);
    expect(order.slice(0, 2).sort()).toEqual(["0", "1"]);
    expect(order.slice(4).sort()).toEqual(["4", "5"]);
  });

  it("aborts a request waiting for a slot without disturbing the one in flight", async () => {
    let release = () => {};
    server.handle((_request, res) => {
      release = () => sendJson(res, 200, completion("done"));
    });
    const remote = makeExpert({ concurrency: 1 });
    const first = remote.doGenerate(ask("first"));
    await within(waitFor(() => server.requests.length === 1), 1_000, "first request");
    const controller = new AbortController();
    const second = remote.doGenerate(ask("second", { signal: controller.signal }));
    controller.abort();
    expect((await rejection(second)).code).toBe("ABORTED");
    release();
    expect((await first).text).toBe("done");
    expect(server.requests).toHaveLength(1);
  });

  it("close() fails in-flight and waiting requests with CLOSED, is idempotent, and refuses new work", async () => {
    server.handle(() => undefined); // hold every request
    // No retries: the in-flight request must be named CLOSED by the attempt itself, not by a backoff.
    const remote = makeExpert({ concurrency: 1, maxRetries: 0 });
    const inFlight = remote.doGenerate(ask("a"));
    const waiting = remote.doGenerate(ask("b"));
    await within(waitFor(() => server.requests.length === 1), 1_000, "first request");

    await within(remote.close(), 1_000, "close");
    expect((await rejection(inFlight)).code).toBe("CLOSED");
    expect((await rejection(waiting)).code).toBe("CLOSED");
    await within(server.requests[0]!.closed, 1_000, "server-side connection close");
    expect(server.requests).toHaveLength(1);

    await expect(remote.close()).resolves.toBeUndefined();
    expect(remote.isLoaded()).toBe(false);
    expect((await rejection(remote.doGenerate(ask("c")))).code).toBe("CLOSED");
    expect((await rejection(remote.ensureLoaded())).code).toBe("CLOSED");
  });

  it("describes itself without touching the network", async () => {
    let calls = 0;
    const remote = new RemoteExpert({
      id: "far",
      baseUrl: server.baseUrl,
      model: "m-1",
      concurrency: 3,
      timeoutMs: 1_000,
      maxRetries: 0,
      description: "a big remote model",
      fetch: (...args) => {
        calls++;
        return fetch(...args);
      },
    });
    expert = remote;
    expect(remote.specVersion).toBe("conclave.expert.v1");
    expect(remote.info).toEqual({ id: "far", kind: "remote", placement: "remote", slots: 3, description: "a big remote model" });
    expect(remote.isLoaded()).toBe(true);
    await remote.ensureLoaded();
    await remote.unload();
    expect(remote.isLoaded()).toBe(true);
    expect(await remote.estimateMemory()).toEqual({ ramBytes: 0, vramBytes: 0 });
    expect(await remote.describe()).toEqual({ architecture: "remote" });
    expect(calls).toBe(0);
    // The injected fetch is the one used for generation.
    server.handle((_request, res) => sendJson(res, 200, completion("via injected fetch")));
    expect((await remote.doGenerate(ask("x"))).text).toBe("via injected fetch");
    expect(calls).toBe(1);
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  while (!condition()) await delay(5);
}

describe("tools", () => {
  const tools = [
    {
      type: "function" as const,
      function: { name: "get_weather", description: "Weather in a city", parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } },
    },
  ];
  const history: GenerateRequest["messages"] = [
    { role: "user", content: "Weather in Paris and Oslo?" },
    { role: "assistant", content: "", toolCalls: [{ id: "call_a", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } }] },
    { role: "tool", content: "18 C", toolCallId: "call_a" },
  ];

  it("passes tools, tool choice and tool messages through unchanged, and returns the calls", async () => {
    const calls = [
      { id: "call_b", type: "function", function: { name: "get_weather", arguments: '{"city":"Oslo"}' } },
      { id: "call_c", type: "function", function: { name: "get_weather", arguments: '{"city":"Rome"}' } },
    ];
    server.handle((_request, res) =>
      sendJson(res, 200, {
        choices: [{ index: 0, message: { role: "assistant", content: null, tool_calls: calls }, finish_reason: "tool_calls" }],
        usage: { prompt_tokens: 30, completion_tokens: 12 },
      }),
    );
    const result = await makeExpert().doGenerate({
      messages: history,
      params: { maxTokens: 64 },
      tools,
      toolChoice: { type: "function", function: { name: "get_weather" } },
      parallelToolCalls: true,
    });
    expect(result).toEqual({ text: "", finishReason: "tool_calls", toolCalls: calls, usage: { promptTokens: 30, completionTokens: 12 }, warnings: [] });
    expect(server.requests[0]?.body).toMatchObject({
      messages: [
        { role: "user", content: "Weather in Paris and Oslo?" },
        { role: "assistant", content: null, tool_calls: [{ id: "call_a", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } }] },
        { role: "tool", content: "18 C", tool_call_id: "call_a" },
      ],
      tools,
      tool_choice: { type: "function", function: { name: "get_weather" } },
      parallel_tool_calls: true,
    });
  });

  it("joins streamed tool-call fragments by index, alongside streamed text", async () => {
    const chunk = (delta: unknown, finish: string | null = null) => `data: ${JSON.stringify({ choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
    server.handle(async (_request, res) => {
      startSse(res);
      for (const event of [
        chunk({ role: "assistant", content: "Checking. " }),
        chunk({ tool_calls: [{ index: 0, id: "call_1", type: "function", function: { name: "get_weather", arguments: "" } }] }),
        chunk({ tool_calls: [{ index: 0, function: { arguments: '{"ci' } }] }),
        chunk({ tool_calls: [{ index: 1, id: "call_2", type: "function", function: { name: "get_weather", arguments: '{"city":' } }] }),
        chunk({ tool_calls: [{ index: 0, function: { arguments: 'ty":"Oslo"}' } }] }),
        chunk({ tool_calls: [{ index: 1, function: { arguments: '"Rome"}' } }] }),
        chunk({}, "tool_calls"),
        `data: ${JSON.stringify({ choices: [], usage: { prompt_tokens: 20, completion_tokens: 9 } })}\n\n`,
        "data: [DONE]\n\n",
      ]) {
        res.write(event);
        await delay(1);
      }
      res.end();
    });
    const seen: string[] = [];
    const result = await makeExpert().doGenerate({ messages: history, params: { maxTokens: 64 }, tools, onText: (text) => seen.push(text) });
    expect(seen).toEqual(["Checking. "]);
    expect(result).toEqual({
      text: "Checking. ",
      finishReason: "tool_calls",
      toolCalls: [
        { id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Oslo"}' } },
        { id: "call_2", type: "function", function: { name: "get_weather", arguments: '{"city":"Rome"}' } },
      ],
      usage: { promptTokens: 20, completionTokens: 9 },
      warnings: [],
    });
  });

  it("sends no tool fields without tools, and a turn cut by max_tokens keeps length without half-written calls", async () => {
    server.handle((_request, res) =>
      sendJson(res, 200, {
        choices: [{ message: { content: null, tool_calls: [{ id: "x", type: "function", function: { name: "get_weather", arguments: '{"ci' } }] }, finish_reason: "length" }],
      }),
    );
    const result = await makeExpert().doGenerate(ask("x", { toolChoice: "required" }));
    expect(result).toEqual({ text: "", finishReason: "length", usage: { promptTokens: 0, completionTokens: 0 }, warnings: [] });
    const body = server.requests[0]!.body;
    expect(Object.keys(body).filter((key) => key.includes("tool"))).toEqual([]);
  });

  it("declares tools only when configured", () => {
    expect(makeExpert({ tools: true }).info.tools).toBe(true);
    expect(new RemoteExpert({ id: "n", baseUrl: server.baseUrl, model: "m", concurrency: 1, timeoutMs: 1_000, maxRetries: 0, tools: false }).info.tools).toBe(false);
  });
});

describe("SDK specifics", () => {
  it("caps a long Retry-After at 5 s rather than holding the slot", async () => {
    server.handle((_request, res, index) => {
      if (index === 0) sendJson(res, 503, { error: { message: "later" } }, { "retry-after": "60" });
      else sendJson(res, 200, completion("capped"));
    });
    const result = await makeExpert().doGenerate(ask("x"));
    expect(result.text).toBe("capped");
    const gap = server.requests[1]!.at - server.requests[0]!.at;
    expect(gap).toBeGreaterThanOrEqual(4_900);
    expect(gap).toBeLessThan(8_000);
  }, 15_000);

  it("never sends OPENAI_API_KEY from the environment to an endpoint configured without a key", async () => {
    const saved = process.env.OPENAI_API_KEY;
    process.env.OPENAI_API_KEY = "sk-from-env";
    try {
      server.handle((_request, res) => sendJson(res, 200, completion("ok")));
      await makeExpert().doGenerate(ask("x"));
      expect(server.requests[0]?.headers.authorization).toBeUndefined();
    } finally {
      if (saved === undefined) delete process.env.OPENAI_API_KEY;
      else process.env.OPENAI_API_KEY = saved;
    }
  });

  it("names the network failure of an unreachable endpoint", async () => {
    await server.close();
    const error = await rejection(makeExpert({ maxRetries: 0 }).doGenerate(ask("x")));
    server = await startFakeServer(); // afterEach closes one
    expect(error.code).toBe("REMOTE_EXPERT_ERROR");
    expect(error.message).toMatch(/^far: request to http:\/\/127\.0\.0\.1:\d+\/v1\/chat\/completions failed: .*ECONNREFUSED/);
  });
});

describe("reasoning", () => {
  function reasoningCompletion(message: Record<string, unknown>): unknown {
    return { id: "c", object: "chat.completion", choices: [{ index: 0, message: { role: "assistant", ...message }, finish_reason: "stop" }], usage: { prompt_tokens: 3, completion_tokens: 9 } };
  }

  it("takes a server's reasoning_content or reasoning apart from the answer", async () => {
    server.handle((request, res) =>
      sendJson(res, 200, reasoningCompletion(request.body.model === "m-1" ? { content: "Paris", reasoning_content: "France's capital" } : { content: "Oslo", reasoning: "Norway" })),
    );
    expect(await makeExpert().doGenerate(ask("capital?"))).toMatchObject({ text: "Paris", reasoning: "France's capital" });
    await expert!.close();
    expect(await makeExpert({ model: "m-2" }).doGenerate(ask("capital?"))).toMatchObject({ text: "Oslo", reasoning: "Norway" });
  });

  it("splits a leading <think> block from a server without a reasoning parser, and leaves other answers whole", async () => {
    server.handle((request, res) => {
      const content = (request.body.messages as Array<{ content: string }>)[0]!.content;
      sendJson(res, 200, reasoningCompletion({ content: content === "think" ? "<think>\n3 r's\n</think>\n\n3" : "a <think> tag </think>" }));
    });
    const expertNow = makeExpert();
    expect(await expertNow.doGenerate(ask("think"))).toMatchObject({ text: "\n\n3", reasoning: "\n3 r's\n" });
    const plain = await expertNow.doGenerate(ask("plain"));
    expect(plain.text).toBe("a <think> tag </think>");
    expect(plain).not.toHaveProperty("reasoning");
  });

  it("streams thinking to onReasoning and the answer to onText, inline tags cut across chunks included", async () => {
    const chunk = (delta: Record<string, unknown>) => `data: ${JSON.stringify({ choices: [{ index: 0, delta, finish_reason: null }] })}\r\n\r\n`;
    server.handle(async (request, res) => {
      startSse(res);
      const inline = request.body.model === "m-1";
      const deltas = inline
        ? [{ content: "<thi" }, { content: "nk>s|s1" }, { content: "a1s2</th" }, { content: "ink>2" }]
        : [{ reasoning_content: "s|s1" }, { reasoning_content: "a1s2" }, { content: "2" }];
      for (const delta of deltas) {
        res.write(chunk(delta));
        await delay(1);
      }
      res.end(`data: ${JSON.stringify({ choices: [{ index: 0, delta: {}, finish_reason: "stop" }] })}\r\n\r\ndata: [DONE]\r\n\r\n`);
    });
    for (const model of ["m-1", "m-2"]) {
      const text: string[] = [];
      const thought: string[] = [];
      const result = await makeExpert({ model }).doGenerate(ask("count", { onText: (t) => text.push(t), onReasoning: (t) => thought.push(t) }));
      await expert!.close();
      expect({ model, text: text.join(""), thought: thought.join("") }).toEqual({ model, text: "2", thought: "s|s1a1s2" });
      expect(result).toMatchObject({ text: "2", reasoning: "s|s1a1s2" });
    }
  });
});
