/**
 * Function calling on a local expert, on a real node-llama-cpp: a generated model whose GGUF carries
 * Qwen 2.5's chat template (so node-llama-cpp resolves its Qwen wrapper, trained syntax and all).
 * Random weights decide nothing sensible, which is the point for forced calls: whatever the model
 * samples, the grammar must hold it to a valid call.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveChatWrapper, readGgufFileInfo, type LlamaModel } from "node-llama-cpp";
import type { ChatMessage, ToolDefinition } from "../../../kernel/contracts.js";
import { LlamaExpert } from "../../../experts/llama/llama-expert.js";
import { getRuntime, disposeRuntime } from "../../../experts/llama/runtime.js";
import { supportsTools, toolChatHistory } from "../../../experts/llama/tool-calls.js";
import { isConclaveError } from "../../../kernel/errors.js";
import { modelFolder, TINY_MOE, type ModelFolder } from "../../helpers/models.js";

// Tools documented in the system turn take ~800 tokens of this character-level vocabulary.
const QWEN_SPEC = { ...TINY_MOE, architecture: "qwen3moe" as const, chatTemplate: "qwen2.5" as const, contextLength: 4096 };
const runtime = { gpu: false as const, maxThreads: 2 };

let folder: ModelFolder;
let qwenPath: string;
let chatmlPath: string;
const experts: LlamaExpert[] = [];

beforeAll(async () => {
  folder = await modelFolder("conclave-tools-");
  qwenPath = (await folder.write("caller", QWEN_SPEC)).path;
  chatmlPath = (await folder.write("plain-chatml")).path;
});
afterAll(async () => {
  await Promise.all(experts.map((expert) => expert.close()));
  await disposeRuntime();
  await folder.remove();
});

function expert(path: string, extra: Partial<ConstructorParameters<typeof LlamaExpert>[0]> = {}): LlamaExpert {
  const created = new LlamaExpert({ id: `e${experts.length}`, model: path, modelsDir: folder.dir, allowDownload: false, contextSize: 2048, sequences: 1, threads: 2, gpuLayers: 0, useMmap: true, runtime, ...extra });
  experts.push(created);
  return created;
}

const weather: ToolDefinition = {
  type: "function",
  function: {
    name: "get_weather",
    description: "Current weather in a city",
    parameters: {
      type: "object",
      properties: {
        city: { type: "string", maxLength: 12 },
        unit: { type: "string", enum: ["celsius", "fahrenheit"] },
        days: { type: "integer", minimum: 1, maximum: 7 },
      },
      required: ["city", "unit", "days"],
      additionalProperties: false,
    },
  },
};
const search: ToolDefinition = {
  type: "function",
  function: {
    name: "search_web",
    description: "Search the web",
    parameters: { type: "object", properties: { query: { type: "string", maxLength: 20 }, safe: { type: "boolean" } }, required: ["query", "safe"], additionalProperties: false },
  },
};
const ask: ChatMessage[] = [{ role: "user", content: "What is the weather in Oslo?" }];

/** Enough of JSON-schema validation for the schemas above. */
function valid(schema: Record<string, unknown>, value: unknown): boolean {
  if (Array.isArray(schema.enum)) return schema.enum.includes(value);
  switch (schema.type) {
    case "string":
      return typeof value === "string" && (schema.maxLength === undefined || value.length <= (schema.maxLength as number));
    case "boolean":
      return typeof value === "boolean";
    case "integer":
      return Number.isInteger(value) && (value as number) >= (schema.minimum as number) && (value as number) <= (schema.maximum as number);
    case "object": {
      if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
      const properties = schema.properties as Record<string, Record<string, unknown>>;
      const record = value as Record<string, unknown>;
      return (
        (schema.required as string[]).every((key) => key in record) &&
        Object.entries(record).every(([key, item]) => properties[key] !== undefined && valid(properties[key], item))
      );
    }
    default:
      return false;
  }
}

