/**
 * The OpenAI chat completions wire format: the request body we send and the pieces we read back.
 * Parsing is defensive because "OpenAI-compatible" servers differ: fields may be missing or null, and
 * anything we cannot read as a completion is reported as malformed rather than guessed at.
 */
import type { ChatMessage, FinishReason, GenerationParams, TokenUsage } from "../../kernel/contracts.js";

/** The request body; without a model the server's default applies, without maxTokens its limit. */
export function buildRequestBody(
  model: string | undefined,
  request: { messages: readonly ChatMessage[]; params: GenerationParams },
  stream: boolean,
): Record<string, unknown> {
  const { params } = request;
  return {
    ...(model === undefined ? {} : { model }),
    messages: request.messages.map((message) => ({
      role: message.role,
      content: message.content,
      ...(message.name === undefined ? {} : { name: message.name }),
    })),
    ...(params.maxTokens === undefined ? {} : { max_tokens: params.maxTokens }),
    ...(params.temperature === undefined ? {} : { temperature: params.temperature }),
    ...(params.topP === undefined ? {} : { top_p: params.topP }),
    ...(params.seed === undefined ? {} : { seed: params.seed }),
    ...(params.stop?.length ? { stop: params.stop } : {}),
    ...(params.jsonSchema
      ? { response_format: { type: "json_schema", json_schema: { name: "response", schema: params.jsonSchema, strict: true } } }
      : {}),
    stream,
    // Without this a stream carries no token counts.
    ...(stream ? { stream_options: { include_usage: true } } : {}),
  };
}

export interface Completion {
  text: string;
  finishReason: FinishReason;
  usage: TokenUsage;
}

/** What one streamed chunk adds; every field is optional because chunks carry one thing at a time. */
export interface ChunkPart {
  content?: string;
  finishReason?: FinishReason;
  usage?: TokenUsage;
  /** Some servers report a failure mid-stream as an `error` object instead of a status code. */
  error?: string;
}

/** Parses a non-streaming response body; throws an Error saying what is wrong when it is not one. */
export function parseCompletion(body: string): Completion {
  const json = parseObject(body);
  if (typeof json.error === "object" && json.error !== null) throw new Error(errorText(json.error) ?? "error response");
  const choice = firstChoice(json);
  const message = choice?.message;
  if (!isObject(message)) throw new Error("response has no choices[0].message");
  const content = message.content;
  // null content is what servers send for an empty answer.
  if (content !== null && content !== undefined && typeof content !== "string") throw new Error("choices[0].message.content is not a string");
  return { text: content ?? "", finishReason: finishReasonOf(choice?.finish_reason) ?? "stop", usage: usageOf(json.usage) };
}

export function parseChunk(data: string): ChunkPart {
  const json = parseObject(data);
  const part: ChunkPart = {};
  if (isObject(json.error)) part.error = errorText(json.error) ?? "error event";
  const choice = firstChoice(json);
  const delta = choice?.delta;
  if (isObject(delta) && typeof delta.content === "string" && delta.content !== "") part.content = delta.content;
  const finishReason = finishReasonOf(choice?.finish_reason);
  if (finishReason) part.finishReason = finishReason;
  if (isObject(json.usage)) part.usage = usageOf(json.usage);
  return part;
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

function parseObject(text: string): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`malformed JSON: ${text.length > 200 ? `${text.slice(0, 200)}…` : text}`);
  }
  if (!isObject(json)) throw new Error("response is not a JSON object");
  return json;
}

function firstChoice(json: Record<string, unknown>): Record<string, unknown> | undefined {
  const choice: unknown = Array.isArray(json.choices) ? json.choices[0] : undefined;
  return isObject(choice) ? choice : undefined;
}

function finishReasonOf(value: unknown): FinishReason | undefined {
  if (typeof value !== "string") return undefined;
  return value === "length" ? "length" : "stop";
}

function usageOf(value: unknown): TokenUsage {
  const usage = isObject(value) ? value : {};
  return { promptTokens: count(usage.prompt_tokens), completionTokens: count(usage.completion_tokens) };
}

function count(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) ? value : 0;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
