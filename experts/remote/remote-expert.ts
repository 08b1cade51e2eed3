/**
 * A remote expert: any OpenAI-compatible chat completions endpoint (vLLM, llama.cpp server, OpenAI).
 *
 * Contract: always "loaded" and 0 bytes; at most `concurrency` requests in flight, the rest wait in
 * FIFO order. Each attempt has its own `timeoutMs`; network errors, timeouts, 429 and 5xx are retried
 * up to `maxRetries` times with backoff, except once a stream has handed text to `onText` (the caller
 * has already seen it, so a retry would duplicate output). Failures: HTTP/network/timeout/malformed ->
 * REMOTE_EXPERT_ERROR, the request's signal -> ABORTED, close() -> CLOSED; all prompt, even mid-backoff.
 */
import type { FinishReason, TokenUsage } from "../../kernel/contracts.js";
import { ConclaveError, isConclaveError, toConclaveError } from "../../kernel/errors.js";
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
import { buildRequestBody, errorMessageOf, parseChunk, parseCompletion } from "./openai-wire.js";
import { abortable, backoffMs, linkSignals, parseRetryAfter, sleep } from "./retry.js";
import { SseDecoder } from "./sse.js";

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
  /** Injectable for tests and proxies; defaults to the global fetch. */
  fetch?: typeof fetch;
}

/** A failure another attempt may cure, with the wait the server asked for. */
class RetryableFailure {
  constructor(
    readonly error: ConclaveError,
    readonly retryAfterMs?: number,
  ) {}
}

export class RemoteExpert implements ExpertBackend {
  readonly specVersion = EXPERT_SPEC_VERSION;
  readonly info: ExpertInfo;
  private readonly url: string;
  private readonly fetchImpl: typeof fetch;
  private readonly pool: SlotPool<number>;
  /** Aborted by close(): every attempt and backoff listens to it. */
  private readonly closing = new AbortController();
  private closed = false;

