/**
 * ChatConclave's tool calling, in the spirit of LangChain's standard tool-calling tests, in both modes
 * (in-process, and remote against the same orchestrator's listening HTTP server): bind tools given as
 * zod, JSON schema and a LangChain tool; invoke; stream tool calls with usage; a tool message round
 * trip; parallel calls from an expert that makes them; structured output through tool calling. A local expert with Qwen 2.5's template makes
 * forced calls; a remote expert (a local OpenAI-compatible test server) makes parallel ones.
 */
import { AIMessage, AIMessageChunk, HumanMessage, ToolMessage, type BaseMessage } from "@langchain/core/messages";
import { tool } from "@langchain/core/tools";
import { concat } from "@langchain/core/utils/stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { disposeRuntime } from "../../../experts/llama/runtime.js";
import { parseConfig } from "../../../orchestrator/config/load.js";
import { buildServer, type ConclaveServer } from "../../../orchestrator/http/server.js";
import { ChatConclave } from "../../../orchestrator/langchain/index.js";
import { Orchestrator } from "../../../orchestrator/orchestrator.js";
import { sendJson, startFakeServer, type FakeServer } from "../../experts/remote/fake-openai.js";
import { modelFolder, TINY_MOE, type ModelFolder } from "../../helpers/models.js";

let folder: ModelFolder;
let remote: FakeServer;
let orchestrator: Orchestrator;
let server: ConclaveServer;
let baseUrl: string;

beforeAll(async () => {
  folder = await modelFolder("conclave-lc-tools-");
  const caller = await folder.write("caller", { ...TINY_MOE, architecture: "qwen3moe", chatTemplate: "qwen2.5" });
  remote = await startFakeServer();
  // Two calls at once, as a model with parallel function calling makes them.
  remote.handle((_request, res) =>
    sendJson(res, 200, {
      choices: [
        {
          message: {
            role: "assistant",
            content: null,
            tool_calls: [
              { id: "call_a", type: "function", function: { name: "get_weather", arguments: '{"city":"Oslo"}' } },
              { id: "call_b", type: "function", function: { name: "get_weather", arguments: '{"city":"Rome"}' } },
            ],
          },
          finish_reason: "tool_calls",
        },
      ],
      usage: { prompt_tokens: 40, completion_tokens: 20 },
    }),
  );
  const config = parseConfig(
    {
      runtime: { gpu: false, maxThreads: 2 },
      experts: [
        { id: "caller", backend: "llama", model: caller.path, contextSize: 1536, sequences: 1, threads: 2 },
        { id: "far", backend: "remote", baseUrl: remote.baseUrl, model: "m-1", tools: true, maxRetries: 0 },
      ],
      routing: { strategy: "fixed", fixed: ["caller"] },
      aggregation: { method: "vote" },
      generation: { maxTokens: 100, temperature: 0.8 },
    },
    folder.dir,
  );
  orchestrator = await Orchestrator.create(config);
  server = await buildServer(orchestrator, { apiKeys: [] });
  baseUrl = `${await server.app.listen({ port: 0, host: "127.0.0.1" })}/v1`;
});
afterAll(async () => {
  await server?.close();
  await orchestrator?.close();
  await remote?.close();
  await disposeRuntime();
  await folder?.remove();
});

const weatherZod = { name: "get_weather", description: "Current weather in a city", schema: z.object({ city: z.string().max(10), unit: z.enum(["celsius", "fahrenheit"]) }) };
const weatherJson = {
  name: "get_weather",
  description: "Current weather in a city",
  schema: { type: "object", properties: { city: { type: "string", maxLength: 10 }, unit: { type: "string", enum: ["celsius", "fahrenheit"] } }, required: ["city", "unit"], additionalProperties: false },
};
const weatherTool = tool(async ({ city, unit }: { city: string; unit: string }) => JSON.stringify({ city, unit, temperature: 18 }), weatherZod);

function expectValidWeather(call: { name: string; args: Record<string, unknown> } | undefined): void {
  expect(call?.name).toBe("get_weather");
  const parsed = weatherZod.schema.safeParse(call?.args);
  expect(parsed.success, JSON.stringify(call?.args)).toBe(true);
}

