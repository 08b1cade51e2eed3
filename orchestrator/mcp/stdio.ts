/**
 * conclave's MCP server on stdio, for desktop assistants and IDE agents that spawn it as a child.
 *
 * `runMcpStdio(orchestrator, {stdin, stdout, stopped})` connects `createMcpServer` to a stdio transport
 * and resolves once the session is over: stdin ended (the client closed), stdout broke, or `stopped`
 * settled (a signal). It never closes the orchestrator: the caller does, after it resolves.
 *
 * stdout carries protocol messages only. `reserveStdoutForProtocol()` sends console output to stderr
 * for the rest of the process; call it before anything (orchestrator start-up included) may log.
 */
import type { Readable, Writable } from "node:stream";
import { format } from "node:util";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import type { Orchestrator } from "../orchestrator.js";
import { createMcpServer } from "./server.js";

export interface McpStdioOptions {
  stdin?: Readable;
  stdout?: Writable;
  /** Ends the session when it settles (e.g. on SIGINT/SIGTERM). */
  stopped?: Promise<unknown>;
}

export async function runMcpStdio(orchestrator: Orchestrator, options: McpStdioOptions = {}): Promise<void> {
  const stdin = options.stdin ?? process.stdin;
  const stdout = options.stdout ?? process.stdout;
  const server = createMcpServer(orchestrator);
  const transport = new StdioServerTransport(stdin, stdout);
  let finish: () => void = () => undefined;
  const closed = new Promise<void>((resolve) => (finish = resolve));
  server.server.onclose = finish;
  let ending = false;
  const end = () => {
    if (ending) return;
    ending = true;
    server.close().catch(() => finish());
  };
  stdin.once("end", end);
  stdin.once("close", end);
  // A client gone mid-write breaks stdout (EPIPE): end the session instead of crashing. Kept after the
  // session, as a late write may still fail while the caller shuts down.
  stdout.on("error", end);
  void options.stopped?.then(end, end);
  try {
    await server.connect(transport);
    await closed;
  } finally {
    stdin.off("end", end);
    stdin.off("close", end);
  }
}

/** Routes console.log/info/debug/warn to stderr so nothing but protocol messages reaches stdout. */
export function reserveStdoutForProtocol(): void {
  const toStderr = (...args: unknown[]) => void process.stderr.write(`${format(...args)}\n`);
  console.log = toStderr;
  console.info = toStderr;
  console.debug = toStderr;
  console.warn = toStderr;
}
