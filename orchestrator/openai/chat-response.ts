/**
 * OpenAI chat completion shapes built from an outcome: the whole `chat.completion` and the
 * `chat.completion.chunk` events of a stream. conclave's routing trace rides along in a `conclave`
 * extension field, which OpenAI clients ignore.
 */
import { randomUUID } from "node:crypto";
import type { FinishReason, InstanceOutcome, RoutingTrace, TokenUsage } from "../../kernel/contracts.js";

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

/** OpenAI has no "abort" finish reason: an aborted answer is cut short, like "length". */
export function openAIFinishReason(reason: FinishReason): "stop" | "length" {
  return reason === "stop" ? "stop" : "length";
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
    choices: [{ index: 0, message: { role: "assistant" as const, content: outcome.text }, finish_reason: openAIFinishReason(outcome.finishReason) }],
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
  delta: { role?: "assistant"; content?: string },
  finishReason: "stop" | "length" | null = null,
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
