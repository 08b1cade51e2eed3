/**
 * The OpenAI chat completions request body built from conclave's messages and parameters, and the
 * message of an error body. Tools, `tool_choice`, `parallel_tool_calls`, assistant `tool_calls` and
 * `tool` messages with `tool_call_id` pass through unchanged. Reading responses is the `openai` SDK's
 * work (remote-expert.ts); this file only says what we send.
 */
import type { ChatMessage, GenerationParams, ToolChoice, ToolDefinition } from "../../kernel/contracts.js";

export interface WireRequest {
  messages: readonly ChatMessage[];
  params: GenerationParams;
  tools?: readonly ToolDefinition[];
  toolChoice?: ToolChoice;
  parallelToolCalls?: boolean;
}

/** The request body; without a model the server's default applies, without maxTokens its limit. */
export function buildRequestBody(model: string | undefined, request: WireRequest, stream: boolean): Record<string, unknown> {
  const { params } = request;
  const tools = request.tools?.length ? request.tools : undefined;
  return {
    ...(model === undefined ? {} : { model }),
    messages: request.messages.map(wireMessage),
    ...(params.maxTokens === undefined ? {} : { max_tokens: params.maxTokens }),
    ...(params.temperature === undefined ? {} : { temperature: params.temperature }),
    ...(params.topP === undefined ? {} : { top_p: params.topP }),
    ...(params.seed === undefined ? {} : { seed: params.seed }),
    ...(params.stop?.length ? { stop: params.stop } : {}),
    ...(params.jsonSchema
      ? { response_format: { type: "json_schema", json_schema: { name: "response", schema: params.jsonSchema, strict: true } } }
      : {}),
    ...(tools ? { tools } : {}),
    ...(tools && request.toolChoice !== undefined ? { tool_choice: request.toolChoice } : {}),
    ...(tools && request.parallelToolCalls !== undefined ? { parallel_tool_calls: request.parallelToolCalls } : {}),
    stream,
    // Without this a stream carries no token counts.
    ...(stream ? { stream_options: { include_usage: true } } : {}),
  };
}

function wireMessage(message: ChatMessage): Record<string, unknown> {
  const calls = message.role === "assistant" && message.toolCalls?.length ? message.toolCalls : undefined;
  return {
    role: message.role,
    // OpenAI's own shape for a turn that only called tools.
    content: calls && message.content === "" ? null : message.content,
    ...(message.name === undefined ? {} : { name: message.name }),
    ...(calls ? { tool_calls: calls } : {}),
    ...(message.role === "tool" && message.toolCallId !== undefined ? { tool_call_id: message.toolCallId } : {}),
  };
}

/** The message of an error body: OpenAI's `error.message`, else the raw text, kept short. */
export function errorMessageOf(body: string, fallback: string): string {
  let message: string | undefined;
  try {
    const json: unknown = JSON.parse(body);
    if (isObject(json)) message = errorText(json.error) ?? (typeof json.message === "string" ? json.message : undefined);
  } catch {
    // Not JSON: the text itself is the best message we have.
  }
  message ??= body.trim();
  if (message === "") return fallback;
  return message.length > 500 ? `${message.slice(0, 500)}…` : message;
}

function errorText(error: unknown): string | undefined {
  if (typeof error === "string") return error;
  if (isObject(error) && typeof error.message === "string") return error.message;
  return undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
