/**
 * Server-sent events on a raw response, in OpenAI's streaming format: `data: <json>` events and a
 * final `data: [DONE]`. Writes after the client has gone are dropped, never thrown.
 */
import type { ServerResponse } from "node:http";

export class SseStream {
  constructor(private readonly response: ServerResponse) {}

  open(status: number, headers: Record<string, string>): void {
    this.response.writeHead(status, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      connection: "keep-alive",
      // Proxies such as nginx buffer responses unless told not to.
      "x-accel-buffering": "no",
      ...headers,
    });
    this.response.flushHeaders();
  }

  get closed(): boolean {
    return this.response.destroyed || this.response.writableEnded;
  }

  send(data: unknown): void {
    if (!this.closed) this.response.write(`data: ${JSON.stringify(data)}\n\n`);
  }

  done(): void {
    if (this.closed) return;
    this.response.write("data: [DONE]\n\n");
    this.response.end();
  }
}
