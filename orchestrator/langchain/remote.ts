/**
 * ChatConclave's remote mode: a running conclave server spoken to over its OpenAI-compatible HTTP
 * API with `fetch`. Input: the server's base address ending in `/v1`, an optional bearer key.
 * Streaming reads the server-sent events of `chat.completion.chunk`s; the routing trace rides on the
 * finishing chunk (and on the whole completion) in conclave's `conclave` extension field.
 *
 * Failures: the server's OpenAI-shaped error (status or mid-stream event) becomes the ConclaveError
 * of the same code; an unreadable reply is REMOTE_EXPERT_ERROR; an abort rejects with ABORTED.
 */
import { SseDecoder } from "../../experts/remote/sse.js";
import { buildRequestBody, errorMessageOf } from "../../experts/remote/openai-wire.js";
import type { FinishReason, RoutingTrace, TokenUsage, ToolCall } from "../../kernel/contracts.js";
import { ConclaveError, ERROR_CATALOGUE, isAbortError, type ErrorCode } from "../../kernel/errors.js";
import { abortedError, raceAbort, type ConclaveCall, type ConclaveReply, type Transport } from "./transport.js";

export class RemoteTransport implements Transport {
  readonly kind = "remote";
  private readonly url: string;

  constructor(
    baseUrl: string,
    private readonly apiKey: string | undefined,
  ) {
    this.url = `${baseUrl.replace(/\/+$/, "")}/chat/completions`;
  }

  complete(call: ConclaveCall, signal?: AbortSignal): Promise<ConclaveReply> {
    return raceAbort(this.completeNow(call, signal), signal);
  }

  stream(call: ConclaveCall, onText: (text: string) => void, signal?: AbortSignal): Promise<ConclaveReply> {
    return raceAbort(this.streamNow(call, onText, signal), signal);
  }

  private async completeNow(call: ConclaveCall, signal: AbortSignal | undefined): Promise<ConclaveReply> {
    const response = await this.post(call, false, signal);
    const body = asObject(await readJson(response));
    const choice = asObject(Array.isArray(body.choices) ? body.choices[0] : undefined);
    const message = asObject(choice.message);
    const toolCalls = toolCallsOf(message.tool_calls);
    return {
      text: typeof message.content === "string" ? message.content : "",
      ...(typeof message.reasoning_content === "string" ? { reasoning: message.reasoning_content } : {}),
      ...(toolCalls.length ? { toolCalls } : {}),
      finishReason: finishReasonOf(choice.finish_reason) ?? "stop",
      usage: usageOf(body.usage),
      trace: traceOf(body.conclave),
      model: typeof body.model === "string" ? body.model : (call.model ?? "conclave"),
    };
  }

