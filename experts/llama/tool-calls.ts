/**
 * Function calling on a local expert through node-llama-cpp's chat wrappers.
 *
 * - Capability: a wrapper whose model was trained to call functions in its own syntax (Llama 3.1/3.2,
 *   Qwen 2.5/3, Mistral, Functionary, GPT-OSS/Harmony, DeepSeek, Gemma 4, Seed-OSS), or a Jinja template
 *   from which node-llama-cpp extracted a function-call syntax. Other wrappers (ChatML, Llama 2,
 *   General, ...) would only simulate calls with a made-up syntax the model never saw: no tools.
 * - History: an assistant turn's `toolCalls` become the wrapper's function-call items, each holding
 *   the result of the `tool` message that answers it (matched by `toolCallId`, else in order), so the
 *   template renders them as the model was trained to see them.
 * - `auto`: LlamaChat with the tools as functions (documented with their parameters); node-llama-cpp
 *   switches to a grammar of the function's JSON schema once the model starts a call, so arguments
 *   always match it.
 * - `required` / a named function: the call is forced. The prompt is the wrapper's own rendering
 *   (with the tools documented) followed by the wrapper's call prefix; the model then writes the
 *   function's name under a grammar that admits only the allowed names (skipped when there is one),
 *   then its arguments under the JSON-schema grammar (json-grammar.ts: bounded numbers). One call.
 */
import { randomBytes } from "node:crypto";
import {
  DeepSeekChatWrapper,
  FunctionaryChatWrapper,
  Gemma4ChatWrapper,
  HarmonyChatWrapper,
  JinjaTemplateChatWrapper,
  Llama3_1ChatWrapper,
  Llama3_2LightweightChatWrapper,
  LlamaCompletion,
  LlamaGrammar,
  LlamaText,
  MistralChatWrapper,
  QwenChatWrapper,
  SeedChatWrapper,
  type ChatHistoryItem,
  type ChatModelFunctionCall,
  type ChatModelFunctions,
  type ChatWrapper,
  type Llama,
  type LlamaContextSequence,
  type LlamaModel,
} from "node-llama-cpp";
import type { ChatMessage, ToolCall, ToolChoice, ToolDefinition } from "../../kernel/contracts.js";
import { ConclaveError } from "../../kernel/errors.js";
import { jsonAnswerComplete } from "./json-grammar.js";

const NATIVE_FUNCTION_CALLING = [
  Llama3_1ChatWrapper,
  Llama3_2LightweightChatWrapper,
  QwenChatWrapper,
  MistralChatWrapper,
  FunctionaryChatWrapper,
  HarmonyChatWrapper,
  DeepSeekChatWrapper,
  Gemma4ChatWrapper,
  SeedChatWrapper,
];

export function supportsTools(wrapper: ChatWrapper): boolean {
  if (wrapper instanceof JinjaTemplateChatWrapper) return wrapper.usingJinjaFunctionCallTemplate;
  return NATIVE_FUNCTION_CALLING.some((Wrapper) => wrapper instanceof Wrapper);
}

/** OpenAI messages to node-llama-cpp's chat history, tool calls and results included; ends with an empty model turn. */
export function toolChatHistory(messages: ChatMessage[]): ChatHistoryItem[] {
  const history: ChatHistoryItem[] = [];
  const answered = new Set<number>();
  messages.forEach((message, index) => {
    if (answered.has(index)) return;
    if (message.role === "system") history.push({ type: "system", text: message.content });
    else if (message.role === "assistant") {
      const calls = message.toolCalls ?? [];
      const response: Array<string | ChatModelFunctionCall> = message.content === "" && calls.length > 0 ? [] : [message.content];
      calls.forEach((call, position) => {
        const result = resultFor(messages, index, call, answered);
        response.push({ type: "functionCall", name: call.function.name, params: parseArguments(call.function.arguments), result, startsNewChunk: position === 0 });
      });
      history.push({ type: "model", response });
    } else history.push({ type: "user", text: message.role === "tool" ? `Tool result: ${message.content}` : message.content });
  });
  // generateResponse continues the last model turn, so an empty one is where the answer goes.
  history.push({ type: "model", response: [] });
  return history;
}

