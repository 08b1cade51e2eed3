/**
 * The `plain` prompt format: the conversation's text, one message per line, then a newline where the
 * answer starts. Small models trained without a chat template (the zoo) see exactly this, so the
 * trainer renders its training prompts with this same function.
 */
import type { ChatMessage } from "../../kernel/contracts.js";

export function renderPlainPrompt(messages: readonly ChatMessage[]): string {
  const lines = messages.map((message) => message.content.trim()).filter((text) => text.length > 0);
  return `${lines.join("\n")}\n`;
}
