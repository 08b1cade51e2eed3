/**
 * The MCP agent example: conclave's MCP tools (a real SDK Client over an in-memory transport to the
 * MCP server) bound to the ReAct agent running on conclave, with a generated function-calling model.
 */
import { AIMessage, HumanMessage, ToolMessage } from "@langchain/core/messages";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildAgent } from "../../../examples/langgraph-agent.js";
import { mcpTools } from "../../../examples/mcp-agent.js";
import { disposeRuntime } from "../../../experts/llama/runtime.js";
import { ChatConclave } from "../../../orchestrator/langchain/index.js";
import { createMcpServer } from "../../../orchestrator/mcp/server.js";
import { modelFolder, TINY_MOE, type ModelFolder } from "../../helpers/models.js";

let folder: ModelFolder;
let chat: ChatConclave;
let client: Client;

beforeAll(async () => {
  folder = await modelFolder("conclave-mcp-agent-");
  const model = await folder.write("agent", { ...TINY_MOE, architecture: "qwen3moe", chatTemplate: "qwen2.5", contextLength: 8192 });
  chat = await ChatConclave.fromConfig(
    {
      runtime: { gpu: false, maxThreads: 2 },
      experts: [{ id: "agent", backend: "llama", model: model.path, contextSize: 5120, sequences: 2 }],
      routing: { strategy: "fixed", fixed: ["agent"] },
      generation: { maxTokens: 16 },
    },
    { maxTokens: 400, seed: 4, temperature: 0.8 },
  );
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await createMcpServer(chat.orchestrator!).connect(serverSide);
  client = new Client({ name: "conclave-mcp-agent-test", version: "0.0.0" });
  await client.connect(clientSide);
});
afterAll(async () => {
  await client?.close();
  await chat?.close();
  await disposeRuntime();
  await folder?.remove();
});

describe("MCP tools chained to a tool-calling agent on conclave", () => {
  it("wraps each MCP tool with its JSON input schema", async () => {
    const tools = await mcpTools(client);
    expect(tools.map((t) => t.name).sort()).toEqual(["ask", "list_experts", "route"]);
    const listed = await tools.find((t) => t.name === "list_experts")!.invoke({});
    expect(String(listed)).toContain("agent");
  });

  it("the agent calls an MCP tool, reads the MCP result and answers", async () => {
    const tools = await mcpTools(client);
    const state = await buildAgent(chat, tools, { firstStep: "required", maxSteps: 2 }).invoke({ messages: [new HumanMessage("Which experts are there?")] });
    const [, call, result] = state.messages;
    const toolCall = (call as AIMessage).tool_calls?.[0];
    expect(tools.map((t) => t.name)).toContain(toolCall?.name);
    expect(ToolMessage.isInstance(result)).toBe(true);
    expect((result as ToolMessage).tool_call_id).toBe(toolCall?.id);
    expect(String((result as ToolMessage).content).length).toBeGreaterThan(0);
    const last = state.messages.at(-1)!;
    expect(AIMessage.isInstance(last) && !(last as AIMessage).tool_calls?.length).toBe(true);
    // Two sampled turns of up to 400 tokens: over a minute on a loaded 2-core machine.
  }, 240_000);
});
