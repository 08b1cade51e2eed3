/**
 * The LangGraph example (a ReAct agent running on conclave) end to end on a generated model with
 * Qwen 2.5's template, and the ask_conclave tool it uses, over both of its targets (a ChatConclave
 * and a bare Orchestrator) on the demo pool.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { AIMessage, HumanMessage, ToolMessage } from "@langchain/core/messages";
import { buildAgent, calculator } from "../../../examples/langgraph-agent.js";
import { modelFolder, TINY_MOE } from "../../helpers/models.js";
import { disposeRuntime } from "../../../experts/llama/runtime.js";
import { askConclaveTool, ChatConclave } from "../../../orchestrator/langchain/index.js";
import { startTestServer, type TestServer } from "../http/fixture.js";

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t.close();
  await disposeRuntime();
});

describe("ask_conclave tool", () => {
  it("answers through the ensemble and notes which experts answered", async () => {
    const ask = askConclaveTool(new ChatConclave({ orchestrator: t.orchestrator, seed: 5 }), { maxTokens: 3 });
    expect(ask.name).toBe("ask_conclave");
    expect(ask.description).toContain("demo-math");
    const reply = await ask.invoke({ question: "What is 12 times 7?" });
    expect(reply).toMatch(/\n\n\(answered by demo-math[^)]*\)$/);
  });

  it("asks a named expert alone, given an Orchestrator, and rejects an unknown one", async () => {
    const ask = askConclaveTool(t.orchestrator, { maxTokens: 3, seed: 5 });
    const reply = await ask.invoke({ question: "Is a verbal contract binding?", expert: "demo-science" });
    expect(reply).toMatch(/\n\n\(answered by demo-science\)$/);
    await expect(ask.invoke({ question: "x", expert: "nope" })).rejects.toMatchObject({ code: "MODEL_NOT_FOUND" });
    await expect(ask.invoke({ question: "" } as never)).rejects.toThrow();
  });
});

describe("LangGraph ReAct agent example", () => {
  it("calls a tool, reads its result and answers, all on conclave", async () => {
    const folder = await modelFolder("conclave-agent-");
    const model = await folder.write("agent", { ...TINY_MOE, architecture: "qwen3moe", chatTemplate: "qwen2.5" });
    const chat = await ChatConclave.fromConfig(
      { runtime: { gpu: false, maxThreads: 2 }, experts: [{ id: "agent", backend: "llama", model: model.path, contextSize: 2048, sequences: 1 }], routing: { strategy: "fixed", fixed: ["agent"] } },
      { maxTokens: 60, seed: 9, temperature: 0.8 },
    );
    try {
      const invoke = vi.spyOn(chat, "invoke");
      const state = await buildAgent(chat, [calculator], { firstStep: "required", maxSteps: 3 }).invoke({ messages: [new HumanMessage("What is 17 times 23?")] });
      const [question, call, result, ...rest] = state.messages;
      expect(question).toBeInstanceOf(HumanMessage);
      // The first turn was forced: a calculator call whose arguments fit the tool's schema.
      expect(AIMessage.isInstance(call)).toBe(true);
      const toolCall = (call as AIMessage).tool_calls![0]!;
      expect(toolCall.name).toBe("calculator");
      expect(calculator.schema.safeParse(toolCall.args).success, JSON.stringify(toolCall.args)).toBe(true);
      // ToolNode ran it and answered the call by id.
      expect(ToolMessage.isInstance(result)).toBe(true);
      expect((result as ToolMessage).tool_call_id).toBe(toolCall.id);
      expect(String((result as ToolMessage).content)).toBe(await calculator.invoke(toolCall.args as never));
      // The loop ends on an answer without calls, within the step limit.
      const last = state.messages.at(-1)!;
      expect(AIMessage.isInstance(last) && !(last as AIMessage).tool_calls?.length).toBe(true);
      expect(rest.filter((message) => AIMessage.isInstance(message)).length).toBeLessThanOrEqual(2);
      expect(invoke.mock.calls.length).toBe(state.messages.filter((message) => AIMessage.isInstance(message)).length);
    } finally {
      await chat.close();
      await folder.remove();
    }
  });
});
