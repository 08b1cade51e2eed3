/**
 * Fits a chat into the context of every expert recruited for it, before any generation starts.
 *
 * Input: the instance, the recruits' context windows (size, and a token counter when the backend has
 * one; experts that declare no context are not checked), and the configured completion budget.
 * Output: the instance to run (its oldest turns dropped only when it asked for `truncate: "oldest"`),
 * the completion budget when the configured default had to shrink to the room left (a request's own
 * max_tokens never shrinks), and what truncation dropped.
 * Failures: max_tokens that no recruit's context can hold -> INVALID_REQUEST (param `max_tokens`),
 * naming the largest value the recruits can serve for this prompt, as OpenAI does; a prompt and
 * completion that do not fit -> CONTEXT_LENGTH_EXCEEDED (param `messages`) with the token counts.
 * A chat is never cut silently: node-llama-cpp would otherwise drop its start without a word.
 */
import type { ChatMessage, Instance, ToolDefinition, Truncation } from "../kernel/contracts.js";
import { ConclaveError } from "../kernel/errors.js";

export interface ContextWindow {
  expertId: string;
  /** Tokens for prompt and completion together. */
  contextSize: number;
  /** Absent when the prompt cannot be measured (a remote model): only max_tokens is checked. */
  countTokens?: (messages: ChatMessage[], tools?: ToolDefinition[]) => Promise<number>;
}

export interface ContextFit {
  instance: Instance;
  /** The recruits' completion budget when the default did not fit beside the prompt. */
  maxTokens?: number;
  truncation?: Truncation;
  warnings: string[];
}

interface Measure {
  window: ContextWindow;
  /** Undefined when not measurable (or counting failed: the generation will report why). */
  prompt: number | undefined;
  room: number;
}

/** Counts on each window, smallest context first, stopping at the first with less room than `enough`. */
async function measure(windows: readonly ContextWindow[], messages: ChatMessage[], enough: number): Promise<Measure[]> {
  const measures: Measure[] = [];
  for (const window of windows) {
    const prompt = window.countTokens ? await window.countTokens(messages).catch(() => undefined) : undefined;
    const m = { window, prompt, room: window.contextSize - (prompt ?? 0) };
    measures.push(m);
    // The first window that cannot hold the request decides; counting the others would be wasted.
    if (m.room < enough) break;
  }
  return measures;
}

const tightest = (measures: readonly Measure[]): Measure => measures.reduce((a, b) => (b.room < a.room ? b : a));

/**
 * The chat without its oldest turn: the first non-system message with the replies that follow it up
 * to the next user message. System messages and the last message stay; null when nothing can go.
 */
export function dropOldestTurn(messages: readonly ChatMessage[]): ChatMessage[] | null {
  const last = messages.length - 1;
  const first = messages.findIndex((m) => m.role !== "system");
  if (first === -1 || first >= last) return null;
  let end = first + 1;
  while (end < last && messages[end]!.role !== "user" && messages[end]!.role !== "system") end++;
  return [...messages.slice(0, first), ...messages.slice(end)];
}

function tooLarge(maxTokens: number, tight: Measure): ConclaveError {
  const { window, prompt, room } = tight;
  const taken = prompt === undefined ? "" : `, ${prompt} of them taken by the messages`;
  return new ConclaveError(
    "INVALID_REQUEST",
    `max_tokens is too large: ${maxTokens}. This model supports at most ${Math.max(0, room)} completion tokens, whereas you provided ${maxTokens} ` +
      `(expert ${window.expertId} holds ${window.contextSize} tokens${taken}).`,
    { param: "max_tokens" },
  );
}

function exceeded(tight: Measure, completion: number, truncate: boolean, dropped: number): ConclaveError {
  const { window, prompt = 0 } = tight;
  const advice = truncate
    ? `Dropping the oldest turns (${dropped} messages) was not enough: shorten the last message or the system prompt.`
    : `Please reduce the length of the messages or completion, or send conclave.truncate: "oldest" to drop the oldest turns.`;
  return new ConclaveError(
    "CONTEXT_LENGTH_EXCEEDED",
    `This model's maximum context length is ${window.contextSize} tokens (expert ${window.expertId}). ` +
      `However, you requested ${prompt + completion} tokens (${prompt} in the messages, ${completion} in the completion). ${advice}`,
    { param: "messages" },
  );
}

export async function fitContext(instance: Instance, windows: readonly ContextWindow[], defaultMaxTokens: number): Promise<ContextFit> {
  if (windows.length === 0) return { instance, warnings: [] };
  const sorted = [...windows].sort((a, b) => a.contextSize - b.contextSize);
  const explicit = instance.params?.maxTokens;
  const truncate = instance.truncate === "oldest";
  // The budget to make room for, and the least that can be served: a default budget shrinks to fit.
  const wanted = explicit ?? defaultMaxTokens;
  const needed = explicit ?? 1;

  let messages = instance.messages;
  let measures = await measure(sorted, messages, truncate ? wanted : needed);
  const before = tightest(measures);
  if (explicit !== undefined && explicit >= sorted[0]!.contextSize && before.room >= 1) throw tooLarge(explicit, before);
  let dropped = 0;
  while (truncate && tightest(measures).room < wanted) {
    const shorter = dropOldestTurn(messages);
    if (!shorter) break;
    dropped += messages.length - shorter.length;
    messages = shorter;
    measures = await measure(sorted, messages, wanted);
  }
  // A measure that stopped early at the budget it wanted still needs every window's room to shrink to.
  if (measures.length < sorted.length && tightest(measures).room >= needed) measures = await measure(sorted, messages, needed);
  const tight = tightest(measures);
  if (tight.room < needed) throw exceeded(tight, wanted, truncate, dropped);

  const fit: ContextFit = { instance: dropped ? { ...instance, messages } : instance, warnings: [] };
  if (explicit === undefined && tight.room < defaultMaxTokens) fit.maxTokens = tight.room;
  if (dropped) {
    const after = measures.find((m) => m.window === before.window)!;
    fit.truncation = {
      droppedMessages: dropped,
      promptTokens: { before: before.prompt ?? 0, after: after.prompt ?? 0 },
      expertId: before.window.expertId,
      contextSize: before.window.contextSize,
    };
    fit.warnings.push(
      `conclave.truncate: dropped the ${dropped} oldest messages (${before.prompt} -> ${after.prompt} prompt tokens) ` +
        `to fit expert ${before.window.expertId}'s ${before.window.contextSize}-token context`,
    );
  }
  return fit;
}
