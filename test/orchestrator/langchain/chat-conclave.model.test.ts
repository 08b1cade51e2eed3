/**
 * ChatConclave against LangChain's chat-model contract, in the spirit of its standard tests, run in
 * both modes: in-process over the test orchestrator and remote against the same engine's listening
 * HTTP server. Real generated demo models; tiny token budgets keep it fast.
 */
import { awaitAllCallbacks } from "@langchain/core/callbacks/promises";
import { AIMessage, AIMessageChunk, ChatMessage, HumanMessage, SystemMessage, ToolMessage, type BaseMessage } from "@langchain/core/messages";
import { concat } from "@langchain/core/utils/stream";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { disposeRuntime } from "../../../experts/llama/runtime.js";
import type { RoutingTrace } from "../../../kernel/contracts.js";
import { isConclaveError } from "../../../kernel/errors.js";
import { ChatConclave, toConclaveMessages } from "../../../orchestrator/langchain/index.js";
import { remoteError } from "../../../orchestrator/langchain/remote.js";
import { Orchestrator } from "../../../orchestrator/orchestrator.js";
import { startTestServer, type TestServer } from "../http/fixture.js";

let t: TestServer;
let baseUrl: string;
beforeAll(async () => {
  t = await startTestServer();
  baseUrl = `${await t.listen()}/v1`;
});
afterAll(async () => {
  await t.close();
  await disposeRuntime();
});

type Mode = "in-process" | "remote";
const chatFor = (mode: Mode, extra: Record<string, unknown> = {}) =>
  mode === "in-process" ? new ChatConclave({ orchestrator: t.orchestrator, maxTokens: 4, seed: 3, ...extra }) : new ChatConclave({ baseUrl, maxTokens: 4, seed: 3, ...extra });
const metadataOf = (message: BaseMessage) => message.response_metadata as Record<string, unknown>;
const traceOf = (message: BaseMessage) => metadataOf(message).conclave as RoutingTrace;

const ALL_ROLES = [
  new SystemMessage("You are terse."),
  new HumanMessage({ content: [{ type: "text", text: "Look up " }, { type: "text", text: "the weather." }] }),
  new AIMessage({ content: "", tool_calls: [{ id: "call-1", name: "weather", args: { city: "Oslo" } }] }),
  new ToolMessage({ content: "Rain, 4 °C", tool_call_id: "call-1", name: "weather" }),
  new HumanMessage("So should I take an umbrella?"),
];

describe("message conversion", () => {
  it("maps system, human, ai (with tool calls), tool and generic messages, joining text parts", () => {
    expect(toConclaveMessages([...ALL_ROLES, new ChatMessage("earlier reply", "assistant")])).toEqual([
      { role: "system", content: "You are terse." },
      { role: "user", content: "Look up the weather." },
      { role: "assistant", content: "", toolCalls: [{ id: "call-1", type: "function", function: { name: "weather", arguments: '{"city":"Oslo"}' } }] },
      { role: "tool", content: "Rain, 4 °C", name: "weather", toolCallId: "call-1" },
      { role: "user", content: "So should I take an umbrella?" },
      { role: "assistant", content: "earlier reply" },
    ]);
  });

  it("refuses content it cannot pass on as text, naming the message", () => {
    const image = new HumanMessage({ content: [{ type: "text", text: "What is this?" }, { type: "image_url", image_url: { url: "data:image/png;base64,AAAA" } }] });
    let error: unknown;
    try {
      toConclaveMessages([new SystemMessage("s"), image]);
    } catch (caught) {
      error = caught;
    }
    expect(isConclaveError(error) && error.code).toBe("UNSUPPORTED_PARAMETER");
    expect((error as Error).message).toMatch(/^messages\.1: "image_url" content/);
  });
});

