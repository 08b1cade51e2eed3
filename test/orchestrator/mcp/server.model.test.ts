/**
 * The MCP server in-process on the embedded demo pool, through a real SDK Client over a linked
 * InMemoryTransport pair: the tool list and schemas, ask (routed and direct), errors as tool results,
 * route without generation, and the expert list.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../../orchestrator/config/load.js";
import { Orchestrator } from "../../../orchestrator/orchestrator.js";
import { createMcpServer } from "../../../orchestrator/mcp/server.js";
import type { AskSummary, ExpertList, RouteSummary } from "../../../orchestrator/mcp/schemas.js";
import { disposeRuntime } from "../../../experts/llama/runtime.js";

const DEMO = ["demo-code", "demo-law", "demo-math", "demo-science", "demo-writer"];
let dir: string;
let orchestrator: Orchestrator;
let client: Client;

async function call(name: string, args: Record<string, unknown> = {}): Promise<CallToolResult> {
  return (await client.callTool({ name, arguments: args })) as CallToolResult;
}

const text = (result: CallToolResult) => result.content.map((c) => (c.type === "text" ? c.text : "")).join("");
const served = () => Object.values(orchestrator.stats().experts).reduce((sum, e) => sum + e.served, 0);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "conclave-mcp-"));
  const config = parseConfig(
    { runtime: { gpu: false, maxThreads: 2 }, models: { dir, embedded: "synthetic" }, generation: { maxTokens: 4 }, aggregation: { maxTokens: 4 } },
    dir,
  );
  orchestrator = await Orchestrator.create(config);
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await createMcpServer(orchestrator).connect(serverSide);
  client = new Client({ name: "conclave-test", version: "0.0.0" });
  await client.connect(clientSide);
});

afterAll(async () => {
  await client?.close();
  await orchestrator?.close();
  await disposeRuntime();
  await rm(dir, { recursive: true, force: true });
});

describe("conclave MCP server", () => {
  it("identifies itself and lists ask, route and list_experts with their schemas", async () => {
    expect(client.getServerVersion()).toMatchObject({ name: "conclave", version: "0.1.0" });
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(["ask", "list_experts", "route"]);
    const ask = tools.find((t) => t.name === "ask")!;
    expect(Object.keys(ask.inputSchema.properties ?? {}).sort()).toEqual(["expert", "max_tokens", "question", "system"]);
    expect(ask.inputSchema.required).toEqual(["question"]);
    expect(ask.outputSchema?.properties).toHaveProperty("experts");
    expect(ask.description).toMatch(/list_experts/);
    expect(ask.description).toMatch(/synthetic/);
    const route = tools.find((t) => t.name === "route")!;
    expect(route.inputSchema.required).toEqual(["question"]);
    expect(route.annotations?.readOnlyHint).toBe(true);
  });

  it("ask: answers through the ensemble with the routing trace as structured content", async () => {
    const result = await call("ask", { question: "Solve 2x+3=7", max_tokens: 3 });
    expect(result.isError).toBeFalsy();
    expect(result.content[0]?.type).toBe("text");
    const trace = result.structuredContent as AskSummary;
    expect(trace.model).toBe("conclave");
    expect(trace.synthetic).toBe(true);
    expect(trace.skills.map((s) => s.skill)).toContain("algebra");
    expect(trace.experts.map((e) => e.id)).toContain("demo-math");
    expect(trace.experts.some((e) => e.answered)).toBe(true);
    expect(trace.aggregation.reason.length).toBeGreaterThan(0);
    expect(trace.usage.completion_tokens).toBeGreaterThan(0);
    expect(trace.times_ms.total).toBeGreaterThan(0);
  });

  it("ask with expert: asks that expert only, bypassing routing", async () => {
    const before = orchestrator.stats().experts["demo-law"]!.served;
    const result = await call("ask", { question: "Solve 2x+3=7", expert: "demo-law", max_tokens: 2, system: "Be brief." });
    expect(result.isError).toBeFalsy();
    const trace = result.structuredContent as AskSummary;
    expect(trace.model).toBe("demo-law");
    expect(trace.strategy).toBe("direct");
    expect(trace.skills).toEqual([]);
    expect(trace.experts).toMatchObject([{ id: "demo-law", weight: 1, answered: true }]);
    expect(trace.usage.completion_tokens).toBeLessThanOrEqual(2);
    expect(orchestrator.stats().experts["demo-law"]!.served).toBe(before + 1);
  });

  it("errors come back as tool results with conclave's code, not protocol errors", async () => {
    const unknown = await call("ask", { question: "hello", expert: "nobody" });
    expect(unknown.isError).toBe(true);
    expect(text(unknown)).toMatch(/^error \[MODEL_NOT_FOUND\]: .*nobody/);
    expect(unknown._meta?.["conclave/error"]).toMatchObject({ code: "MODEL_NOT_FOUND", retryable: false });
    expect(unknown.structuredContent).toBeUndefined();

    const blank = await call("ask", { question: "   " });
    expect(blank.isError).toBe(true);
    expect(blank._meta?.["conclave/error"]).toMatchObject({ code: "INVALID_REQUEST", param: "question" });

    const zero = await call("ask", { question: "hi", max_tokens: 0 });
    expect(zero.isError).toBe(true);
    expect(text(zero)).toMatch(/INVALID_REQUEST: max_tokens must be at least 1/);

    const missing = await call("route", {});
    expect(missing.isError).toBe(true);
    expect(text(missing)).toMatch(/INVALID_REQUEST: question/);
  });

  it("route: skills and weighted recruits with reasons, and nothing generated", async () => {
    const before = served();
    const result = await call("route", { question: "Solve 2x+3=7" });
    expect(result.isError).toBeFalsy();
    const routed = result.structuredContent as RouteSummary;
    expect(routed.skills.map((s) => s.skill)).toContain("algebra");
    expect(routed.experts.map((e) => e.id)).toContain("demo-math");
    expect(routed.experts.reduce((sum, e) => sum + e.weight, 0)).toBeCloseTo(1, 5);
    expect(routed.experts.every((e) => e.reason.length > 0)).toBe(true);
    expect(text(result)).toMatch(/demo-math \(weight/);
    expect(served()).toBe(before);
  });

  it("list_experts: the five demo experts with MoE shapes, memory, availability and the aggregator", async () => {
    const result = await call("list_experts");
    expect(result.isError).toBeFalsy();
    const list = result.structuredContent as ExpertList;
    expect(list.ensemble).toBe("conclave");
    expect(list.synthetic).toBe(true);
    expect(list.experts.map((e) => e.id).sort()).toEqual(DEMO);
    for (const expert of list.experts) {
      expect(expert.backend).toBe("llama");
      expect(expert.available).toBe(true);
      expect(expert.shape?.moe).toBe(true);
      expect(expert.shape?.expert_count).toBeGreaterThanOrEqual(4);
      expect(expert.shape?.active_parameters).toBeLessThan(expert.shape?.parameters ?? 0);
      expect(expert.memory?.ram_bytes).toBeGreaterThan(0);
    }
    expect(list.experts.find((e) => e.id === "demo-law")?.shape?.expert_count).toBe(8);
    expect(list.experts.filter((e) => e.aggregator).map((e) => e.id)).toEqual([list.aggregator]);
    expect(list.aggregator).toBe("demo-writer");
  });
});
