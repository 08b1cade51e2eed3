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
import type { Instance, InstanceOutcome } from "../../kernel/contracts.js";
import { ConclaveError, isConclaveError } from "../../kernel/errors.js";
import { parseChatRequest } from "../openai/chat-request.js";
import { chatCompletionBody } from "../openai/chat-response.js";

export interface BatchLine {
  instance: Instance;
  /** An expert id named as the model, to bypass routing. */
  model?: string;
  /** Parameters accepted but not honoured. */
  warnings: string[];
}

function invalid(lineNo: number, message: string, param?: string): ConclaveError {
  return new ConclaveError("BATCH_LINE_INVALID", `line ${lineNo}: ${message}`, param ? { param } : {});
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
  const { custom_id: _id, method: _method, url: _url, ...short } = line;
  const body = typeof line["body"] === "object" && line["body"] !== null ? line["body"] : short;
  try {
    const request = parseChatRequest(body, customId);
    return { instance: request.instance, warnings: request.warnings, ...(request.model ? { model: request.model } : {}) };
  } catch (error) {
    if (!isConclaveError(error)) throw error;
    throw invalid(lineNo, error.message, error.param);
  }
}

export function successLine(customId: string, outcome: InstanceOutcome, model: string, warnings: string[] = []): string {
  return JSON.stringify({
    id: `batch_req_${randomUUID()}`,
    custom_id: customId,
    response: { status_code: 200, request_id: randomUUID(), body: chatCompletionBody(outcome, model, { warnings }) },
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