describe("tools capability", () => {
  it("is detected from the chat wrapper: Qwen's template takes tools, plain ChatML does not; config overrides", async () => {
    const qwen = expert(qwenPath);
    expect(qwen.info.tools).toBeUndefined();
    await qwen.describe();
    expect(qwen.info.tools).toBe(true);
    const chatml = expert(chatmlPath);
    await chatml.describe();
    expect(chatml.info.tools).toBe(false);
    const declared = expert(qwenPath, { tools: false });
    await declared.describe();
    expect(declared.info.tools).toBe(false);
    expect(expert(qwenPath, { promptFormat: "plain" }).info.tools).toBeUndefined();
    // The wrapper the load resolves (with the tokenizer) agrees with the one read from the file alone.
    const llama = await getRuntime(runtime);
    const model: LlamaModel = await llama.loadModel({ modelPath: qwenPath, vocabOnly: true, gpuLayers: 0 });
    try {
      const loaded = resolveChatWrapper(model);
      const fromFile = resolveChatWrapper({ fileInfo: await readGgufFileInfo(qwenPath), filename: qwenPath, warningLogs: false });
      expect(loaded.constructor.name).toBe("QwenChatWrapper");
      expect(fromFile?.constructor.name).toBe("QwenChatWrapper");
      expect(supportsTools(loaded)).toBe(true);

      // A tool loop's history renders in Qwen's trained syntax: the call, then its result.
      const history = toolChatHistory([
        ...ask,
        { role: "assistant", content: "", toolCalls: [{ id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Oslo","unit":"celsius","days":1}' } }] },
        { role: "tool", toolCallId: "call_1", content: '{"temperature":18}' },
      ]);
      const text = loaded.generateContextState({ chatHistory: history, availableFunctions: { get_weather: { description: "Current weather in a city" } } }).contextText.toString();
      expect(text).toContain('<tool_call>\n{"name": "get_weather", "arguments": {"city": "Oslo", "unit": "celsius", "days": 1}}\n</tool_call>');
      expect(text).toContain('<tool_response>\n{"temperature": 18}\n</tool_response>');
      expect(text).toContain("# Tools");
    } finally {
      await model.dispose();
    }
  });
});

// Several sampled calls of up to 120 grammar-constrained tokens each: minutes on a loaded 2-core machine.
const SAMPLED_CALLS_TIMEOUT = 240_000;

describe("forced calls", () => {
  it("a named function: one call whose arguments are valid for its schema, whatever is sampled", async () => {
    const caller = expert(qwenPath);
    for (const seed of [1, 2, 3]) {
      const streamed: string[] = [];
      const result = await caller.doGenerate({
        messages: ask,
        params: { maxTokens: 120, temperature: 1, seed },
        tools: [weather, search],
        toolChoice: { type: "function", function: { name: "get_weather" } },
        onText: (text) => streamed.push(text),
      });
      expect(result.finishReason).toBe("tool_calls");
      expect(result.text).toBe("");
      expect(streamed).toEqual([]);
      expect(result.toolCalls).toHaveLength(1);
      const [call] = result.toolCalls!;
      expect(call!.id).toMatch(/^call_/);
      expect(call!.function.name).toBe("get_weather");
      const args: unknown = JSON.parse(call!.function.arguments);
      expect(valid(weather.function.parameters!, args), call!.function.arguments).toBe(true);
      expect(result.usage.completionTokens).toBeGreaterThan(0);
    }
  }, SAMPLED_CALLS_TIMEOUT);

  it("required: the model picks among the tools, and the picked one's schema holds", async () => {
    const caller = expert(qwenPath);
    const names = new Set<string>();
    for (const seed of [4, 5, 6, 7]) {
      const result = await caller.doGenerate({ messages: ask, params: { maxTokens: 120, temperature: 1, seed }, tools: [weather, search], toolChoice: "required" });
      expect(result.finishReason).toBe("tool_calls");
      const [call] = result.toolCalls!;
      const tool = [weather, search].find((candidate) => candidate.function.name === call!.function.name);
      expect(tool, call!.function.name).toBeDefined();
      expect(valid(tool!.function.parameters!, JSON.parse(call!.function.arguments)), call!.function.arguments).toBe(true);
      names.add(call!.function.name);
    }
    expect(names.size).toBeGreaterThanOrEqual(1);
  }, SAMPLED_CALLS_TIMEOUT);

  it("a budget that ends inside the arguments says length and returns no half-written call", async () => {
    const result = await expert(qwenPath).doGenerate({ messages: ask, params: { maxTokens: 4, temperature: 1, seed: 1 }, tools: [weather], toolChoice: "required" });
    expect(result.finishReason).toBe("length");
    expect(result.toolCalls).toBeUndefined();
  });

  it("a named function that is not among the tools is refused", async () => {
    const error = await expert(qwenPath)
      .doGenerate({ messages: ask, params: { maxTokens: 20 }, tools: [weather], toolChoice: { type: "function", function: { name: "nope" } } })
      .catch((caught: unknown) => caught);
    expect(isConclaveError(error) && error.code).toBe("INVALID_REQUEST");
    expect((error as Error).message).toContain("nope");
  });
});

describe("counting", () => {
  it("counts offered tools in the prompt, as a turn that may call them renders it", async () => {
    const caller = expert(qwenPath, { reusePrefix: false });
    const plain = await caller.countTokens(ask);
    const withTools = await caller.countTokens(ask, [weather]);
    expect(withTools).toBeGreaterThan(plain + 100);
    const result = await caller.doGenerate({ messages: ask, params: { maxTokens: 2, seed: 1 }, tools: [weather] });
    // The count never falls short of what the generation evaluated (it may be one over).
    expect(withTools - result.usage.promptTokens).toBeGreaterThanOrEqual(0);
    expect(withTools - result.usage.promptTokens).toBeLessThanOrEqual(1);
  });

  it("a forced call refuses a prompt whose tools leave no room, instead of cutting it", async () => {
    const small = expert(qwenPath, { contextSize: 900 });
    const error = await small.doGenerate({ messages: ask, params: { maxTokens: 120 }, tools: [weather, search], toolChoice: "required" }).catch((caught: unknown) => caught);
    expect(isConclaveError(error) && error.code).toBe("CONTEXT_LENGTH_EXCEEDED");
  });
});

describe("auto and none", () => {
  it("auto: either text or calls with valid arguments; none: text, no calls, with the history's calls rendered", async () => {
    const caller = expert(qwenPath);
    const auto = await caller.doGenerate({ messages: ask, params: { maxTokens: 40, temperature: 0.8, seed: 3 }, tools: [weather] });
    if (auto.finishReason === "tool_calls") {
      for (const call of auto.toolCalls!) expect(valid(weather.function.parameters!, JSON.parse(call.function.arguments))).toBe(true);
    } else {
      expect(auto.toolCalls).toBeUndefined();
      expect(["stop", "length"]).toContain(auto.finishReason);
    }
    const loop: ChatMessage[] = [
      ...ask,
      { role: "assistant", content: "", toolCalls: [{ id: "c1", type: "function", function: { name: "get_weather", arguments: '{"city":"Oslo","unit":"celsius","days":1}' } }] },
      { role: "tool", toolCallId: "c1", content: "18 C and sunny" },
    ];
    const none = await caller.doGenerate({ messages: loop, params: { maxTokens: 8, seed: 1 }, tools: [weather], toolChoice: "none" });
    expect(none.toolCalls).toBeUndefined();
    expect(none.finishReason).toBe("length");
    // The tool result is in the prompt: the same chat without it is shorter.
    const without = await caller.countTokens(loop.slice(0, 2));
    expect(await caller.countTokens(loop)).toBeGreaterThan(without + 5);
  });
});
