/**
 * ChatConclave against the checks of LangChain's standard chat-model tests (@langchain/standard-tests:
 * ChatModelUnitTests and ChatModelIntegrationTests), written out here, run on the embedded default
 * (the zoo, as `npm start` with no config serves it) in both modes: in-process, and remote over HTTP
 * against a server this file builds on the same engine.
 *
 * Structured output uses the standard tests' adder schema and prompt; answers must parse and
 * validate against the schema, or end with an explicit `length` finish reason when the budget is cut.
 */
import { AIMessage, AIMessageChunk, HumanMessage, type BaseMessage } from "@langchain/core/messages";
import { load } from "@langchain/core/load";
import { ChatPromptTemplate } from "@langchain/core/prompts";
import { concat } from "@langchain/core/utils/stream";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { disposeRuntime } from "../../../experts/llama/runtime.js";
import { parseConfig } from "../../../orchestrator/config/load.js";
import { buildServer, type ConclaveServer } from "../../../orchestrator/http/server.js";
import { ChatConclave } from "../../../orchestrator/langchain/index.js";
import { Orchestrator } from "../../../orchestrator/orchestrator.js";

// The standard tests' constructor arguments (their unit-test defaults; timeout in milliseconds here).
const STANDARD = { temperature: 0, maxTokens: 100, timeout: 60_000, stopSequences: [] as string[], maxRetries: 2 };

const adderSchema = z
  .object({
    a: z.number().int().describe("The first integer to add."),
    b: z.number().int().describe("The second integer to add."),
  })
  .describe("Add two integers");

const MATH_ADDITION_PROMPT = ChatPromptTemplate.fromMessages([
  ["system", "You are bad at math and must ALWAYS call the {toolName} function."],
  ["human", "What is the sum of 1836281973 and 19973286?"],
]);

let dir: string;
let orchestrator: Orchestrator;
let server: ConclaveServer;
let baseUrl: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "conclave-lc-standard-"));
  // No experts: the embedded zoo serves, as on a first run.
  orchestrator = await Orchestrator.create(parseConfig({ runtime: { gpu: false, maxThreads: 2 } }, dir));
  server = await buildServer(orchestrator, { apiKeys: [] });
  baseUrl = `${await server.app.listen({ port: 0, host: "127.0.0.1" })}/v1`;
});

afterAll(async () => {
  await server?.close();
  await orchestrator?.close();
  await disposeRuntime();
  await rm(dir, { recursive: true, force: true });
});

type Mode = "in-process" | "remote";
const metadataOf = (message: BaseMessage) => message.response_metadata as Record<string, unknown>;
const chatFor = (mode: Mode, extra: Record<string, unknown> = {}) =>
  mode === "in-process" ? new ChatConclave({ orchestrator, ...STANDARD, ...extra }) : new ChatConclave({ baseUrl, ...STANDARD, ...extra });

describe("the embedded default is the zoo", () => {
  it("serves the zoo's experts", () => {
    expect(Object.keys(orchestrator.stats().experts)).toContain("zoo-numbers");
  });
});