type Mode = "in-process" | "remote";
const chatFor = (mode: Mode, extra: Record<string, unknown> = {}) =>
  mode === "in-process" ? new ChatConclave({ orchestrator, maxTokens: 100, seed: 2, ...extra }) : new ChatConclave({ baseUrl, maxTokens: 100, seed: 2, maxRetries: 0, ...extra });

describe.each(["in-process", "remote"] as const)("ChatConclave tools (%s)", (mode) => {
  it("binds tools as zod, JSON schema or a LangChain tool, and a forced call's arguments are valid for the schema", async () => {
    for (const [index, input] of [weatherZod, weatherJson, weatherTool].entries()) {
      const message = await chatFor(mode, { seed: 10 + index }).bindTools([input], { tool_choice: "get_weather" }).invoke("What is the weather in Oslo?");
      expect(message.tool_calls).toHaveLength(1);
      expectValidWeather(message.tool_calls![0]);
      expect(message.tool_calls![0]!.id).toMatch(/^call_/);
      expect(message.response_metadata.finish_reason).toBe("tool_calls");
    }
  });

  it("streams tool calls as tool_call_chunks that join into the call, with usage", async () => {
    const bound = chatFor(mode, { seed: 21 }).bindTools([weatherTool], { tool_choice: "any" });
    let joined: AIMessageChunk | undefined;
    for await (const chunk of await bound.stream("What is the weather in Oslo?")) joined = joined ? concat(joined, chunk) : chunk;
    expect(joined?.tool_call_chunks?.length).toBe(1);
    expect(joined?.tool_calls).toHaveLength(1);
    expectValidWeather(joined?.tool_calls?.[0]);
    expect(joined?.usage_metadata?.output_tokens).toBeGreaterThan(0);
    expect(joined?.usage_metadata?.input_tokens).toBeGreaterThan(0);
  });

  it("runs a tool loop: call, ToolMessage with the result, final answer", async () => {
    const model = chatFor(mode, { seed: 31 });
    const history: BaseMessage[] = [new HumanMessage("What is the weather in Oslo?")];
    const call = await model.bindTools([weatherTool], { tool_choice: "required" }).invoke(history);
    history.push(call);
    for (const toolCall of call.tool_calls ?? []) history.push((await weatherTool.invoke(toolCall)) as ToolMessage);
    expect(history.at(-1)).toBeInstanceOf(ToolMessage);
    const final = await model.bindTools([weatherTool], { tool_choice: "none" }).invoke(history, { maxTokens: 5 });
    expect(final).toBeInstanceOf(AIMessage);
    expect(final.tool_calls ?? []).toEqual([]);
    expect(final.text.length).toBeGreaterThan(0);
  });

  it("withStructuredOutput through tool calling: the call's arguments are the output", async () => {
    const out = await chatFor(mode, { seed: 41 }).withStructuredOutput(weatherZod.schema, { method: "functionCalling", name: "report" }).invoke("Weather in Oslo?");
    expect(weatherZod.schema.safeParse(out).success, JSON.stringify(out)).toBe(true);
    const both = await chatFor(mode, { seed: 42 }).withStructuredOutput(weatherZod.schema, { method: "functionCalling", includeRaw: true }).invoke("Weather in Oslo?");
    expect((both.raw as AIMessage).tool_calls?.[0]?.name).toBe("extract");
    expect(both.parsed).toEqual((both.raw as AIMessage).tool_calls?.[0]?.args);
  });

  it("returns parallel calls from an expert that makes them", async () => {
    const message = await chatFor(mode, { model: "far" }).bindTools([weatherZod]).invoke("Weather in Oslo and Rome?");
    expect(message.tool_calls?.map((call) => [call.id, call.args])).toEqual([
      ["call_a", { city: "Oslo" }],
      ["call_b", { city: "Rome" }],
    ]);
    // The remote got the tool as OpenAI's function definition, converted from zod.
    const sent = remote.requests.at(-1)!.body as { tools: Array<{ function: { name: string; parameters: { properties: Record<string, unknown> } } }> };
    expect(sent.tools[0]!.function.name).toBe("get_weather");
    expect(Object.keys(sent.tools[0]!.function.parameters.properties)).toEqual(["city", "unit"]);
  });
});
