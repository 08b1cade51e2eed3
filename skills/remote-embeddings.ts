/**
 * Embeddings from an OpenAI-compatible `/embeddings` endpoint (Ollama, vLLM, text-embeddings-
 * inference, llama.cpp's server, OpenAI), for the keyword -> skill matcher. Input: texts; output:
 * one vector per text in input order. Failures: REMOTE_EXPERT_ERROR naming the endpoint and the
 * status; the keyword tagger then falls back to lexical matching.
 */
import { ConclaveError } from "../kernel/errors.js";
import type { Embed } from "./matcher.js";

export interface RemoteEmbeddingsOptions {
  baseUrl: string;
  model: string;
  apiKey?: string;
  timeoutMs: number;
  fetch?: typeof fetch;
}

export function remoteEmbedder(options: RemoteEmbeddingsOptions): Embed {
  const url = `${options.baseUrl.replace(/\/+$/, "")}/embeddings`;
  const send = options.fetch ?? fetch;
  return async (texts) => {
    if (texts.length === 0) return [];
    let response: Response;
    try {
      response = await send(url, {
        method: "POST",
        headers: { "content-type": "application/json", ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}) },
        body: JSON.stringify({ model: options.model, input: texts }),
        signal: AbortSignal.timeout(options.timeoutMs),
      });
    } catch (cause) {
      throw new ConclaveError("REMOTE_EXPERT_ERROR", `embeddings at ${url}: ${(cause as Error).message}`, { cause });
    }
    const text = await response.text();
    if (!response.ok) throw new ConclaveError("REMOTE_EXPERT_ERROR", `embeddings at ${url}: ${response.status} ${text.slice(0, 200)}`);
    let body: { data?: Array<{ index?: number; embedding?: unknown }> };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      throw new ConclaveError("REMOTE_EXPERT_ERROR", `embeddings at ${url}: the response is not JSON`);
    }
    const rows = [...(body.data ?? [])].sort((a, b) => (a.index ?? 0) - (b.index ?? 0));
    if (rows.length !== texts.length || rows.some((row) => !Array.isArray(row.embedding))) {
      throw new ConclaveError("REMOTE_EXPERT_ERROR", `embeddings at ${url}: expected ${texts.length} embeddings, got ${rows.length}`);
    }
    return rows.map((row) => row.embedding as number[]);
  };
}
