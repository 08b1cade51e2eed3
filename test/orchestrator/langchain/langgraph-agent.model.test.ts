/**
 * The LangGraph example end to end on the generated demo pool, and the ask_conclave tool it uses,
 * over both of its targets (a ChatConclave and a bare Orchestrator).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { buildAgent, planQuestions } from "../../../examples/langgraph-agent.js";
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

describe("LangGraph agent example", () => {
  it("plans one sub-question per question sentence", () => {
    expect(planQuestions("What is 2 plus 2? Please be brief. Is a verbal contract binding?")).toEqual(["What is 2 plus 2?", "Is a verbal contract binding?"]);
    expect(planQuestions("Summarise the history of Rome.")).toEqual(["Summarise the history of Rome."]);
  });

  it("plans, consults the ensemble for each sub-question, and composes an answer", async () => {
    const chat = new ChatConclave({ orchestrator: t.orchestrator, maxTokens: 4, seed: 7 });
    const invoke = vi.spyOn(chat, "invoke");
    const request = "What is 17 times 23? Is a verbal contract legally binding? How does photosynthesis work?";
    const state = await buildAgent(chat).invoke({ request });
    expect(state.questions).toEqual(["What is 17 times 23?", "Is a verbal contract legally binding?", "How does photosynthesis work?"]);
    expect(state.consultations.map((c) => c.question)).toEqual(state.questions);
    // Each question was routed to the expert standing for its skill.
    expect(state.consultations.map((c) => /answered by (demo-[a-z]+)/.exec(c.reply)?.[1])).toEqual(["demo-math", "demo-law", "demo-science"]);
    expect(state.answer.length).toBeGreaterThan(0);
    // Three consultations and the final answer: four calls to the ensemble, the last one with every reply.
    expect(invoke).toHaveBeenCalledTimes(4);
    const finalPrompt = JSON.stringify(invoke.mock.calls.at(-1)![0]);
    for (const c of state.consultations) expect(finalPrompt).toContain(c.question);
  });
});
