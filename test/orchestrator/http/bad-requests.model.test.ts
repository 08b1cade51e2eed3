/**
 * Requests that used to be answered 200 (or reset): each gets OpenAI's error shape, a 4xx and the
 * field at fault, before any generation or stream starts, and the server keeps serving.
 */
import { request as httpRequest } from "node:http";
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { disposeRuntime } from "../../../experts/llama/runtime.js";
import { ask, startTestServer, type TestServer } from "./fixture.js";

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t.close();
  await disposeRuntime();
});

const post = (payload: unknown) => t.server.app.inject({ method: "POST", url: "/v1/chat/completions", payload: payload as object });
const served = () => Object.values(t.orchestrator.stats().experts).reduce((n, e) => n + e.served + e.failed + e.inFlight, 0);
const errorOf = (response: { statusCode: number; headers: Record<string, unknown>; json(): unknown }) => {
  expect(response.headers["content-type"]).toMatch(/application\/json/);
  const body = response.json() as { error: { message: string; type: string; param: string | null; code: string } };
  expect(Object.keys(body.error).sort()).toEqual(["code", "message", "param", "type"]);
  return { status: response.statusCode, ...body.error };
};
const stillServes = async () => expect((await post(ask("hello", { model: "demo-law", max_tokens: 2 }))).statusCode).toBe(200);

describe("content parts", () => {
  it("refuses a part of an unknown type, naming it, streaming or not", async () => {
    for (const stream of [false, true]) {
      const error = errorOf(await post({ messages: [{ role: "user", content: [{ type: "hologram" }] }], stream }));
      expect(error).toMatchObject({ status: 400, code: "invalid_request", type: "invalid_request_error", param: "messages[0].content[0].type" });
      expect(error.message).toContain('unknown type "hologram"');
    }
    const second = errorOf(await post({ messages: [{ role: "system", content: "s" }, { role: "user", content: [{ type: "text", text: "a" }, { type: "image_url", image_url: { url: "x" } }] }] }));
    expect(second).toMatchObject({ status: 400, code: "unsupported_parameter", param: "messages[1].content[1].type" });
    await stillServes();
  });
});

describe("max_tokens beyond the context", () => {
  it("refuses 1e12 with the largest value the recruits can serve, which is the real limit", async () => {
    const before = served();
    const direct = errorOf(await post(ask("hello", { model: "demo-math", max_tokens: 1e12 })));
    expect(direct).toMatchObject({ status: 400, code: "invalid_request", param: "max_tokens" });
    const most = Number(/This model supports at most (\d+) completion tokens, whereas you provided 1000000000000/.exec(direct.message)?.[1]);
    expect(most).toBeGreaterThan(900);
    expect(most).toBeLessThan(1023); // the demo's 1024-token context, less the prompt

    // The figure is exact: one more token does not fit beside this prompt; that many does.
    const instance = { id: "x", messages: [{ role: "user" as const, content: "hello" }] };
    const routed = await t.orchestrator.route(instance.messages, "demo-math");
    await expect(t.orchestrator.fitContext({ ...instance, params: { maxTokens: most } }, routed)).resolves.toBeDefined();
    await expect(t.orchestrator.fitContext({ ...instance, params: { maxTokens: most + 1 } }, routed)).rejects.toMatchObject({ code: "CONTEXT_LENGTH_EXCEEDED" });

    // Routed through the ensemble, streamed, and under the newer field name.
    expect(errorOf(await post(ask("Solve 2x + 3 = 7", { max_tokens: 1e12, stream: true })))).toMatchObject({ status: 400, param: "max_tokens" });
    const newer = errorOf(await post(ask("hello", { max_completion_tokens: 1e12 })));
    expect(newer).toMatchObject({ status: 400, param: "max_completion_tokens" });
    expect(newer.message).toMatch(/^max_completion_tokens is too large: 1000000000000\./);
    expect(served()).toBe(before); // refused before any generation
    await stillServes();
  });
});

