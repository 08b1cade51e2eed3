/** The official `openai` client against a real listening port: what OpenAI-compatible tools will do. */
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { disposeRuntime } from "../../../experts/llama/runtime.js";
import { startTestServer, type TestServer } from "./fixture.js";

let t: TestServer;
let client: OpenAI;
beforeAll(async () => {
  t = await startTestServer({}, ["sk-test"]);
  client = new OpenAI({ baseURL: `${await t.listen()}/v1`, apiKey: "sk-test", maxRetries: 0 });
});
afterAll(async () => {
  await t.close();
  await disposeRuntime();
});

describe("official openai client", () => {
  it("creates a completion", async () => {
    const completion = await client.chat.completions.create({ model: "conclave", messages: [{ role: "user", content: "What is 12 times 7?" }], max_tokens: 3, seed: 1 });
    expect(completion.object).toBe("chat.completion");
    expect(completion.choices[0]!.message.role).toBe("assistant");
    expect(completion.usage!.completion_tokens).toBeGreaterThan(0);
    const trace = (completion as unknown as { conclave: { recruitment: { recruits: Array<{ expertId: string }> } } }).conclave;
    expect(trace.recruitment.recruits[0]!.expertId).toBe("demo-math");
  });

  it("streams chunks whose text joins, with usage last", async () => {
    const stream = await client.chat.completions.create({
      model: "demo-writer",
      messages: [{ role: "user", content: "Write a poem" }],
      max_tokens: 6,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    let usage: OpenAI.CompletionUsage | undefined | null;
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? "";
      finish ??= chunk.choices[0]?.finish_reason;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text.length).toBeGreaterThan(0);
    expect(finish).toBe("length");
    expect(usage?.completion_tokens).toBe(6);
  });

  it("maps errors to the client's error classes with status and code", async () => {
    const badRequest = await client.chat.completions.create({ model: "conclave", messages: [] }).catch((error: unknown) => error);
    expect(badRequest).toBeInstanceOf(OpenAI.BadRequestError);
    expect((badRequest as InstanceType<typeof OpenAI.BadRequestError>).code).toBe("invalid_request");
    const notFound = await client.chat.completions.create({ model: "nope", messages: [{ role: "user", content: "x" }] }).catch((error: unknown) => error);
    expect(notFound).toBeInstanceOf(OpenAI.NotFoundError);
    const wrongKey = new OpenAI({ baseURL: client.baseURL, apiKey: "sk-wrong", maxRetries: 0 });
    expect(await wrongKey.models.list().catch((error: unknown) => error)).toBeInstanceOf(OpenAI.AuthenticationError);
  });

  it("gets 400s with code and param for requests that cannot be served, streaming or not", async () => {
    type BadRequest = InstanceType<typeof OpenAI.BadRequestError>;
    const refused = async (body: Record<string, unknown>) => {
      const error = await client.chat.completions.create(body as never).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OpenAI.BadRequestError);
      return error as BadRequest;
    };
    const hologram = await refused({ model: "conclave", messages: [{ role: "user", content: [{ type: "hologram" }] }] });
    expect(hologram).toMatchObject({ status: 400, code: "invalid_request", param: "messages[0].content[0].type" });
    const huge = await refused({ model: "demo-math", messages: [{ role: "user", content: "hi" }], max_tokens: 1e12 });
    expect(huge).toMatchObject({ code: "invalid_request", param: "max_tokens" });
    expect(huge.message).toMatch(/This model supports at most \d+ completion tokens/);
    for (const stream of [false, true]) {
      const long = await refused({ model: "conclave", messages: [{ role: "user", content: "word ".repeat(200_000) }], stream });
      expect(long).toMatchObject({ code: "context_length_exceeded", param: "messages", type: "invalid_request_error" });
      expect(long.message).toMatch(/\d+ in the messages, \d+ in the completion/);
    }
    const fine = await client.chat.completions.create({ model: "demo-math", messages: [{ role: "user", content: "hi" }], max_tokens: 2 });
    expect(fine.choices[0]!.finish_reason).toBeDefined();
  });

  it("lists models", async () => {
    const ids: string[] = [];
    for await (const model of client.models.list()) ids.push(model.id);
    expect(ids).toEqual(["conclave", "demo-math", "demo-code", "demo-law", "demo-science", "demo-writer"]);
  });
});