/** The `tool` message after `from` answering `call`: by id, else the first one not yet claimed. */
function resultFor(messages: ChatMessage[], from: number, call: ToolCall, answered: Set<number>): unknown {
  const following: number[] = [];
  for (let index = from + 1; index < messages.length && messages[index]!.role === "tool"; index++) following.push(index);
  const byId = following.find((index) => messages[index]!.toolCallId === call.id && !answered.has(index));
  const chosen = byId ?? following.find((index) => !answered.has(index));
  if (chosen === undefined) return "";
  answered.add(chosen);
  const content = messages[chosen]!.content;
  // Results are shown to the model as JSON when they are JSON (the templates dump them).
  try {
    return JSON.parse(content) as unknown;
  } catch {
    return content;
  }
}

function parseArguments(text: string): unknown {
  try {
    return JSON.parse(text === "" ? "{}" : text) as unknown;
  } catch {
    return text;
  }
}

/** OpenAI tools as node-llama-cpp functions; their schemas as node-llama-cpp reads them. */
export function toChatModelFunctions(tools: readonly ToolDefinition[]): ChatModelFunctions {
  const functions: Record<string, { description?: string; params?: never }> = {};
  for (const { function: fn } of tools) {
    functions[fn.name] = {
      ...(fn.description === undefined ? {} : { description: fn.description }),
      ...(fn.parameters === undefined ? {} : { params: gbnfSchema(fn.parameters) as never }),
    };
  }
  return functions;
}

/** JSON-schema keywords node-llama-cpp reads differently: `anyOf` is its `oneOf`; `$schema` and `strict` mean nothing to it. */
export function gbnfSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(gbnfSchema);
  if (typeof node !== "object" || node === null) return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === "$schema" || key === "strict") continue;
    out[key === "anyOf" ? "oneOf" : key] = key === "enum" || key === "const" ? value : gbnfSchema(value);
  }
  return out;
}

/** The functions a turn must call from, or undefined when the model decides (auto). */
export function forcedNames(tools: readonly ToolDefinition[], choice: ToolChoice | undefined): string[] | undefined {
  if (choice === undefined || choice === "auto" || choice === "none") return undefined;
  if (choice === "required") return tools.map((tool) => tool.function.name);
  const name = choice.function.name;
  if (!tools.some((tool) => tool.function.name === name)) {
    throw new ConclaveError("INVALID_REQUEST", `tool_choice names ${name}, which is not among the tools`, { param: "tool_choice" });
  }
  return [name];
}

export function newCallId(): string {
  return `call_${randomBytes(12).toString("base64url")}`;
}

export interface ForcedCallContext {
  llama: Llama;
  model: LlamaModel;
  sequence: LlamaContextSequence;
  chatWrapper: ChatWrapper;
  /** The JSON-schema grammar of the arguments (cached by the expert). */
  grammarFor(schema: Record<string, unknown>): Promise<LlamaGrammar>;
}

export interface ForcedCallOptions {
  maxTokens: number;
  temperature?: number;
  topP?: number;
  seed?: number;
  signal?: AbortSignal;
  onToken?: () => void;
}

