/**
 * Prompt reuse across requests on one context's sequences. A sequence keeps its evaluated tokens
 * (its KV cache) after a request instead of being cleared; node-llama-cpp's LlamaChat and
 * LlamaCompletion then evaluate only the tokens after the longest common prefix of the sequence's
 * state and the new prompt (`adaptStateToTokens`), so a chat's next turn, an agent's tool loop or a
 * batch sharing a few-shot prefix skips the prefill of what is already there.
 *
 * This module decides which free sequence a request gets: the one whose last conversation shares the
 * longest prefix with the request's (as llama-server picks a slot by prompt similarity). A sequence
 * is remembered by a key, its last request's messages plus the answer it generated, in a form where
 * a conversation's next turn extends the key of the turn before; scoring compares characters, not
 * tokens, so choosing costs no tokenisation. Node-llama-cpp still decides token by token what it
 * reuses; a wrong guess only costs a prefill. `measurePrefill` reads back what was evaluated.
 */
import type { LlamaContextSequence } from "node-llama-cpp";
import type { ChatMessage } from "../../kernel/contracts.js";

/** What a request's prefill did: reported in the result, the trace and the bench. */
export interface PrefillStats {
  /** From the start of generation to the first generated token. */
  ms: number;
  /** Prompt tokens in the context when the first token came: evaluated + reused. */
  promptTokens: number;
  /** Prompt tokens evaluated for this request. */
  evaluatedTokens: number;
  /** Prompt tokens already in the sequence's state from an earlier request. */
  reusedTokens: number;
}

// Separators that chat text does not contain, so "user: ab" + "c" never matches "user: abc".
const ROLE_END = "\u241e";
const MESSAGE_END = "\u241f";

/** The key of a conversation: each message as role and content, in order. */
export function conversationKey(messages: readonly ChatMessage[]): string {
  let key = "";
  for (const message of messages) key += `${message.role}${ROLE_END}${message.content}${MESSAGE_END}`;
  return key;
}

/** The key a sequence holds after answering `messages` with `answer`: the next turn extends it. */
export function answeredKey(messages: readonly ChatMessage[], answer: string): string {
  return conversationKey([...messages, { role: "assistant", content: answer }]);
}

export function commonPrefixLength(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return i;
}

/** The share of a request's prompt a sequence must already hold to be chosen for it. */
export const MIN_SIMILARITY = 0.5;

/** Which conversation each sequence holds. A sequence with no key is empty (or was cleared). */
export class PrefixIndex {
  private readonly keys = new WeakMap<LlamaContextSequence, string>();

  /**
   * How much of `key` the sequence already holds (characters), when that is at least
   * `MIN_SIMILARITY` of it; 0 otherwise. A small shared start (a role marker, a short system prompt)
   * is not worth overwriting another conversation's state for: such a request then goes to the slot
   * released longest ago, as in llama-server (its slot_prompt_similarity, 0.5 by default).
   */
  score(sequence: LlamaContextSequence, key: string): number {
    const held = this.keys.get(sequence);
    if (held === undefined) return 0;
    const shared = commonPrefixLength(held, key);
    return shared >= MIN_SIMILARITY * key.length ? shared : 0;
  }

  remember(sequence: LlamaContextSequence, key: string): void {
    this.keys.set(sequence, key);
  }

  forget(sequence: LlamaContextSequence): void {
    this.keys.delete(sequence);
  }
}

/**
 * Measures one generation's prefill: call `start()` before generating and pass `onToken` to the
 * generation. At the first token the sequence holds the prompt plus that token (measured: a cleared
 * sequence then evaluated exactly nextTokenIndex - 1 tokens), and the token meter says how many of
 * the prompt's tokens this request evaluated; the rest were reused.
 */
export function measurePrefill(sequence: LlamaContextSequence): { onToken: () => void; result: () => PrefillStats | undefined } {
  const before = sequence.tokenMeter.getState();
  const started = performance.now();
  let stats: PrefillStats | undefined;
  return {
    onToken: () => {
      if (stats) return;
      // The first generated token is already in the sequence's tokens (to be evaluated next).
      const promptTokens = Math.max(0, sequence.nextTokenIndex - 1);
      const evaluatedTokens = sequence.tokenMeter.diff(before).usedInputTokens;
      stats = { ms: performance.now() - started, promptTokens, evaluatedTokens, reusedTokens: Math.max(0, promptTokens - evaluatedTokens) };
    },
    result: () => stats,
  };
}