describe("construction and serialisation", () => {
  it("needs exactly one of orchestrator or baseUrl", () => {
    expect(() => new ChatConclave({})).toThrow(/exactly one of/);
  });

  it("serialises the remote mode with the key as a secret, never the in-process engine", () => {
    const remote = new ChatConclave({ baseUrl, apiKey: "sk-secret", model: "demo-law" }).toJSON();
    expect(remote).toMatchObject({ type: "constructor", id: ["conclave", "langchain", "chat_models", "ChatConclave"] });
    expect(JSON.stringify(remote)).not.toContain("sk-secret");
    expect((remote as { kwargs: Record<string, unknown> }).kwargs).toMatchObject({ base_url: baseUrl, model: "demo-law", api_key: { type: "secret", id: ["CONCLAVE_API_KEY"] } });
    expect(new ChatConclave({ orchestrator: t.orchestrator }).toJSON()).toMatchObject({ type: "not_implemented" });
  });

  it("maps a server's OpenAI-shaped errors back to conclave's codes", () => {
    expect(remoteError(401, '{"error":{"message":"bad key","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}')).toMatchObject({
      code: "INVALID_API_KEY",
      message: "bad key",
    });
    expect(remoteError(400, '{"error":{"message":"n: no","code":"unsupported_parameter","param":"n"}}')).toMatchObject({ code: "UNSUPPORTED_PARAMETER", param: "n" });
    expect(remoteError(502, "Bad Gateway")).toMatchObject({ code: "REMOTE_EXPERT_ERROR", message: "Bad Gateway" });
  });

  it("fromConfig builds and owns an orchestrator; close() closes it once", async () => {
    const chat = await ChatConclave.fromConfig(t.orchestrator.config, { model: "demo-law" });
    expect(chat.mode).toBe("in-process");
    const close = vi.spyOn(chat.orchestrator!, "close");
    await chat.close();
    await chat.close();
    expect(close).toHaveBeenCalledTimes(1);
    await expect(chat.invoke("hello")).rejects.toMatchObject({ code: "CLOSED" });
  });
});

