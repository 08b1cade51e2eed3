/**
 * A remote expert: any OpenAI-compatible chat completions endpoint (vLLM, llama.cpp server, OpenAI),
 * spoken to with the official `openai` SDK, which does the wire work: SSE decoding, retries with
 * backoff and Retry-After, per-attempt timeouts, abort.
 *
 * Contract: always "loaded" and 0 bytes; at most `concurrency` requests in flight, the rest wait in
 * FIFO order. Each attempt has its own `timeoutMs`; network errors, timeouts, 408/409/429 and 5xx are
 * retried up to `maxRetries` times (the SDK's backoff, or the server's Retry-After capped at 5 s),
 * never once a stream's response has begun (so text handed to `onText` is never repeated). Tools,
 * tool choice and tool messages pass through unchanged; tool calls come back whole (streamed argument
 * fragments joined by index). Failures: HTTP/network/timeout/malformed -> REMOTE_EXPERT_ERROR, the
 * request's signal -> ABORTED, close() -> CLOSED; all prompt, even mid-backoff.
 */
import OpenAI, { APIConnectionTimeoutError, APIError } from "openai";
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionCreateParamsStreaming,
} from "openai/resources/chat/completions";
import type { FinishReason, TokenUsage, ToolCall } from "../../kernel/contracts.js";
import { ConclaveError, isConclaveError, toConclaveError } from "../../kernel/errors.js";
import { ReasoningStream, splitReasoning } from "../../kernel/reasoning.js";
import { SlotPool } from "../llama/slot-pool.js";
import {
  EXPERT_SPEC_VERSION,
  type ExpertBackend,
  type ExpertInfo,
  type GenerateRequest,
  type GenerateResult,
  type MemoryEstimate,
  type ModelShape,
} from "../spec.js";
import { buildRequestBody } from "./openai-wire.js";
import { abortable, linkSignals } from "./signals.js";

/** A server asking for a longer wait is better served by failing over than by holding the slot. */
export const MAX_RETRY_AFTER_MS = 5_000;

export interface RemoteExpertOptions {
  id: string;
  /** The API root, e.g. http://host:8000/v1; `/chat/completions` is appended. */
  baseUrl: string;
  model: string;
  apiKey?: string;
  concurrency: number;
  timeoutMs: number;
  maxRetries: number;
  description?: string;
  /**
   * The served model's context in tokens, when declared: max_tokens beyond it is refused before the
   * call. There is no tokenizer here, so the prompt itself is left for the server to measure.
   */
  contextSize?: number;
  /** Whether the served model takes `tools` (declared; the endpoint is not asked). */
  tools?: boolean;
  /** Injectable for tests and proxies; defaults to the global fetch. */
  fetch?: typeof fetch;
}

export class RemoteExpert implements ExpertBackend {
  readonly specVersion = EXPERT_SPEC_VERSION;
  readonly info: ExpertInfo;
  private readonly url: string;
  private readonly client: OpenAI;
  private readonly pool: SlotPool<number>;
  /** Aborted by close(): every call listens to it. */
  private readonly closing = new AbortController();
  private closed = false;

  constructor(private readonly options: RemoteExpertOptions) {
    if (!Number.isInteger(options.concurrency) || options.concurrency < 1) {
      throw new ConclaveError("CONFIG_INVALID", `experts.${options.id}.concurrency must be a positive integer`);
    }
    const baseURL = options.baseUrl.replace(/\/+$/, "");
    this.url = `${baseURL}/chat/completions`;
    const fetchImpl = options.fetch ?? fetch;
    this.client = new OpenAI({
      baseURL,
      // Always explicit: the SDK would otherwise read OPENAI_API_KEY and send it to this endpoint.
      // Without a key the header is removed (null), as the old hand-written client sent none.
      apiKey: options.apiKey ?? "none",
      ...(options.apiKey ? {} : { defaultHeaders: { Authorization: null } }),
      maxRetries: options.maxRetries,
      timeout: options.timeoutMs,
      fetch: (input, init) => fetchImpl(input, init).then(capRetryAfter),
      logLevel: "off",
    });
    this.pool = new SlotPool(Array.from({ length: options.concurrency }, (_, index) => index));
    this.info = {
      id: options.id,
      kind: "remote",
      placement: "remote",
      slots: options.concurrency,
      ...(options.contextSize === undefined ? {} : { contextSize: options.contextSize }),
      ...(options.tools === undefined ? {} : { tools: options.tools }),
      ...(options.description === undefined ? {} : { description: options.description }),
    };
  }

  isLoaded(): boolean {
    return !this.closed;
  }

  async ensureLoaded(): Promise<void> {
    this.assertOpen();
  }

  async unload(): Promise<void> {
    // Nothing is held locally between requests.
  }