describe.each<Mode>(["in-process", "remote"])("standard chat-model checks, %s", (mode) => {
  it("constructs with the standard arguments, an api key and streaming", () => {
    expect(chatFor(mode)).toBeInstanceOf(ChatConclave);
    expect(chatFor(mode, { apiKey: "test" })).toBeInstanceOf(ChatConclave);
    expect(chatFor(mode, { streaming: true })).toBeInstanceOf(ChatConclave);
    const chat = chatFor(mode, { stopSequences: ["\n"], maxRetries: 5, timeout: 1234 });
    expect(chat).toMatchObject({ stopSequences: ["\n"], stop: ["\n"], maxRetries: 5, timeout: 1234 });
  });

  it("getLsParams gives exactly the standard keys, ls_stop always", () => {
    const expected = ["ls_max_tokens", "ls_model_name", "ls_model_type", "ls_provider", "ls_stop", "ls_temperature"];
    const params = chatFor(mode).getLsParams({} as never);
    expect(Object.keys(params).sort()).toEqual(expected);
    expect(params).toMatchObject({ ls_provider: "conclave", ls_model_type: "chat", ls_model_name: "conclave", ls_temperature: 0, ls_max_tokens: 100, ls_stop: [] });
    // Without any sampling field: ls_stop is still there.
    const bare = mode === "in-process" ? new ChatConclave({ orchestrator }) : new ChatConclave({ baseUrl });
    expect(bare.getLsParams({} as never).ls_stop).toEqual([]);
    // stopSequences is the default stop; a call's stop wins.
    const stopping = chatFor(mode, { stopSequences: ["\n\n"] });
    expect(stopping.getLsParams({} as never).ls_stop).toEqual(["\n\n"]);
    expect(stopping.getLsParams({ stop: ["END"] } as never).ls_stop).toEqual(["END"]);
  });

  it("invoke: an AIMessage with non-empty text", async () => {
    const result = await chatFor(mode).invoke("Hello");
    expect(result).toBeInstanceOf(AIMessage);
    expect(typeof result.text).toBe("string");
    expect(result.text).not.toBe("");
  });

  it("stream: AIMessageChunks carrying text", async () => {
    let chars = 0;
    let chunks = 0;
    for await (const chunk of await chatFor(mode).stream("Hello")) {
      chunks += 1;
      expect(chunk).toBeInstanceOf(AIMessageChunk);
      expect(typeof chunk.content).toBe("string");
      chars += (chunk.content as string).length;
    }
    expect(chunks).toBeGreaterThan(0);
    expect(chars).toBeGreaterThan(0);
  });

  it("batch: one non-empty AIMessage per input, in order", async () => {
    const results = await chatFor(mode).batch(["Hello", "Hey"]);
    expect(results).toHaveLength(2);
    for (const result of results) {
      expect(result).toBeInstanceOf(AIMessage);
      expect(result.text).not.toBe("");
    }
  });

  it("conversation and repeated roles are accepted", async () => {
    const result = await chatFor(mode).invoke([new HumanMessage("hello"), new AIMessage("hello"), new HumanMessage("how are you")]);
    expect(result).toBeInstanceOf(AIMessage);
    expect(result.text).not.toBe("");
  });

  it("usage metadata on invoke and on a stream; a model name in response_metadata", async () => {
    // A skill question: "Hello" is out of the zoo's skills, so routing abstains and no model spends a token.
    const result = await chatFor(mode).invoke("What is 47 plus 38?");
    const usage = result.usage_metadata!;
    for (const key of ["input_tokens", "output_tokens", "total_tokens"] as const) expect(typeof usage[key]).toBe("number");
    expect(usage.total_tokens).toBe(usage.input_tokens + usage.output_tokens);
    expect(usage.output_tokens).toBeGreaterThan(0);
    expect(typeof result.response_metadata.model).toBe("string");
    expect(result.response_metadata.model).not.toBe("");

    let whole: AIMessageChunk | undefined;
    for await (const chunk of await chatFor(mode).stream("What is 47 plus 38?")) whole = whole ? concat(whole, chunk) : chunk;
    const streamed = whole!.usage_metadata!;
    for (const key of ["input_tokens", "output_tokens", "total_tokens"] as const) expect(typeof streamed[key]).toBe("number");
    expect(streamed.output_tokens).toBeGreaterThan(0);
  });

  it("stop as a call option and as a constructor field", async () => {
    expect(await chatFor(mode).invoke("hi", { stop: ["you"] })).toBeInstanceOf(AIMessage);
    expect(await chatFor(mode, { stop: ["you"] }).invoke("hi")).toBeInstanceOf(AIMessage);
  });

  it("withStructuredOutput(adder schema): a parsed object that the schema validates", async () => {
    const result = await MATH_ADDITION_PROMPT.pipe(chatFor(mode).withStructuredOutput(adderSchema, { name: "math_addition" })).invoke({ toolName: "math_addition" });
    expect(typeof result.a).toBe("number");
    expect(typeof result.b).toBe("number");
    expect(adderSchema.parse(result)).toEqual(result);
  });

  it("withStructuredOutput includeRaw: the raw message ends with stop and its text parses to the same object", async () => {
    const result = await MATH_ADDITION_PROMPT.pipe(chatFor(mode).withStructuredOutput(adderSchema, { name: "math_addition", includeRaw: true })).invoke({
      toolName: "math_addition",
    });
    expect(result.raw).toBeInstanceOf(AIMessage);
    expect(metadataOf(result.raw).finish_reason).toBe("stop");
    expect(adderSchema.parse(result.parsed)).toEqual(result.parsed);
    expect(JSON.parse(result.raw.text)).toEqual(result.parsed);
    // The vote compared parsed values: its reason names the JSON it chose, not a number from the text.
    const aggregation = (metadataOf(result.raw).conclave as { aggregation: { method: string; reason: string } }).aggregation;
    expect(aggregation.method).toBe("vote");
    expect(aggregation.reason).toContain(`majority vote for {"a":`);
  });

  it("a budget too small for the JSON ends with finish_reason length, never a stop on cut JSON", async () => {
    const chat = chatFor(mode, { maxTokens: 6 });
    const result = await MATH_ADDITION_PROMPT.pipe(chat.withStructuredOutput(adderSchema, { includeRaw: true })).invoke({ toolName: "math_addition" });
    expect(metadataOf(result.raw).finish_reason).toBe("length");
    expect(result.parsed).toBeNull();
    await expect(MATH_ADDITION_PROMPT.pipe(chat.withStructuredOutput(adderSchema)).invoke({ toolName: "math_addition" })).rejects.toThrow();
  });
});