describe.each<Mode>(["in-process", "remote"])("ChatConclave %s", (mode) => {
  it("invoke returns an AIMessage with text, usage and the routing trace", async () => {
    const message = await chatFor(mode).invoke("What is 12 times 7?");
    expect(AIMessage.isInstance(message)).toBe(true);
    expect(typeof message.content).toBe("string");
    expect(message.text.length).toBeGreaterThan(0);
    const usage = message.usage_metadata!;
    expect(usage.output_tokens).toBeGreaterThan(0);
    expect(usage.total_tokens).toBe(usage.input_tokens + usage.output_tokens);
    expect(message.response_metadata).toMatchObject({ model: "conclave", finish_reason: expect.stringMatching(/^(stop|length)$/) });
    expect(traceOf(message).recruitment.recruits[0]!.expertId).toBe("demo-math");
  });

  it("names an expert as its model to bypass routing, and rejects an unknown one", async () => {
    const message = await chatFor(mode, { model: "demo-law" }).invoke("hello");
    expect(message.response_metadata.model).toBe("demo-law");
    expect(traceOf(message).recruitment).toMatchObject({ strategy: "direct", recruits: [{ expertId: "demo-law" }] });
    await expect(chatFor(mode, { model: "nope" }).invoke("hello")).rejects.toMatchObject({ code: "MODEL_NOT_FOUND" });
    const consume = async () => {
      for await (const chunk of await chatFor(mode, { model: "nope" }).stream("hello")) expect(chunk).toBeUndefined();
    };
    await expect(consume()).rejects.toMatchObject({ code: "MODEL_NOT_FOUND" });
  });

  it("streams the answer's tokens in order; the chunks add up to the final message", async () => {
    const chat = chatFor(mode, { model: "demo-writer", maxTokens: 6 });
    const chunks: AIMessageChunk[] = [];
    for await (const chunk of await chat.stream("Write a poem about the sea")) chunks.push(chunk);
    const texts = chunks.map((c) => c.text);
    expect(texts.filter((text) => text !== "").length).toBeGreaterThan(1);
    const whole = chunks.reduce((a, b) => concat(a, b));
    expect(texts.join("")).toBe(whole.text);
    // The trace carries the expert's own answer: the streamed text is exactly the non-streamed shape.
    expect(traceOf(whole).answers[0]!.text).toBe(whole.text);
    expect(whole.usage_metadata?.output_tokens).toBe(6);
    expect(chunks.at(-1)!.usage_metadata?.output_tokens).toBe(6);
    expect(whole.response_metadata).toMatchObject({ model: "demo-writer", finish_reason: "length" });
    // Through the ensemble (several recruits, a synthesis) the streamed text is the final answer too.
    const routed: AIMessageChunk[] = [];
    for await (const chunk of await chatFor(mode).stream("Solve for x: 2x + 3 = 7")) routed.push(chunk);
    const final = routed.reduce((a, b) => concat(a, b));
    expect(routed.length).toBeGreaterThan(1);
    expect(routed.map((c) => c.text).join("")).toBe(final.text);
    expect(traceOf(final).recruitment.recruits.length).toBeGreaterThan(0);
  });

  it("batch keeps input order and per-input options; returnExceptions isolates a failure", async () => {
    const experts = ["demo-math", "demo-law", "demo-code", "demo-science"];
    const results = await chatFor(mode, { maxTokens: 2 }).batch(
      ["one", "two", "three", "four", "five"],
      [...experts.map((model) => ({ model })), { model: "nope" }],
      { returnExceptions: true },
    );
    expect(results).toHaveLength(5);
    experts.forEach((expert, i) => {
      const result = results[i] as AIMessageChunk;
      expect(result.response_metadata.model).toBe(expert);
      expect(traceOf(result).answers[0]!.expertId).toBe(expert);
    });
    expect(results[4]).toBeInstanceOf(Error);
    expect(results[4]).toMatchObject({ code: "MODEL_NOT_FOUND" });
  });

  it("an abort rejects promptly, mid-stream and mid-invoke, and frees the expert", async () => {
    // 950 tokens (what the demo writer's 1024-token context leaves after the prompt; a larger budget is
    // refused with 400) take it ~1 s alone: an abort that waited for them would show, and
    // the margins below leave room for a loaded machine.
    const chat = chatFor(mode, { model: "demo-writer", maxTokens: 950 });
    const idle = () => vi.waitFor(() => expect(t.orchestrator.stats().experts["demo-writer"]!.inFlight).toBe(0), { timeout: 1500, interval: 10 });
    const controller = new AbortController();
    let abortedAt = 0;
    let received = 0;
    const consume = async () => {
      for await (const chunk of await chat.stream("Write a long story", { signal: controller.signal })) {
        received += chunk.text.length;
        if (!abortedAt) {
          abortedAt = performance.now();
          controller.abort();
        }
      }
    };
    await expect(consume()).rejects.toThrow();
    expect(received).toBeGreaterThan(0);
    expect(performance.now() - abortedAt).toBeLessThan(1000);
    await idle();

    const invokeController = new AbortController();
    const started = performance.now();
    setTimeout(() => invokeController.abort(), 100);
    await expect(chat.invoke("Write a long story", { signal: invokeController.signal })).rejects.toThrow();
    expect(performance.now() - started).toBeLessThan(1200);
    await idle();
    // The engine is free again: a new call is answered.
    expect((await chatFor(mode, { model: "demo-writer" }).invoke("again")).text.length).toBeGreaterThan(0);
  });

  it("fires handleLLMStart, handleLLMNewToken for each token, and handleLLMEnd", async () => {
    const events = { start: [] as string[][], tokens: [] as string[], end: [] as string[] };
    const handler = {
      handleLLMStart: (_llm: unknown, prompts: string[]) => void events.start.push(prompts),
      handleLLMNewToken: (token: string) => void events.tokens.push(token),
      handleLLMEnd: (output: { generations: Array<Array<{ text: string }>> }) => void events.end.push(output.generations[0]![0]!.text),
    };
    const message = await chatFor(mode, { model: "demo-code", maxTokens: 5 }).invoke("Write a SQL query", { callbacks: [handler] });
    await awaitAllCallbacks();
    expect(events.start).toHaveLength(1);
    expect(events.start[0]![0]).toContain("Write a SQL query");
    expect(events.tokens.length).toBeGreaterThan(1);
    expect(events.tokens.join("")).toBe(message.text);
    expect(events.end).toEqual([message.text]);
  });

  it("withStructuredOutput returns a parsed object valid for a zod or JSON schema", async () => {
    const chat = chatFor(mode, { model: "demo-science", maxTokens: 20 });
    const schema = z.object({ answer: z.enum(["yes", "no"]) });
    const parsed = await chat.withStructuredOutput(schema).invoke("Is water wet? Answer yes or no.");
    expect(schema.safeParse(parsed).success).toBe(true);

    const jsonSchema = { type: "object", properties: { answer: { type: "string", enum: ["yes", "no"] } }, required: ["answer"], additionalProperties: false };
    const withRaw = await chat.withStructuredOutput<{ answer: string }>(jsonSchema, { includeRaw: true }).invoke("Is the sky blue?");
    expect(["yes", "no"]).toContain(withRaw.parsed.answer);
    expect(JSON.parse(withRaw.raw.text as string)).toEqual(withRaw.parsed);
    expect(metadataOf(withRaw.raw).model).toBe("demo-science");
  });

  it("serialises system, human, ai and tool messages in one call", async () => {
    const message = await chatFor(mode, { model: "demo-law", maxTokens: 3 }).invoke(ALL_ROLES);
    expect(message.text.length).toBeGreaterThan(0);
    // Five messages of prompt are more than the last question alone.
    const alone = await chatFor(mode, { model: "demo-law", maxTokens: 3 }).invoke("So should I take an umbrella?");
    expect(message.usage_metadata!.input_tokens).toBeGreaterThan(alone.usage_metadata!.input_tokens);
  });

  it("bindTools binds; an ensemble with no tool-capable expert refuses the call with UNSUPPORTED_PARAMETER on tools", async () => {
    const bound = chatFor(mode).bindTools([{ type: "function", function: { name: "weather", parameters: { type: "object", properties: {} } } }]);
    const error = await bound.invoke("Weather in Oslo?").catch((caught: unknown) => caught);
    expect(isConclaveError(error) && error.code).toBe("UNSUPPORTED_PARAMETER");
    expect(isConclaveError(error) && error.param).toBe("tools");
  });
});