describe("a prompt beyond the context", () => {
  const long = "word ".repeat(200_000);

  it("is refused with context_length_exceeded and the token counts, before any generation, streaming or not", async () => {
    const before = served();
    for (const stream of [false, true]) {
      const error = errorOf(await post(ask(long, { stream })));
      expect(error).toMatchObject({ status: 400, code: "context_length_exceeded", type: "invalid_request_error", param: "messages" });
      const counts = /maximum context length is (\d+) tokens \(expert [\w-]+\)\. However, you requested (\d+) tokens \((\d+) in the messages, (\d+) in the completion\)/.exec(error.message);
      expect(counts, error.message).not.toBeNull();
      const [contextSize, requested, prompt, completion] = counts!.slice(1).map(Number) as [number, number, number, number];
      expect(contextSize).toBe(1023);
      expect(prompt).toBeGreaterThan(200_000);
      expect(completion).toBe(4); // the fixture's generation.maxTokens
      expect(requested).toBe(prompt + completion);
    }
    expect(served()).toBe(before);
    await stillServes();
  });

  it('drops the oldest turns on purpose with conclave.truncate: "oldest", and says so in the trace', async () => {
    const messages = [
      { role: "system", content: "be brief" },
      { role: "user", content: "word ".repeat(120) },
      { role: "assistant", content: "ok" },
      { role: "user", content: "word ".repeat(120) },
      { role: "assistant", content: "ok" },
      { role: "user", content: "and now?" },
    ];
    const refused = errorOf(await post({ model: "demo-law", messages, max_tokens: 2 }));
    expect(refused.code).toBe("context_length_exceeded");

    const response = await post({ model: "demo-law", messages, max_tokens: 2, conclave: { truncate: "oldest" } });
    expect(response.statusCode).toBe(200);
    const trace = response.json().conclave;
    expect(trace.truncation).toMatchObject({ droppedMessages: 2, expertId: "demo-law", contextSize: 1023 });
    expect(trace.truncation.promptTokens.before).toBeGreaterThan(1023);
    expect(trace.truncation.promptTokens.after).toBeLessThan(1023);
    expect(trace.warnings.join("\n")).toContain("conclave.truncate: dropped the 2 oldest messages");
    // The usage is that of the shortened chat.
    expect(response.json().usage.prompt_tokens).toBeLessThanOrEqual(trace.truncation.promptTokens.after);

    const tooLong = errorOf(await post({ model: "demo-law", messages: [{ role: "user", content: long }], conclave: { truncate: "oldest" } }));
    expect(tooLong.message).toContain("was not enough");
  });
});

describe("the same check on the other doors", () => {
  const long = { id: "long", messages: [{ role: "user" as const, content: "word ".repeat(2000) }] };

  it("fails a batch line and a queued job, and truncates them on request", async () => {
    const [line] = await t.orchestrator.runBatch([{ instance: long, expertId: "demo-math" }]);
    expect(line).toMatchObject({ id: "long", error: { code: "CONTEXT_LENGTH_EXCEEDED", param: "messages" } });
    // A queued batch job runs one recruit through generateFor: checked there too.
    await expect(t.orchestrator.generateFor(long, "demo-math")).rejects.toMatchObject({ code: "CONTEXT_LENGTH_EXCEEDED" });
    await expect(t.orchestrator.generateFor({ id: "huge", messages: [{ role: "user", content: "hi" }], params: { maxTokens: 1e12 } }, "demo-math")).rejects.toMatchObject({ param: "max_tokens" });

    const chat = { id: "chat", truncate: "oldest" as const, messages: [{ role: "user" as const, content: "word ".repeat(250) }, { role: "assistant" as const, content: "ok" }, { role: "user" as const, content: "next?" }], params: { maxTokens: 2 } };
    const result = await t.orchestrator.generateFor(chat, "demo-math");
    expect(result.warnings[0]).toMatch(/^conclave\.truncate: dropped the 2 oldest messages/);
  });
});

