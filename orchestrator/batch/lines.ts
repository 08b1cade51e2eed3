/**
 * Batch input and output lines, in OpenAI's Batch API shapes, so the same files work with
 * `conclave batch` and with OpenAI-style tooling.
 *
 * Input, either form:
 *   {"custom_id": "q1", "messages": [...], "max_tokens"?: n, "temperature"?: t, "seed"?: s, "model"?: id}
 *   {"custom_id": "q1", "method": "POST", "url": "/v1/chat/completions", "body": {"messages": [...], ...}}
 * Output, one per input line, in input order:
 *   {"id", "custom_id", "response": {"status_code": 200, "body": <chat.completion>} | null, "error": null | {code, message}}
 * A bad line becomes an output line with an error; it never stops the batch.
 */
import { randomUUID } from "node:crypto";
import type { ChatMessage, GenerationParams, Instance, InstanceOutcome } from "../contracts.js";
import { ConclaveError } from "../errors.js";

export interface BatchLine {
  instance: Instance;
  /** An expert id named as the model, to bypass routing. */
  model?: string;
}

const ROLES = new Set(["system", "user", "assistant", "tool"]);

function invalid(lineNo: number, message: string, param?: string): ConclaveError {
  return new ConclaveError("BATCH_LINE_INVALID", `line ${lineNo}: ${message}`, param ? { param } : {});
}

function parseMessages(value: unknown, lineNo: number): ChatMessage[] {
  if (!Array.isArray(value) || value.length === 0) throw invalid(lineNo, "messages must be a non-empty array", "messages");
  return value.map((raw, index) => {
    const message = raw as { role?: unknown; content?: unknown };
    if (typeof message?.role !== "string" || !ROLES.has(message.role)) {
      throw invalid(lineNo, `messages[${index}].role must be one of system, user, assistant, tool`, `messages[${index}].role`);
    }
    const content = Array.isArray(message.content)
      ? message.content.map((part: { text?: unknown }) => (typeof part?.text === "string" ? part.text : "")).join("")
      : message.content;
    if (typeof content !== "string") throw invalid(lineNo, `messages[${index}].content must be a string`, `messages[${index}].content`);
    return { role: message.role as ChatMessage["role"], content };
  });
}

function optionalNumber(body: Record<string, unknown>, key: string, lineNo: number): number | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isFinite(value)) throw invalid(lineNo, `${key} must be a number`, key);
  return value;
}

/** Parses one line; throws BATCH_LINE_INVALID naming the line and field. Blank lines return null. */
export function parseBatchLine(text: string, lineNo: number): BatchLine | null {
  if (text.trim() === "") return null;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    throw invalid(lineNo, `not valid JSON (${(cause as Error).message})`);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw invalid(lineNo, "must be a JSON object");
  const line = raw as Record<string, unknown>;
  const customId = line["custom_id"];
  if (typeof customId !== "string" || customId === "") throw invalid(lineNo, "custom_id must be a non-empty string", "custom_id");
  const body = (typeof line["body"] === "object" && line["body"] !== null ? line["body"] : line) as Record<string, unknown>;
  const params: GenerationParams = {};
  const maxTokens = optionalNumber(body, "max_completion_tokens", lineNo) ?? optionalNumber(body, "max_tokens", lineNo);
  if (maxTokens !== undefined) params.maxTokens = maxTokens;
  const temperature = optionalNumber(body, "temperature", lineNo);
  if (temperature !== undefined) params.temperature = temperature;
  const topP = optionalNumber(body, "top_p", lineNo);
  if (topP !== undefined) params.topP = topP;
  const seed = optionalNumber(body, "seed", lineNo);
  if (seed !== undefined) params.seed = seed;
  const batchLine: BatchLine = { instance: { id: customId, messages: parseMessages(body["messages"], lineNo), params } };
  if (typeof body["model"] === "string") batchLine.model = body["model"];
  return batchLine;
}

/** The OpenAI chat.completion body for an outcome. */
export function chatCompletionBody(outcome: InstanceOutcome, model: string, created = Math.floor(Date.now() / 1000)) {
  return {
    id: `chatcmpl-${randomUUID()}`,
    object: "chat.completion",
    created,
    model,
    choices: [{ index: 0, message: { role: "assistant", content: outcome.text }, finish_reason: outcome.finishReason === "length" ? "length" : "stop" }],
    usage: {
      prompt_tokens: outcome.usage.promptTokens,
      completion_tokens: outcome.usage.completionTokens,
      total_tokens: outcome.usage.promptTokens + outcome.usage.completionTokens,
    },
    conclave: outcome.trace,
  };
}

export function successLine(customId: string, outcome: InstanceOutcome, model: string): string {
  return JSON.stringify({
    id: `batch_req_${randomUUID()}`,
    custom_id: customId,
    response: { status_code: 200, request_id: randomUUID(), body: chatCompletionBody(outcome, model) },
    error: null,
  });
}

export function errorLine(customId: string | null, error: ConclaveError): string {
  return JSON.stringify({
    id: `batch_req_${randomUUID()}`,
    custom_id: customId,
    response: null,
    error: { code: error.code.toLowerCase(), message: error.message },
  });
}

/** Best effort: the custom_id of a line that failed to parse, so its error line can still be matched. */
export function customIdOf(text: string): string | null {
  try {
    const value = (JSON.parse(text) as { custom_id?: unknown }).custom_id;
    return typeof value === "string" ? value : null;
  } catch {
    return null;
  }
}
