/**
 * Tool calling through the HTTP door with the official `openai` client on a real listening port:
 * a local expert whose GGUF carries Qwen 2.5's template (function calling), a plain ChatML one (no
 * tools: never recruited for a request with tools), and a remote expert served by a local
 * OpenAI-compatible test server that declares tools. Forced calls must come back with arguments
 * valid for the tool's schema, streaming (as the client accumulates deltas) or not; a full tool loop
 * (call, tool result, final answer) runs on conclave itself.
 */
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { disposeRuntime } from "../../../experts/llama/runtime.js";
import { parseConfig } from "../../../orchestrator/config/load.js";
import { Orchestrator } from "../../../orchestrator/orchestrator.js";
import { buildServer, type ConclaveServer } from "../../../orchestrator/http/server.js";
import { modelFolder, TINY_MOE, type ModelFolder } from "../../helpers/models.js";
import { sendJson, startFakeServer, startSse, type FakeServer } from "../../experts/remote/fake-openai.js";

let folder: ModelFolder;
let remote: FakeServer;
let orchestrator: Orchestrator;
let server: ConclaveServer;
let client: OpenAI;

const weather = {
  type: "function" as const,
  function: {
    name: "get_weather",
    description: "Current weather in a city",
    parameters: {
      type: "object",
      properties: { city: { type: "string", maxLength: 10 }, unit: { type: "string", enum: ["celsius", "fahrenheit"] } },
      required: ["city", "unit"],
      additionalProperties: false,
    },
  },
};
const question = [{ role: "user" as const, content: "What is the weather in Oslo?" }];

function validWeatherArgs(text: string): boolean {
  const args = JSON.parse(text) as Record<string, unknown>;
  return (
    Object.keys(args).sort().join() === "city,unit" &&
    typeof args.city === "string" &&
    args.city.length <= 10 &&
    (args.unit === "celsius" || args.unit === "fahrenheit")
  );
}

beforeAll(async () => {
  folder = await modelFolder("conclave-http-tools-");
  const caller = await folder.write("caller", { ...TINY_MOE, architecture: "qwen3moe", chatTemplate: "qwen2.5" });
  const talker = await folder.write("talker");
  remote = await startFakeServer();
  remote.handle((_request, res) => sendJson(res, 200, { choices: [{ message: { role: "assistant", content: "It is sunny in Oslo." }, finish_reason: "stop" }] }));
  const config = parseConfig(
    {
      runtime: { gpu: false, maxThreads: 2 },
      experts: [
        { id: "caller", backend: "llama", model: caller.path, contextSize: 1536, sequences: 1, threads: 2 },
        { id: "talker", backend: "llama", model: talker.path, contextSize: 512, sequences: 1, threads: 1 },
        { id: "far", backend: "remote", baseUrl: remote.baseUrl, model: "m-1", tools: true, maxRetries: 0 },
      ],
      routing: { strategy: "fixed", fixed: ["caller", "talker", "far"] },
      aggregation: { method: "vote" },
      generation: { maxTokens: 100, temperature: 0.8 },
    },
    folder.dir,
  );
  orchestrator = await Orchestrator.create(config);
  server = await buildServer(orchestrator, { apiKeys: [] });
  const address = await server.app.listen({ port: 0, host: "127.0.0.1" });
  client = new OpenAI({ baseURL: `${address}/v1`, apiKey: "unused", maxRetries: 0 });
});
afterAll(async () => {
  await server?.close();
  await orchestrator?.close();
  await remote?.close();
  await disposeRuntime();
  await folder?.remove();
});