describe("a 30 MB body", () => {
  it("gets 413 body_too_large in OpenAI's shape through inject()", async () => {
    const error = errorOf(await post({ messages: [{ role: "user", content: "x".repeat(30 * 1024 * 1024) }] }));
    expect(error).toMatchObject({ status: 413, code: "body_too_large", param: "body" });
  });

  const TOTAL = 30 * 1024 * 1024;
  const CHUNK = Buffer.alloc(256 * 1024, " ");

  /** node:http, writing slowly: the 413 must arrive in full, with no EPIPE or reset before it. */
  function httpUpload(address: URL, chunked: boolean): Promise<{ status: number | undefined; body: string; errors: string[] }> {
    return new Promise((resolve) => {
      const errors: string[] = [];
      let sent = 0;
      const req = httpRequest(
        {
          host: address.hostname,
          port: address.port,
          path: "/v1/chat/completions",
          method: "POST",
          agent: false,
          headers: { "content-type": "application/json", ...(chunked ? {} : { "content-length": String(TOTAL) }) },
        },
        (res) => {
          let body = "";
          res.setEncoding("utf8");
          res.on("data", (text: string) => (body += text));
          res.on("end", () => {
            req.destroy();
            resolve({ status: res.statusCode, body, errors });
          });
        },
      );
      req.on("error", (error: NodeJS.ErrnoException) => {
        errors.push(error.code ?? error.message);
        resolve({ status: undefined, body: "", errors });
      });
      const pump = () => {
        while (sent < TOTAL && !req.destroyed) {
          sent += CHUNK.length;
          if (!req.write(CHUNK)) return void req.once("drain", () => setTimeout(pump, 2));
        }
        if (!req.destroyed) req.end();
      };
      pump();
    });
  }

  /** A raw socket that writes its whole body before it reads anything, as many clients do. */
  function writeAllThenRead(address: URL): Promise<{ response: string; errors: string[] }> {
    return new Promise((resolve) => {
      const errors: string[] = [];
      let response = "";
      const socket = connect(Number(address.port), address.hostname, () => {
        socket.write(`POST /v1/chat/completions HTTP/1.1\r\nhost: ${address.host}\r\ncontent-type: application/json\r\ncontent-length: ${TOTAL}\r\nconnection: close\r\n\r\n`);
        let sent = 0;
        const pump = () => {
          while (sent < TOTAL) {
            sent += CHUNK.length;
            if (!socket.write(CHUNK)) return void socket.once("drain", () => setTimeout(pump, 2));
          }
          // Only now does this client look at what came back.
          socket.setEncoding("utf8");
          socket.on("data", (text: string) => (response += text));
          socket.resume();
        };
        socket.pause();
        pump();
      });
      socket.on("error", (error: NodeJS.ErrnoException) => errors.push(error.code ?? error.message));
      socket.on("close", () => resolve({ response, errors }));
      // The server keeps the connection for reuse; the client closes once the 413 is complete.
      const done = setInterval(() => {
        if (/\r\n\r\n\{.*\}$/s.test(response)) {
          clearInterval(done);
          socket.end();
        }
      }, 20);
      socket.on("close", () => clearInterval(done));
    });
  }

  it("gets the 413 over a real socket while the client is still uploading, with or without a length", async () => {
    const address = new URL(await t.listen());
    for (const chunked of [false, true]) {
      const result = await httpUpload(address, chunked);
      expect(result.errors, `chunked=${chunked}`).toEqual([]);
      expect(result.status).toBe(413);
      expect(JSON.parse(result.body).error).toMatchObject({ code: "body_too_large", type: "invalid_request_error", param: "body" });
    }
    const late = await writeAllThenRead(address);
    expect(late.errors).toEqual([]);
    expect(late.response).toMatch(/^HTTP\/1\.1 413 /);
    expect(JSON.parse(late.response.slice(late.response.indexOf("\r\n\r\n") + 4)).error.code).toBe("body_too_large");

    const after = await fetch(`${address.origin}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(ask("hello", { model: "demo-law", max_tokens: 2 })) });
    expect(after.status).toBe(200);
  });
});