  async estimateMemory(): Promise<MemoryEstimate> {
    return { ramBytes: 0, vramBytes: 0 };
  }

  async describe(): Promise<ModelShape> {
    // The endpoint does not say what it runs, and describe() must stay cheap, so no request is made.
    return { architecture: "remote" };
  }

  async doGenerate(request: GenerateRequest): Promise<GenerateResult> {
    this.assertOpen();
    // Only the request's own signal goes to the pool: close() fails waiters itself, with CLOSED.
    const slot = await this.pool.acquire(request.signal).catch((error: unknown) => {
      throw isConclaveError(error) && error.code === "ABORTED" ? this.aborted(error) : error;
    });
    const linked = linkSignals([this.closing.signal, request.signal]);
    try {
      // abortable: the SDK sleeps through its backoff deaf to the signal; we leave at once (it then
      // sees the aborted signal before its next attempt and sends nothing).
      const call = request.onText ? this.stream(request, linked.signal) : this.complete(request, linked.signal);
      return await abortable(call, linked.signal);
    } catch (error) {
      throw this.classify(error, request);
    } finally {
      linked.dispose();
      this.pool.release(slot);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.pool.rejectWaiters(this.closedError());
    this.closing.abort();
    // Calls give up promptly on abort, so this only waits for their slots to come back.
    await this.pool.drain();
  }

  private async complete(request: GenerateRequest, signal: AbortSignal): Promise<GenerateResult> {
    const body = buildRequestBody(this.options.model, request, false) as unknown as ChatCompletionCreateParamsNonStreaming;
    const completion: ChatCompletion = await this.client.chat.completions.create(body, { signal });
    const choice = Array.isArray(completion?.choices) ? completion.choices[0] : undefined;
    const message = choice?.message;
    if (typeof message !== "object" || message === null) throw this.malformed(new Error("response has no choices[0].message"));
    const content: unknown = message.content;
    // null content is what servers send for an empty answer or a turn of tool calls.
    if (content !== null && content !== undefined && typeof content !== "string") {
      throw this.malformed(new Error("choices[0].message.content is not a string"));
    }
    const calls = (message.tool_calls ?? []).flatMap((call, index) =>
      call.type === "function" ? [toolCall(call.id, call.function.name, call.function.arguments, index)] : [],
    );
    // A server with a reasoning parser sends the thinking apart; one without leaves it inline.
    const apart = reasoningField(message);
    const split = apart === undefined ? splitReasoning(content ?? "") : { reasoning: apart, content: content ?? "" };
    return this.result(split.content, choice?.finish_reason, usageOf(completion.usage), calls, split.reasoning);
  }

  private async stream(request: GenerateRequest, signal: AbortSignal): Promise<GenerateResult> {
    const body = buildRequestBody(this.options.model, request, true) as unknown as ChatCompletionCreateParamsStreaming;
    const stream = await this.client.chat.completions.create(body, { signal });
    let text = "";
    let reasoning: string | undefined;
    const deliver = (send: ((piece: string) => void) | undefined, piece: string) => {
      try {
        send?.(piece);
      } catch (error) {
        // The caller's own failure: not the server's.
        throw toConclaveError(error, "EXPERT_FAILED");
      }
    };
    // Thinking arrives apart (a reasoning parser's field) or inline (a leading <think> block): one sink for both.
    const think = (piece: string) => {
      reasoning = (reasoning ?? "") + piece;
      deliver(request.onReasoning, piece);
    };
    const inline = new ReasoningStream((piece) => {
      text += piece;
      deliver(request.onText, piece);
    }, think);
    let finish: string | null | undefined;
    let usage: TokenUsage = { promptTokens: 0, completionTokens: 0 };
    // Streamed calls arrive as fragments keyed by index: id and name first, arguments in pieces.
    const calls = new Map<number, { id: string; name: string; arguments: string }>();
    for await (const chunk of stream as AsyncIterable<ChatCompletionChunk>) {
      const choice = chunk.choices?.[0];
      if (chunk.usage) usage = usageOf(chunk.usage);
      if (!choice) continue;
      if (choice.finish_reason) finish = choice.finish_reason;
      for (const fragment of choice.delta?.tool_calls ?? []) {
        const call = calls.get(fragment.index) ?? { id: "", name: "", arguments: "" };
        if (fragment.id) call.id = fragment.id;
        if (fragment.function?.name) call.name += fragment.function.name;
        if (fragment.function?.arguments) call.arguments += fragment.function.arguments;
        calls.set(fragment.index, call);
      }
      const thought = reasoningField(choice.delta ?? {});
      if (thought !== undefined && thought !== "") think(thought);
      const content = choice.delta?.content;
      if (typeof content === "string" && content !== "") inline.push(content);
    }
    // The SDK ends a stream quietly when its signal aborts.
    if (signal.aborted) throw signal.reason;
    inline.end();
    const ordered = [...calls.entries()].sort(([a], [b]) => a - b).map(([index, call]) => toolCall(call.id, call.name, call.arguments, index));
    return this.result(text, finish, usage, ordered, reasoning);
  }

  /** A turn with calls ends in "tool_calls" (some servers say "stop"); a cut one keeps "length" and no half-written calls. */
  private result(text: string, finish: string | null | undefined, usage: TokenUsage, calls: ToolCall[], reasoning?: string): GenerateResult {
    const reason: FinishReason = finish === "length" ? "length" : calls.length > 0 ? "tool_calls" : "stop";
    return { text, ...(reasoning === undefined ? {} : { reasoning }), finishReason: reason, usage, warnings: [], ...(reason === "tool_calls" ? { toolCalls: calls } : {}) };
  }

  /** Names a failure by its real cause: close and abort win over whatever error they provoked. */
  private classify(error: unknown, request: GenerateRequest): ConclaveError {
    if (this.closed) return this.closedError(error);
    if (request.signal?.aborted) return this.aborted(error);
    if (isConclaveError(error)) return error;
    if (error instanceof APIConnectionTimeoutError) {
      return new ConclaveError("REMOTE_EXPERT_ERROR", `${this.info.id}: request timed out after ${this.options.timeoutMs} ms`, { cause: error });
    }
    if (error instanceof APIError && error.status === undefined) {
      // A connection failure, or an error event inside a stream.
      const message = error.cause === undefined ? error.message : `request to ${this.url} failed: ${networkReason(error.cause)}`;
      return new ConclaveError("REMOTE_EXPERT_ERROR", `${this.info.id}: ${message}`, { cause: error });
    }
    // The SDK's message is "<status> <server's error.message or body>".
    if (error instanceof APIError) return new ConclaveError("REMOTE_EXPERT_ERROR", `${this.info.id}: ${error.message}`, { cause: error });
    if (error instanceof SyntaxError) return this.malformed(error);
    return new ConclaveError("REMOTE_EXPERT_ERROR", `${this.info.id}: ${networkReason(error)}`, { cause: error });
  }

  private malformed(cause: unknown): ConclaveError {
    return new ConclaveError("REMOTE_EXPERT_ERROR", `${this.info.id}: malformed response: ${(cause as Error).message}`, { cause });
  }

  private aborted(cause?: unknown): ConclaveError {
    return new ConclaveError("ABORTED", `generation on ${this.info.id} was aborted`, cause === undefined ? {} : { cause });
  }

  private closedError(cause?: unknown): ConclaveError {
    return new ConclaveError("CLOSED", `expert ${this.info.id} is closed`, cause === undefined ? {} : { cause });
  }

  private assertOpen(): void {
    if (this.closed) throw this.closedError();
  }
}

/** Thinking a server sent apart: `reasoning_content` (vLLM, DeepSeek, LiteLLM) or `reasoning` (OpenRouter, Ollama). */
function reasoningField(message: object): string | undefined {
  const { reasoning_content: content, reasoning } = message as { reasoning_content?: unknown; reasoning?: unknown };
  if (typeof content === "string") return content;
  return typeof reasoning === "string" ? reasoning : undefined;
}

/** A server's id may be missing ("OpenAI-compatible" servers differ); the caller needs one to answer the call. */
function toolCall(id: string | undefined, name: string, args: string | undefined, index: number): ToolCall {
  return { id: id || `call_${index}`, type: "function", function: { name, arguments: args ?? "" } };
}

function usageOf(value: { prompt_tokens?: unknown; completion_tokens?: unknown } | null | undefined): TokenUsage {
  return { promptTokens: count(value?.prompt_tokens), completionTokens: count(value?.completion_tokens) };
}

function count(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) ? value : 0;
}

/** Retry-After beyond the cap becomes the cap, in the SDK's own `retry-after-ms` header (it reads that first). */
function capRetryAfter(response: Response): Response {
  const header = response.headers.get("retry-after");
  if (response.ok || !header) return response;
  const seconds = Number(header);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - Date.now();
  if (!(ms > MAX_RETRY_AFTER_MS)) return response;
  const headers = new Headers(response.headers);
  headers.set("retry-after-ms", String(MAX_RETRY_AFTER_MS));
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

/** undici reports "fetch failed" and hides the useful part (ECONNREFUSED, ...) in `cause`. */
function networkReason(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause;
  if (cause instanceof Error) return `${error.message} (${(cause as NodeJS.ErrnoException).code ?? cause.message})`;
  return error.message;
}

export function createRemoteExpert(options: RemoteExpertOptions): ExpertBackend {
  return new RemoteExpert(options);
}