  constructor(private readonly options: RemoteExpertOptions) {
    if (!Number.isInteger(options.concurrency) || options.concurrency < 1) {
      throw new ConclaveError("CONFIG_INVALID", `experts.${options.id}.concurrency must be a positive integer`);
    }
    this.url = `${options.baseUrl.replace(/\/+$/, "")}/chat/completions`;
    this.fetchImpl = options.fetch ?? fetch;
    this.pool = new SlotPool(Array.from({ length: options.concurrency }, (_, index) => index));
    this.info = {
      id: options.id,
      kind: "remote",
      placement: "remote",
      slots: options.concurrency,
      ...(options.contextSize === undefined ? {} : { contextSize: options.contextSize }),
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
    try {
      return await this.withRetries(request);
    } finally {
      this.pool.release(slot);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.pool.rejectWaiters(this.closedError());
    this.closing.abort();
    // Attempts give up promptly on abort, so this only waits for their slots to come back.
    await this.pool.drain();
  }

  private async withRetries(request: GenerateRequest): Promise<GenerateResult> {
    for (let attempt = 0; ; attempt++) {
      const progress = { emitted: false };
      try {
        return await this.attempt(request, progress);
      } catch (error) {
        if (!(error instanceof RetryableFailure)) throw error;
        if (progress.emitted || attempt >= this.options.maxRetries) throw error.error;
        await this.backoff(backoffMs(attempt, error.retryAfterMs), request.signal);
      }
    }
  }

  private async backoff(ms: number, signal: AbortSignal | undefined): Promise<void> {
    const linked = linkSignals([this.closing.signal, signal]);
    try {
      await sleep(ms, linked.signal);
    } catch (cause) {
      throw this.closed ? this.closedError(cause) : this.aborted(cause);
    } finally {
      linked.dispose();
    }
  }

  /** One HTTP exchange; throws RetryableFailure for what a retry may fix, ConclaveError otherwise. */
  private async attempt(request: GenerateRequest, progress: { emitted: boolean }): Promise<GenerateResult> {
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), this.options.timeoutMs);
    const linked = linkSignals([this.closing.signal, request.signal, timeout.signal]);
    const signal = linked.signal;
    const stream = request.onText !== undefined;
    try {
      const response = await abortable(
        this.fetchImpl(this.url, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            accept: stream ? "text/event-stream" : "application/json",
            ...(this.options.apiKey ? { authorization: `Bearer ${this.options.apiKey}` } : {}),
          },
          body: JSON.stringify(buildRequestBody(this.options.model, request, stream)),
          signal,
        }),
        signal,
      );
      if (!response.ok) throw await this.httpFailure(response, signal);
      const contentType = response.headers.get("content-type") ?? "";
      // A server may ignore `stream` and answer in one piece; that is still a good answer.
      if (!stream || !contentType.includes("text/event-stream")) {
        const result = this.completion(await abortable(response.text(), signal));
        if (request.onText && result.text !== "") {
          progress.emitted = true;
          request.onText(result.text);
        }
        return result;
      }
      return await this.readStream(response, request, signal, progress);
    } catch (error) {
      throw this.classify(error, request, timeout.signal);
    } finally {
      clearTimeout(timer);
      linked.dispose();
    }
  }

  private async httpFailure(response: Response, signal: AbortSignal): Promise<ConclaveError | RetryableFailure> {
    const body = await abortable(response.text(), signal).catch(() => "");
    const message = errorMessageOf(body, response.statusText || "error");
    const error = new ConclaveError("REMOTE_EXPERT_ERROR", `${this.info.id}: ${response.status} ${message}`);
    if (response.status === 429 || response.status >= 500) {
      return new RetryableFailure(error, parseRetryAfter(response.headers.get("retry-after")));
    }
    return error;
  }

  private completion(body: string): GenerateResult {
    try {
      return { ...parseCompletion(body), warnings: [] };
    } catch (cause) {
      throw this.malformed(cause);
    }
  }

  private async readStream(
    response: Response,
    request: GenerateRequest,
    signal: AbortSignal,
    progress: { emitted: boolean },
  ): Promise<GenerateResult> {
    if (!response.body) throw new ConclaveError("REMOTE_EXPERT_ERROR", `${this.info.id}: streaming response has no body`);
    const reader = response.body.getReader();
    const decoder = new SseDecoder();
    let text = "";
    let finishReason: FinishReason = "stop";
    let usage: TokenUsage = { promptTokens: 0, completionTokens: 0 };
    try {
      for (let finished = false; !finished; ) {
        const read = await abortable(reader.read(), signal);
        const payloads = read.done ? decoder.end() : decoder.push(read.value);
        finished = read.done;
        for (const data of payloads) {
          if (data === "[DONE]") {
            finished = true;
            break;
          }
          let part: ReturnType<typeof parseChunk>;
          try {
            part = parseChunk(data);
          } catch (cause) {
            throw this.malformed(cause);
          }
          if (part.error !== undefined) throw new ConclaveError("REMOTE_EXPERT_ERROR", `${this.info.id}: ${part.error}`);
          if (part.finishReason) finishReason = part.finishReason;
          if (part.usage) usage = part.usage;
          if (part.content !== undefined) {
            text += part.content;
            progress.emitted = true;
            try {
              request.onText?.(part.content);
            } catch (error) {
              // The caller's own failure: not the server's, and not worth a retry.
              throw toConclaveError(error, "EXPERT_FAILED");
            }
          }
        }
      }
    } finally {
      // Stops the download (and frees the connection) when we leave early; a no-op after the end.
      reader.cancel().catch(() => undefined);
    }
    return { text, finishReason, usage, warnings: [] };
  }

  /** Names a failure by its real cause: close and abort win over whatever error they provoked. */
  private classify(error: unknown, request: GenerateRequest, timeout: AbortSignal): ConclaveError | RetryableFailure {
    if (this.closed) return this.closedError(error);
    if (request.signal?.aborted) return this.aborted(error);
    if (error instanceof RetryableFailure || isConclaveError(error)) return error;
    if (timeout.aborted) {
      return new RetryableFailure(
        new ConclaveError("REMOTE_EXPERT_ERROR", `${this.info.id}: request timed out after ${this.options.timeoutMs} ms`, { cause: error }),
      );
    }
    return new RetryableFailure(
      new ConclaveError("REMOTE_EXPERT_ERROR", `${this.info.id}: request to ${this.url} failed: ${networkReason(error)}`, { cause: error }),
    );
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