/** One forced call. `toolCalls` is absent when the budget ran out before the arguments were whole. */
export async function forcedCall(
  context: ForcedCallContext,
  messages: ChatMessage[],
  tools: readonly ToolDefinition[],
  names: string[],
  options: ForcedCallOptions,
): Promise<{ stopReason: string; toolCalls?: ToolCall[] }> {
  const { chatWrapper, model, sequence } = context;
  const functions = toChatModelFunctions(tools);
  const { contextText } = chatWrapper.generateContextState({ chatHistory: toolChatHistory(messages), availableFunctions: functions, documentFunctionParams: true });
  const syntax = chatWrapper.settings.functions.call;
  let prompt = LlamaText([contextText, syntax.prefix]);
  const completion = new LlamaCompletion({ contextSequence: sequence, autoDisposeSequence: false });
  const sampling = {
    ...(options.temperature === undefined ? {} : { temperature: options.temperature }),
    ...(options.topP === undefined ? {} : { topP: options.topP }),
    ...(options.seed === undefined ? {} : { seed: options.seed }),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onToken ? { onToken: options.onToken } : {}),
    // The default repeat penalty fights JSON's repeated quotes and braces.
    repeatPenalty: false as const,
  };
  // LlamaCompletion puts the BOS token in front itself; the wrapper's rendering starts with one too.
  const tokens = () => {
    const all = prompt.tokenize(model.tokenizer);
    return model.tokens.bos !== null && all[0] === model.tokens.bos ? all.slice(1) : all;
  };
  try {
    // LlamaCompletion would slice a prompt too long for the context from its front, without a word.
    const room = sequence.context.contextSize - tokens().length - 1;
    if (room < options.maxTokens) {
      throw new ConclaveError("CONTEXT_LENGTH_EXCEEDED", `the prompt with its tools takes ${sequence.context.contextSize - room - 1} tokens; ${options.maxTokens} more do not fit the context of ${sequence.context.contextSize}`, { param: "messages" });
    }
    let budget = options.maxTokens;
    let name = names[0]!;
    if (names.length > 1) {
      const grammar = new LlamaGrammar(context.llama, { grammar: `root ::= ${names.map((candidate) => JSON.stringify(candidate)).join(" | ")}` });
      const picked = await completion.generateCompletionWithMeta(tokens(), { ...sampling, grammar, maxTokens: budget });
      budget -= model.tokenize(picked.response).length;
      if (!names.includes(picked.response) || budget <= 0) return { stopReason: picked.metadata.stopReason };
      name = picked.response;
    }
    prompt = LlamaText([prompt, name, syntax.paramsPrefix]);
    const parameters = tools.find((tool) => tool.function.name === name)?.function.parameters ?? { type: "object", properties: {} };
    const grammar = await context.grammarFor(parameters).catch((cause: unknown) => {
      throw new ConclaveError("INVALID_REQUEST", `tools: the parameters of ${name} are a JSON schema the grammar cannot follow: ${(cause as Error).message}`, { cause, param: "tools" });
    });
    const written = await completion.generateCompletionWithMeta(tokens(), { ...sampling, grammar, maxTokens: budget });
    const whole = written.metadata.stopReason !== "maxTokens" || jsonAnswerComplete(written.response);
    if (written.metadata.stopReason === "abort" || !whole) return { stopReason: written.metadata.stopReason };
    // Canonical JSON: what the grammar admitted, without its padding.
    const args = JSON.stringify(JSON.parse(written.response.trim()));
    return { stopReason: "functionCalls", toolCalls: [{ id: newCallId(), type: "function", function: { name, arguments: args } }] };
  } finally {
    completion.dispose({ disposeSequence: false });
  }
}

/** LlamaChat's options for a turn in which the model decides whether to call. */
export function autoCallOptions(tools: readonly ToolDefinition[], parallelToolCalls: boolean | undefined) {
  return {
    functions: toChatModelFunctions(tools),
    documentFunctionParams: true,
    ...(parallelToolCalls === false ? { maxParallelFunctionCalls: 1 } : {}),
  };
}

/** node-llama-cpp's parsed calls as OpenAI calls (arguments as canonical JSON text). */
export function toToolCalls(calls: ReadonlyArray<{ functionName: string; params: unknown }> | undefined): ToolCall[] {
  return (calls ?? []).map((call) => ({ id: newCallId(), type: "function", function: { name: call.functionName, arguments: JSON.stringify(call.params ?? {}) } }));
}
