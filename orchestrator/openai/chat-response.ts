/**
 * OpenAI chat completion shapes built from an outcome: the whole `chat.completion` and the
 * `chat.completion.chunk` events of a stream. conclave's routing trace rides along in a `conclave`
 * extension field, which OpenAI clients ignore.
 */
import { randomUUID } from "node:crypto";
import type { FinishReason, InstanceOutcome, RoutingTrace, TokenUsage, ToolCall } from "../../kernel/contracts.js";

export function completionId(): string {
  return `chatcmpl-${randomUUID()}`;
}

export function openAIUsage(usage: TokenUsage) {
  return {
    prompt_tokens: usage.promptTokens,
    completion_tokens: usage.completionTokens,
    total_tokens: usage.promptTokens + usage.completionTokens,
    // OpenAI's field for prompt tokens served from a cache: here, a local expert's reused prefix.
    ...(usage.cachedPromptTokens === undefined ? {} : { prompt_tokens_details: { cached_tokens: usage.cachedPromptTokens } }),
  };
}

export type OpenAIFinishReason = "stop" | "length" | "tool_calls";

/** OpenAI has no "abort" finish reason: an aborted answer is cut short, like "length". */
export function openAIFinishReason(reason: FinishReason): OpenAIFinishReason {
  return reason === "stop" || reason === "tool_calls" ? reason : "length";
}

/**
 * The assistant message: a turn of calls has null content when it said nothing, as OpenAI sends it.
 * A thinking expert's thoughts go in `reasoning_content`, beside the answer (as vLLM and DeepSeek send them).
 */
export function assistantMessage(outcome: Pick<InstanceOutcome, "text" | "toolCalls" | "reasoning">) {
  const calls = outcome.toolCalls?.length ? outcome.toolCalls : undefined;
  return {
    role: "assistant" as const,
    content: calls && outcome.text === "" ? null : outcome.text,
    ...(outcome.reasoning === undefined ? {} : { reasoning_content: outcome.reasoning }),
    ...(calls ? { tool_calls: calls } : {}),
  };
}

/** A streamed call's fragment, as OpenAI streams them: the first with id, type and name; then pieces of arguments. */
export interface ToolCallDelta {
  index: number;
  id?: string;
  type?: "function";
  function: { name?: string; arguments: string };
}

/**
 * The deltas of a turn's calls in OpenAI's streaming form: per call, a head (index, id, name, empty
 * arguments), then its arguments in pieces of at most `piece` characters; clients join them by index.
 */
export function toolCallDeltas(calls: readonly ToolCall[], piece = 24): ToolCallDelta[] {
  const deltas: ToolCallDelta[] = [];
  calls.forEach((call, index) => {
    deltas.push({ index, id: call.id, type: "function", function: { name: call.function.name, arguments: "" } });
    for (let at = 0; at < call.function.arguments.length; at += piece) {
      deltas.push({ index, function: { arguments: call.function.arguments.slice(at, at + piece) } });
    }
  });
  return deltas;
}

export function chatCompletionBody(
  outcome: InstanceOutcome,
  model: string,
  options: { id?: string; created?: number; warnings?: string[] } = {},
) {
  return {
    id: options.id ?? completionId(),
    object: "chat.completion" as const,
    created: options.created ?? Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, message: assistantMessage(outcome), finish_reason: openAIFinishReason(outcome.finishReason) }],
    usage: openAIUsage(outcome.usage),
    conclave: withWarnings(outcome.trace, options.warnings),
  };
}

export function withWarnings(trace: RoutingTrace, warnings: string[] = []): RoutingTrace {
  return warnings.length ? { ...trace, warnings: [...warnings, ...trace.warnings] } : trace;
}

export interface ChunkContext {
  id: string;
  created: number;
  model: string;
}

export function chatChunk(
  context: ChunkContext,
  delta: { role?: "assistant"; content?: string; reasoning_content?: string; tool_calls?: ToolCallDelta[] },
  finishReason: OpenAIFinishReason | null = null,
  extra: Record<string, unknown> = {},
) {
  return {
    id: context.id,
    object: "chat.completion.chunk" as const,
    created: context.created,
    model: context.model,
    choices: [{ index: 0, delta, finish_reason: finishReason }],
    ...extra,
  };
}

/** The last chunk when `stream_options.include_usage` is set: no choices, only usage. */
export function usageChunk(context: ChunkContext, usage: TokenUsage) {
  return { id: context.id, object: "chat.completion.chunk" as const, created: context.created, model: context.model, choices: [], usage: openAIUsage(usage) };
}