describe("remote only", () => {
  it("serialises to JSON and loads back into a working model (the api key as a secret)", async () => {
    const original = new ChatConclave({ baseUrl, apiKey: "sk-test", model: "conclave", ...STANDARD, stopSequences: ["\n\n"] });
    const json = JSON.stringify(original);
    expect(json).not.toContain("sk-test");
    const loaded = await load<ChatConclave>(json, {
      optionalImportsMap: { "conclave/langchain/chat_models": { ChatConclave } },
      secretsMap: { CONCLAVE_API_KEY: "sk-test" },
    });
    expect(loaded).toBeInstanceOf(ChatConclave);
    expect(loaded).toMatchObject({ baseUrl, apiKey: "sk-test", model: "conclave", maxTokens: 100, temperature: 0, stopSequences: ["\n\n"], maxRetries: 2, timeout: 60_000 });
    expect(loaded.getLsParams({} as never)).toEqual(original.getLsParams({} as never));
    expect((await loaded.invoke("Hello")).text).not.toBe("");
  });

  it("response_format json_object over HTTP: an object that parses, with finish_reason stop", async () => {
    const response = await fetch(`${baseUrl}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      // One expert by name: under a JSON grammar the routed zoo-numbers writes one endless key until
      // max_tokens (finish_reason "length", as the README says the zoo may); zoo-generalist closes its object.
      body: JSON.stringify({ model: "zoo-generalist", max_tokens: 100, messages: [{ role: "user", content: "What is 47 plus 38? Answer in JSON." }], response_format: { type: "json_object" } }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { choices: Array<{ message: { content: string }; finish_reason: string }> };
    const [choice] = body.choices;
    expect(choice!.finish_reason).toBe("stop");
    const value: unknown = JSON.parse(choice!.message.content);
    expect(typeof value === "object" && value !== null && !Array.isArray(value)).toBe(true);
  });
});

describe("timeout", () => {
  it("a call past the model's timeout rejects with ABORTED saying it timed out", async () => {
    const slow = new ChatConclave({ orchestrator, model: "zoo-generalist", maxTokens: 200, timeout: 1 });
    await expect(slow.invoke("Hello")).rejects.toMatchObject({ code: "ABORTED", message: expect.stringMatching(/timed out after 1 ms/) });
  });
});
