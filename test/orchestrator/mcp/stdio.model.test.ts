/**
 * `conclave mcp` end to end, as a desktop assistant runs it: the SDK's StdioClientTransport spawns
 * `node bin/conclave.js --config <yaml> mcp`, lists the tools, asks a question, and closing the
 * client ends the child on its own (stdin end -> orchestrator closed -> exit), well before the SDK's
 * 2 s SIGTERM fallback. stdout carries nothing but protocol: any stray line would surface as a
 * transport error. In-process, `runMcpStdio` answers on the given streams and resolves when stdin ends
 * or `stopped` settles.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { PassThrough } from "node:stream";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AskSummary } from "../../../orchestrator/mcp/schemas.js";
import { runMcpStdio } from "../../../orchestrator/mcp/stdio.js";
import type { Orchestrator } from "../../../orchestrator/orchestrator.js";

const ROOT = resolve(import.meta.dirname, "../../..");
let dir: string;
let configPath: string;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "conclave-mcp-stdio-"));
  configPath = join(dir, "conclave.yaml");
  await writeFile(configPath, ["runtime:", "  gpu: false", "  maxThreads: 2", "models:", "  dir: ./models", "  embedded: synthetic", "generation:", "  maxTokens: 3", "aggregation:", "  maxTokens: 3", ""].join("\n"));
});

afterAll(() => rm(dir, { recursive: true, force: true }));

describe("conclave mcp over stdio", () => {
  it("serves tools/list and ask to a spawned client, then exits when the client closes", async () => {
    const transport = new StdioClientTransport({ command: "node", args: ["bin/conclave.js", "--config", configPath, "mcp"], cwd: ROOT, stderr: "pipe" });
    const stderr: string[] = [];
    transport.stderr?.on("data", (chunk: Buffer) => stderr.push(chunk.toString()));
    const stderrEnded = new Promise<void>((done) => transport.stderr?.once("end", done));
    const transportErrors: Error[] = [];
    transport.onerror = (error) => transportErrors.push(error);
    const client = new Client({ name: "conclave-stdio-test", version: "0.0.0" });
    await client.connect(transport);
    const pid = transport.pid!;
    expect(alive(pid)).toBe(true);

    expect(client.getServerVersion()?.name).toBe("conclave");
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(["ask", "list_experts", "route"]);

    const result = (await client.callTool({ name: "ask", arguments: { question: "Solve 2x+3=7", max_tokens: 2 } })) as CallToolResult;
    expect(result.isError).toBeFalsy();
    expect(result.content[0]?.type).toBe("text");
    const trace = result.structuredContent as AskSummary;
    expect(trace.experts.map((e) => e.id)).toContain("demo-math");
    expect(trace.usage.completion_tokens).toBeGreaterThan(0);

    const unknown = (await client.callTool({ name: "ask", arguments: { question: "hi", expert: "nobody" } })) as CallToolResult;
    expect(unknown.isError).toBe(true);

    const started = performance.now();
    await client.close();
    expect(performance.now() - started).toBeLessThan(1_900);
    expect(alive(pid)).toBe(false);
    expect(transportErrors).toEqual([]);
    // Notices went to stderr: what it serves at start-up, and that the orchestrator closed at the end
    // (an exit with the session still pending would print Node's "unsettled top-level await" instead).
    await stderrEnded;
    const log = stderr.join("");
    expect(log).toMatch(/note: no experts configured: serving the embedded demo pool/);
    expect(log).toMatch(/note: MCP session ended; conclave closed/);
    expect(log).not.toMatch(/unsettled|error/i);
  }, 30_000);
});

describe("runMcpStdio on given streams", () => {
  // Session lifetime only: tools/list reads nothing from the orchestrator beyond its name and mode.
  const orchestrator = { config: { server: { ensemble: "conclave" } }, synthetic: false } as unknown as Orchestrator;
  const settled = (p: Promise<void>) => Promise.race([p.then(() => "resolved"), new Promise((r) => setTimeout(() => r("pending"), 300))]);

  it("answers JSON-RPC lines on stdout and resolves when stdin ends", async () => {
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    const lines: string[] = [];
    stdout.on("data", (chunk: Buffer) => lines.push(...chunk.toString().split("\n").filter(Boolean)));
    const session = runMcpStdio(orchestrator, { stdin, stdout });
    stdin.write(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "t", version: "0" } } }) + "\n");
    stdin.write(JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list" }) + "\n");
    await new Promise((r) => setTimeout(r, 100));
    expect(await settled(session)).toBe("pending");
    const replies = lines.map((line) => JSON.parse(line) as { id: number; result: { serverInfo?: { name: string }; tools?: unknown[] } });
    expect(replies.find((r) => r.id === 1)?.result.serverInfo?.name).toBe("conclave");
    expect(replies.find((r) => r.id === 2)?.result.tools).toHaveLength(3);
    stdin.end();
    expect(await settled(session)).toBe("resolved");
  });

  it("resolves when `stopped` settles, with stdin still open", async () => {
    let stop = () => undefined as void;
    const stopped = new Promise<void>((r) => (stop = r));
    const session = runMcpStdio(orchestrator, { stdin: new PassThrough(), stdout: new PassThrough(), stopped });
    expect(await settled(session)).toBe("pending");
    stop();
    expect(await settled(session)).toBe("resolved");
  });
});