describe("tool calls through the official openai client", () => {
  it("a forced call, not streaming: message.tool_calls with schema-valid arguments and finish_reason tool_calls", async () => {
    for (const seed of [1, 2]) {
      const completion = await client.chat.completions.create({
        model: "caller",
        messages: question,
        tools: [weather],
        tool_choice: { type: "function", function: { name: "get_weather" } },
        seed,
      });
      const choice = completion.choices[0]!;
      expect(choice.finish_reason).toBe("tool_calls");
      expect(choice.message.content).toBeNull();
      expect(choice.message.tool_calls).toHaveLength(1);
      const call = choice.message.tool_calls![0]!;
      expect(call.type).toBe("function");
      if (call.type !== "function") return;
      expect(call.id).toMatch(/^call_/);
      expect(call.function.name).toBe("get_weather");
      expect(validWeatherArgs(call.function.arguments), call.function.arguments).toBe(true);
    }
  });

  it("a forced call, streaming: the client's own accumulation (ChatCompletionStream) rebuilds the same call", async () => {
    const stream = client.chat.completions.stream({ model: "caller", messages: question, tools: [weather], tool_choice: "required", seed: 3, stream_options: { include_usage: true } });
    const fragments: string[] = [];
    stream.on("chunk", (chunk) => {
      for (const delta of chunk.choices[0]?.delta.tool_calls ?? []) fragments.push(delta.function?.arguments ?? "");
    });
    const final = await stream.finalChatCompletion();
    const choice = final.choices[0]!;
    expect(choice.finish_reason).toBe("tool_calls");
    const call = choice.message.tool_calls![0]!;
    if (call.type !== "function") throw new Error("not a function call");
    expect(call.function.name).toBe("get_weather");
    expect(validWeatherArgs(call.function.arguments), call.function.arguments).toBe(true);
    // Arguments arrived in more than one fragment, joined by the client.
    expect(fragments.filter((piece) => piece !== "").length).toBeGreaterThan(1);
    expect(fragments.join("")).toBe(call.function.arguments);
    expect(final.usage?.completion_tokens).toBeGreaterThan(0);
  });

  it("runs a full tool loop on conclave: call, tool result, final answer", async () => {
    const first = await client.chat.completions.create({ model: "caller", messages: question, tools: [weather], tool_choice: "required", seed: 4 });
    const call = first.choices[0]!.message.tool_calls![0]!;
    if (call.type !== "function") throw new Error("not a function call");
    const args = JSON.parse(call.function.arguments) as { city: string; unit: string };
    const result = JSON.stringify({ city: args.city, temperature: 18, unit: args.unit });
    const second = await client.chat.completions.create({
      model: "caller",
      messages: [...question, first.choices[0]!.message, { role: "tool", tool_call_id: call.id, content: result }],
      tools: [weather],
      tool_choice: "none",
      max_tokens: 6,
      seed: 5,
    });
    const answer = second.choices[0]!;
    expect(answer.message.tool_calls).toBeUndefined();
    expect(answer.message.content?.length).toBeGreaterThan(0);
    expect(answer.finish_reason).toBe("length");
    // The call and its result were in the prompt: it is longer than the question's alone by at least the result.
    const alone = await client.chat.completions.create({ model: "caller", messages: question, tools: [weather], tool_choice: "none", max_tokens: 1 });
    expect(second.usage!.prompt_tokens).toBeGreaterThan(alone.usage!.prompt_tokens + result.length);
  });

  it("never recruits an expert that cannot call tools; a mixed turn (one call, one text) comes back as one expert's turn", async () => {
    const completion = await client.chat.completions.create({ model: "conclave", messages: question, tools: [weather], tool_choice: "required", seed: 6 });
    const trace = (completion as unknown as { conclave: { recruitment: { recruits: Array<{ expertId: string }>; fallback?: string }; aggregation: { method: string; reason: string }; answers: Array<{ expertId: string; text: string; toolCalls?: unknown[] }> } }).conclave;
    expect(trace.recruitment.recruits.map((r) => r.expertId)).toEqual(["caller", "far"]);
    expect(trace.recruitment.fallback).toContain("left out talker");
    // The remote (a server that ignored tool_choice) answered in text; the local expert called.
    const byId = Object.fromEntries(trace.answers.map((a) => [a.expertId, a]));
    expect(byId.far?.text).toBe("It is sunny in Oslo.");
    expect(byId.far?.toolCalls).toBeUndefined();
    expect(byId.caller?.toolCalls).toHaveLength(1);
    expect(trace.aggregation.method).toBe("single");
    expect(trace.aggregation.reason).toMatch(/^tool turn: no majority/);
    // Equal weights: the first recruit's turn, whole.
    const message = completion.choices[0]!.message;
    expect(completion.choices[0]!.finish_reason).toBe("tool_calls");
    expect(message.content).toBeNull();
    expect(message.tool_calls).toHaveLength(1);
    // The remote got the tools and tool_choice unchanged.
    const sent = remote.requests.at(-1)!.body;
    expect(sent).toMatchObject({ tools: [weather], tool_choice: "required" });
  });

  it("passes a remote expert's streamed tool calls back to the client", async () => {
    remote.handle((_request, res) => {
      startSse(res);
      const chunk = (delta: unknown, finish: string | null = null) => `data: ${JSON.stringify({ choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
      res.write(chunk({ role: "assistant", tool_calls: [{ index: 0, id: "call_far", type: "function", function: { name: "get_weather", arguments: '{"city":' } }] }));
      res.write(chunk({ tool_calls: [{ index: 0, function: { arguments: '"Oslo","unit":"celsius"}' } }] }));
      res.write(chunk({}, "tool_calls"));
      res.end("data: [DONE]\n\n");
    });
    const stream = client.chat.completions.stream({ model: "far", messages: question, tools: [weather] });
    const final = await stream.finalChatCompletion();
    expect(final.choices[0]!.finish_reason).toBe("tool_calls");
    expect(final.choices[0]!.message.tool_calls).toEqual([
      { id: "call_far", type: "function", function: { name: "get_weather", arguments: '{"city":"Oslo","unit":"celsius"}' } },
    ]);
  });

  it("lists which experts take tools", async () => {
    const models = await client.models.list();
    const tools = Object.fromEntries(models.data.map((m) => [m.id, (m as unknown as { conclave: { tools?: boolean } }).conclave.tools]));
    expect(tools).toMatchObject({ caller: true, talker: false, far: true });
  });

  it("refuses tools for an expert that cannot call them", async () => {
    const error = await client.chat.completions.create({ model: "talker", messages: question, tools: [weather] }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).param).toBe("tools");
  });
});
