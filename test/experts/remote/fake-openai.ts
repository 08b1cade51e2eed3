/**
 * A real node:http server on 127.0.0.1 that plays an OpenAI-compatible endpoint. Each test installs a
 * handler; the server records every request (headers, parsed body, arrival time, when its connection
 * closed), so tests can check what the client really sent and how it behaved on the wire.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: Record<string, unknown>;
  /** Date.now() when the request arrived. */
  at: number;
  /** Resolves when the client's connection for this request closes. */
  closed: Promise<void>;
}

export type Handler = (request: RecordedRequest, res: ServerResponse, index: number) => void | Promise<void>;

export interface FakeServer {
  baseUrl: string;
  requests: RecordedRequest[];
  handle(handler: Handler): void;
  close(): Promise<void>;
}

export async function startFakeServer(): Promise<FakeServer> {
  let handler: Handler = (_request, res) => sendJson(res, 500, { error: { message: "no handler" } });
  const state: FakeServer = {
    baseUrl: "",
    requests: [],
    handle: (next) => {
      handler = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  const server = createServer((req, res) => {
    const at = Date.now();
    const closed = new Promise<void>((resolve) => res.once("close", resolve));
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      const recorded: RecordedRequest = {
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
        at,
        closed,
      };
      state.requests.push(recorded);
      void Promise.resolve(handler(recorded, res, state.requests.length - 1)).catch(() => res.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  state.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  return state;
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

export function completion(text: string, finishReason = "stop", usage = { prompt_tokens: 11, completion_tokens: 7 }): unknown {
  return {
    id: "chatcmpl-1",
    object: "chat.completion",
    choices: [{ index: 0, message: { role: "assistant", content: text }, finish_reason: finishReason }],
    usage,
  };
}

/** An SSE body: one content chunk per piece, a finish chunk, a usage-only chunk and [DONE]. */
export function sseBody(pieces: string[], finishReason = "stop", usage = { prompt_tokens: 5, completion_tokens: 3 }): string {
  const events = [
    ": keep-alive",
    ...pieces.map((content) => `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content }, finish_reason: null }] })}`),
    `data: ${JSON.stringify({ choices: [{ index: 0, delta: {}, finish_reason: finishReason }] })}`,
    `data: ${JSON.stringify({ choices: [], usage })}`,
    "data: [DONE]",
  ];
  return events.map((event) => `${event}\r\n\r\n`).join("");
}

export function startSse(res: ServerResponse): void {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  res.flushHeaders();
}

export const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