describe("in-process batching", () => {
  const QUESTIONS = [
    "What is 347 plus 589?",
    "Write a SQL query joining orders and customers.",
    "Is a verbal contract legally binding?",
    "How does photosynthesis work?",
    "Write a short poem about the sea.",
    "Solve for x: 3x + 7 = 22.",
  ];

  it("a batch of 6 goes through one runBatch, in order, loading each model at most once", async () => {
    const fresh = await Orchestrator.create(t.orchestrator.config);
    try {
      const runBatch = vi.spyOn(fresh, "runBatch");
      const results = await new ChatConclave({ orchestrator: fresh, maxTokens: 2 }).batch(QUESTIONS);
      expect(runBatch).toHaveBeenCalledTimes(1);
      expect(runBatch.mock.calls[0]![0]).toHaveLength(6);
      for (const [i, question] of QUESTIONS.entries()) {
        const routed = await fresh.route([{ role: "user", content: question }]);
        expect(traceOf(results[i]!).recruitment).toEqual(routed.recruitment);
      }
      const experts = Object.values(fresh.stats().experts);
      expect(experts.some((e) => e.loads === 1)).toBe(true);
      expect(experts.every((e) => e.loads <= 1)).toBe(true);
    } finally {
      await fresh.close();
    }
  });

  it("generate() over several message lists also runs as one runBatch", async () => {
    const chat = new ChatConclave({ orchestrator: t.orchestrator, maxTokens: 2 });
    const runBatch = vi.spyOn(t.orchestrator, "runBatch");
    try {
      const result = await chat.generate([[new HumanMessage(QUESTIONS[0]!)], [new HumanMessage(QUESTIONS[2]!)], [new HumanMessage(QUESTIONS[3]!)]]);
      expect(runBatch).toHaveBeenCalledTimes(1);
      expect(result.generations.map((g) => traceOf((g[0] as unknown as { message: BaseMessage }).message).recruitment.recruits[0]!.expertId)).toEqual([
        "demo-math",
        "demo-law",
        "demo-science",
      ]);
    } finally {
      runBatch.mockRestore();
    }
  });

  it("maxConcurrency splits a batch into runBatch waves of that size", async () => {
    const chat = new ChatConclave({ orchestrator: t.orchestrator, maxTokens: 2, model: "demo-math" });
    const runBatch = vi.spyOn(t.orchestrator, "runBatch");
    try {
      const results = await chat.batch(["a", "b", "c", "d", "e"], { maxConcurrency: 2 });
      expect(results).toHaveLength(5);
      expect(runBatch.mock.calls.map((call) => call[0].length)).toEqual([2, 2, 1]);
    } finally {
      runBatch.mockRestore();
    }
  });
});