  private async streamNow(call: ConclaveCall, onText: (text: string) => void, signal: AbortSignal | undefined): Promise<ConclaveReply> {
    const response = await this.post(call, true, signal);
    if (!response.body) throw new ConclaveError("REMOTE_EXPERT_ERROR", "the server sent a stream without a body");
    const reply: ConclaveReply = { text: "", finishReason: "stop", usage: { promptTokens: 0, completionTokens: 0 }, trace: undefined, model: call.model ?? "conclave" };
    const decoder = new SseDecoder();
    // Streamed calls come as fragments keyed by index (the head with id and name, then argument pieces).
    const calls = new Map<number, ToolCall>();
    const handle = (data: string): boolean => {
      if (data === "[DONE]" && calls.size > 0) reply.toolCalls = [...calls.entries()].sort(([a], [b]) => a - b).map(([, call]) => call);
      if (data === "[DONE]") return true;
      const event = asObject(parseJson(data));
      if (event.error !== undefined) throw remoteError(0, JSON.stringify(event));
      if (typeof event.model === "string") reply.model = event.model;
      const choice = asObject(Array.isArray(event.choices) ? event.choices[0] : undefined);
      const delta = asObject(choice.delta);
      for (const fragment of Array.isArray(delta.tool_calls) ? delta.tool_calls : []) {
        const part = asObject(fragment);
        const index = typeof part.index === "number" ? part.index : 0;
        const fn = asObject(part.function);
        const call = calls.get(index) ?? { id: "", type: "function" as const, function: { name: "", arguments: "" } };
        if (typeof part.id === "string") call.id = part.id;
        if (typeof fn.name === "string") call.function.name += fn.name;
        if (typeof fn.arguments === "string") call.function.arguments += fn.arguments;
        calls.set(index, call);
      }
      if (typeof delta.reasoning_content === "string") reply.reasoning = (reply.reasoning ?? "") + delta.reasoning_content;
      const content = delta.content;
      if (typeof content === "string" && content !== "") {
        reply.text += content;
        onText(content);
      }
      const finish = finishReasonOf(choice.finish_reason);
      if (finish) reply.finishReason = finish;
      reply.trace = traceOf(event.conclave) ?? reply.trace;
      if (event.usage) reply.usage = usageOf(event.usage);
      return false;
    };
    const reader = response.body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        const payloads = done ? decoder.end() : decoder.push(value);
        for (const data of payloads) if (handle(data)) return reply;
        if (done) return reply;
      }
    } catch (error) {
      if (signal?.aborted || isAbortError(error)) throw abortedError();
      throw error;
    } finally {
      // Stops the download when we leave early (an error event, [DONE] before the socket closed).
      reader.cancel().catch(() => undefined);
    }
  }

  private async post(call: ConclaveCall, stream: boolean, signal: AbortSignal | undefined): Promise<Response> {
    const body = buildRequestBody(call.model, call, stream);
    let response: Response;
    try {
      response = await fetch(this.url, {
        method: "POST",
        headers: { "content-type": "application/json", ...(this.apiKey ? { authorization: `Bearer ${this.apiKey}` } : {}) },
        body: JSON.stringify(body),
        ...(signal ? { signal } : {}),
      });
    } catch (error) {
      if (signal?.aborted || isAbortError(error)) throw abortedError();
      throw new ConclaveError("REMOTE_EXPERT_ERROR", `cannot reach conclave at ${this.url}: ${(error as Error).message}`, { cause: error });
    }
    if (!response.ok) throw remoteError(response.status, await response.text().catch(() => ""));
    return response;
  }
}

/** The server's `{ error: { code, message, param } }` as the ConclaveError it started as. */
export function remoteError(status: number, body: string): ConclaveError {
  let code: string | undefined;
  let param: string | undefined;
  try {
    const error = asObject(asObject(JSON.parse(body)).error);
    if (typeof error.code === "string") code = error.code.toUpperCase();
    if (typeof error.param === "string") param = error.param;
  } catch {
    // Not JSON: the status decides the code below.
  }
  const known = code !== undefined && code in ERROR_CATALOGUE ? (code as ErrorCode) : status === 401 ? "INVALID_API_KEY" : "REMOTE_EXPERT_ERROR";
  const message = errorMessageOf(body, `conclave answered with status ${status}`);
  return new ConclaveError(known, message, param ? { param } : {});
}

async function readJson(response: Response): Promise<unknown> {
  return parseJson(await response.text());
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new ConclaveError("REMOTE_EXPERT_ERROR", `conclave sent malformed JSON: ${text.slice(0, 200)}`);
  }
}

function asObject(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function finishReasonOf(value: unknown): FinishReason | undefined {
  return value === "length" || value === "stop" || value === "tool_calls" ? value : undefined;
}

function toolCallsOf(value: unknown): ToolCall[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((item) => {
    const call = asObject(item);
    const fn = asObject(call.function);
    if (typeof call.id !== "string" || typeof fn.name !== "string") return [];
    return [{ id: call.id, type: "function" as const, function: { name: fn.name, arguments: typeof fn.arguments === "string" ? fn.arguments : "" } }];
  });
}

function usageOf(value: unknown): TokenUsage {
  const usage = asObject(value);
  const count = (n: unknown) => (typeof n === "number" && Number.isFinite(n) ? n : 0);
  return { promptTokens: count(usage.prompt_tokens), completionTokens: count(usage.completion_tokens) };
}

/** The server built the trace; it is passed on as sent once it looks like one. */
function traceOf(value: unknown): RoutingTrace | undefined {
  const trace = asObject(value);
  return typeof trace.recruitment === "object" && trace.recruitment !== null ? (trace as unknown as RoutingTrace) : undefined;
}
