/**
 * LangChain messages -> conclave's chat messages (the same shape the HTTP door produces).
 *
 * Mapping: system/developer -> system, human -> user, ai -> assistant, tool (and the legacy function
 * message) -> tool, a generic ChatMessage keeps its role when conclave knows it. Content arrays are
 * joined from their text parts. Failure: UNSUPPORTED_PARAMETER for a non-text part (an image, a
 * file) in any message but an AI one, because conclave's experts read text only and silently
 * dropping part of a question would change its meaning. An AI message's non-text parts (tool-use or
 * reasoning blocks written by some other model) are skipped; its tool calls become the message's
 * `toolCalls` (arguments as JSON text), and a tool message keeps the id of the call it answers, so
 * a tool-capable expert sees the loop in its own trained syntax.
 */
import type { BaseMessage } from "@langchain/core/messages";
import { AIMessage, ChatMessage as LangChainChatMessage, ToolMessage } from "@langchain/core/messages";
import type { ChatMessage, Role } from "../../kernel/contracts.js";
import { ConclaveError } from "../../kernel/errors.js";

const ROLES: Record<string, Role> = {
  system: "system",
  developer: "system",
  human: "user",
  user: "user",
  ai: "assistant",
  assistant: "assistant",
  tool: "tool",
  function: "tool",
};

export function toConclaveMessages(messages: readonly BaseMessage[]): ChatMessage[] {
  return messages.map((message, index) => toConclaveMessage(message, index));
}

function toConclaveMessage(message: BaseMessage, index: number): ChatMessage {
  const type = LangChainChatMessage.isInstance(message) ? message.role : message.type;
  const role = ROLES[type];
  if (!role) {
    throw new ConclaveError("UNSUPPORTED_PARAMETER", `messages.${index}: message type "${type}" has no conclave role`, { param: `messages.${index}` });
  }
  const content = textOf(message.content, role === "assistant", index);
  const calls = AIMessage.isInstance(message) && message.tool_calls?.length ? message.tool_calls : undefined;
  return {
    role,
    content,
    ...(message.name ? { name: message.name } : {}),
    ...(calls
      ? { toolCalls: calls.map((call, position) => ({ id: call.id ?? `call_${index}_${position}`, type: "function" as const, function: { name: call.name, arguments: JSON.stringify(call.args ?? {}) } })) }
      : {}),
    ...(ToolMessage.isInstance(message) ? { toolCallId: message.tool_call_id } : {}),
  };
}

function textOf(content: unknown, skipNonText: boolean, index: number): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  let text = "";
  for (const part of content as unknown[]) {
    if (typeof part === "string") text += part;
    else if (isTextPart(part)) text += part.text;
    else if (!skipNonText) {
      const kind = typeof part === "object" && part !== null && "type" in part ? String(part.type) : typeof part;
      throw new ConclaveError(
        "UNSUPPORTED_PARAMETER",
        `messages.${index}: "${kind}" content is not supported; conclave's experts read text only`,
        { param: `messages.${index}.content` },
      );
    }
  }
  return text;
}

function isTextPart(part: unknown): part is { type: "text"; text: string } {
  return typeof part === "object" && part !== null && (part as { type?: unknown }).type === "text" && typeof (part as { text?: unknown }).text === "string";
}
