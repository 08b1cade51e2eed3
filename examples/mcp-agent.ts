/**
 * MCP tools chained to a tool-calling agent that runs on conclave: the tools of an MCP server (here
 * conclave's own `conclave mcp`: ask, route, list_experts) become LangChain tools, bound to the
 * ReAct agent of langgraph-agent.ts, whose chat model is ChatConclave.
 *
 * `mcpTools(client)` lists a connected MCP client's tools and wraps each one: its JSON input schema
 * is the tool's schema (so a local expert's call is grammar-bound to it), and a call returns the
 * tool result's text (an MCP tool error comes back as text too, for the agent to read).
 *
 *   npx tsx examples/mcp-agent.ts [conclave.yaml]
 *
 * The MCP server runs as a child process (`conclave mcp`, on the config given, else the demo pool);
 * the agent's model is the config's, or without one a tiny random-weight model with Qwen 2.5's
 * template (text is noise; the calls and the loop are real).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { HumanMessage, type AIMessage } from "@langchain/core/messages";
import { tool, type StructuredToolInterface } from "@langchain/core/tools";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { ChatConclave } from "../orchestrator/langchain/index.js";
import { disposeRuntime } from "../experts/llama/runtime.js";
import { writeTestModel } from "../experts/testmodels/generate.js";
import { buildAgent } from "./langgraph-agent.js";

/** The MCP server's tools as LangChain tools that call it. */
export async function mcpTools(client: Client): Promise<StructuredToolInterface[]> {
  const { tools } = await client.listTools();
  return tools.map((listed) =>
    tool(
      async (args: Record<string, unknown>) => {
        const result = await client.callTool({ name: listed.name, arguments: args });
        const content = Array.isArray(result.content) ? (result.content as Array<{ type: string; text?: string }>) : [];
        const text = content.map((part) => (part.type === "text" ? (part.text ?? "") : `[${part.type}]`)).join("");
        return result.isError ? `error: ${text}` : text;
      },
      { name: listed.name, description: listed.description ?? listed.name, schema: listed.inputSchema as Record<string, unknown> },
    ),
  ) as StructuredToolInterface[];
}

async function main(): Promise<void> {
  const configPath = process.argv[2];
  const root = resolve(fileURLToPath(import.meta.url), "../..");
  const client = new Client({ name: "conclave-mcp-agent", version: "0.0.0" });
  await client.connect(
    new StdioClientTransport({ command: process.execPath, args: [join(root, "bin/conclave.js"), ...(configPath ? ["--config", configPath] : []), "mcp"], stderr: "inherit" }),
  );
  let scratch: string | undefined;
  let config: string | Record<string, unknown>;
  if (configPath) config = configPath;
  else {
    scratch = await mkdtemp(join(tmpdir(), "conclave-mcp-agent-"));
    const model = await writeTestModel(join(scratch, "agent.gguf"), { architecture: "qwen3moe", experts: 4, expertsUsed: 2, chatTemplate: "qwen2.5", contextLength: 8192 });
    // The MCP tools' documentation alone takes ~2900 tokens of this character-level vocabulary.
    config = { runtime: { gpu: false, maxThreads: 2 }, experts: [{ id: "agent", backend: "llama", model: model.path, contextSize: 5120, sequences: 1 }], routing: { strategy: "fixed", fixed: ["agent"] } };
    console.error("[demo] a random-weight agent model: its text is noise; the MCP calls and the loop are real.\n");
  }
  // Room for a call's arguments: a free-text question and optional fields.
  const chat = await ChatConclave.fromConfig(config, { notice: (message) => console.error(`[conclave] ${message}`), maxTokens: 400 });
  try {
    const tools = await mcpTools(client);
    const state = await buildAgent(chat, tools, { firstStep: "required", maxSteps: 3 }).invoke({ messages: [new HumanMessage("Which experts are there, and what is 12 times 7?")] });
    for (const message of state.messages) {
      const calls = (message as AIMessage).tool_calls?.map((call) => `${call.name}(${JSON.stringify(call.args)})`).join(", ");
      const finish = (message.response_metadata as { finish_reason?: string } | undefined)?.finish_reason;
      console.log(`${message.getType()}: ${calls ? `calls ${calls}` : message.text.slice(0, 400)}${finish ? ` (${finish})` : ""}`);
    }
  } finally {
    await client.close();
    await chat.close();
    await disposeRuntime();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
