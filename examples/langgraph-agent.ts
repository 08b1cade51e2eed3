/**
 * A ReAct agent that runs on conclave itself: conclave is the agent's chat model and calls tools.
 *
 *   START -> agent -(tool calls)-> tools -> agent -> ... -(no call)-> END
 *
 * - agent: ChatConclave with the tools bound (only tool-capable experts are recruited; a turn that
 *   calls tools is one expert's whole turn). `firstStep: "required"` forces a call on the first turn
 *   (tool_choice required: the call is grammar-bound to a tool's schema); later turns are `auto`, and
 *   the last allowed one is `none`, so the loop always ends with an answer;
 * - tools: LangGraph's ToolNode runs the calls and returns ToolMessages; the agent reads them next.
 * Tools here: a calculator, and ask_conclave (the ensemble consulted as a tool).
 *
 * `buildAgent(chat, tools, options)` returns the compiled graph. Run directly for a demo:
 *
 *   npx tsx examples/langgraph-agent.ts [conclave.yaml]
 *
 * The config needs an expert whose chat template has function calling (Llama 3.1+, Qwen 2.5+,
 * Mistral, Functionary, GPT-OSS...). Without one, the demo writes a tiny random-weight model carrying
 * Qwen 2.5's template into a temporary folder: its text is noise; the tool loop is real.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { HumanMessage, ToolMessage, type AIMessage } from "@langchain/core/messages";
import type { RunnableConfig } from "@langchain/core/runnables";
import { tool, type StructuredToolInterface } from "@langchain/core/tools";
import { END, MessagesAnnotation, START, StateGraph } from "@langchain/langgraph";
import { ToolNode, toolsCondition } from "@langchain/langgraph/prebuilt";
import { z } from "zod";
import { askConclaveTool, ChatConclave } from "../orchestrator/langchain/index.js";
import { disposeRuntime } from "../experts/llama/runtime.js";
import { writeTestModel } from "../experts/testmodels/generate.js";

export const calculator = tool(
  ({ a, b, op }: { a: number; b: number; op: "add" | "subtract" | "multiply" | "divide" }) => {
    const value = op === "add" ? a + b : op === "subtract" ? a - b : op === "multiply" ? a * b : b === 0 ? Number.NaN : a / b;
    return String(value);
  },
  {
    name: "calculator",
    description: "Exact arithmetic on two numbers",
    schema: z.object({ a: z.number(), b: z.number(), op: z.enum(["add", "subtract", "multiply", "divide"]) }),
  },
);

export interface AgentOptions {
  /** Agent turns at most (default 4); the last one may not call tools. */
  maxSteps?: number;
  /** "required": the first turn must call a tool (default "auto": the model decides). */
  firstStep?: "auto" | "required";
}

export function buildAgent(chat: ChatConclave, tools: StructuredToolInterface[], options: AgentOptions = {}) {
  const maxSteps = Math.max(1, options.maxSteps ?? 4);
  const agent = async (state: typeof MessagesAnnotation.State, config?: RunnableConfig) => {
    const steps = state.messages.filter((message) => message.getType() === "ai").length;
    const called = state.messages.some((message) => ToolMessage.isInstance(message));
    const choice = steps + 1 >= maxSteps ? "none" : !called && options.firstStep === "required" ? "required" : "auto";
    const message = await chat.bindTools(tools, { tool_choice: choice }).invoke(state.messages, config);
    return { messages: [message] };
  };
  return new StateGraph(MessagesAnnotation)
    .addNode("agent", agent)
    .addNode("tools", new ToolNode(tools))
    .addEdge(START, "agent")
    .addConditionalEdges("agent", toolsCondition, ["tools", END])
    .addEdge("tools", "agent")
    .compile();
}

async function main(): Promise<void> {
  const configPath = process.argv[2];
  let scratch: string | undefined;
  let config: string | Record<string, unknown>;
  if (configPath) config = configPath;
  else {
    scratch = await mkdtemp(join(tmpdir(), "conclave-agent-"));
    const model = await writeTestModel(join(scratch, "agent.gguf"), { architecture: "qwen3moe", experts: 4, expertsUsed: 2, chatTemplate: "qwen2.5" });
    config = { runtime: { gpu: false, maxThreads: 2 }, experts: [{ id: "agent", backend: "llama", model: model.path, contextSize: 2048, sequences: 2 }], routing: { strategy: "fixed", fixed: ["agent"] } };
    console.error("[demo] a random-weight model with Qwen 2.5's template: the text is noise; the tool loop is real.\n");
  }
  const chat = await ChatConclave.fromConfig(config, { notice: (message) => console.error(`[conclave] ${message}`), maxTokens: 96 });
  try {
    const tools = [calculator, askConclaveTool(chat, { maxTokens: 32 })];
    const state = await buildAgent(chat, tools, { firstStep: "required" }).invoke({ messages: [new HumanMessage("What is 17 times 23?")] });
    for (const message of state.messages) {
      const calls = (message as AIMessage).tool_calls?.map((call) => `${call.name}(${JSON.stringify(call.args)})`).join(", ");
      console.log(`${message.getType()}: ${calls ? `calls ${calls}` : message.text}`);
    }
  } finally {
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
