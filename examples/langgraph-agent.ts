/**
 * A LangGraph agent that consults conclave through the ask_conclave tool.
 *
 *   START -> plan -> consult -> compose -> END
 *
 * - plan splits the user's request into sub-questions, deterministically (one per question
 *   sentence): conclave's experts cannot call tools, so nothing here depends on a tool-calling LLM;
 * - consult asks the ensemble each sub-question through the ask_conclave tool, all at once, so
 *   conclave's scheduler can group the work by expert;
 * - compose has ChatConclave write the final answer (state.answer) from the consultations.
 *
 * `buildAgent(chat)` returns the compiled graph. Run directly for a demo:
 *
 *   npx tsx examples/langgraph-agent.ts [conclave.yaml]
 *
 * Without a config it serves the embedded demo pool: synthetic random-weight models whose answers
 * are noise; the routing, scheduling, aggregation and the graph itself are real.
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { HumanMessage, SystemMessage } from "@langchain/core/messages";
import type { RunnableConfig } from "@langchain/core/runnables";
import { Annotation, END, START, StateGraph } from "@langchain/langgraph";
import { askConclaveTool, ChatConclave } from "../orchestrator/langchain/index.js";
import { disposeRuntime } from "../experts/llama/runtime.js";

export interface Consultation {
  question: string;
  /** The ensemble's answer, ending with a note of which experts answered. */
  reply: string;
}

export const AgentState = Annotation.Root({
  request: Annotation<string>,
  questions: Annotation<string[]>({ reducer: (_, next) => next, default: () => [] }),
  consultations: Annotation<Consultation[]>({ reducer: (all, more) => all.concat(more), default: () => [] }),
  answer: Annotation<string>({ reducer: (_, next) => next, default: () => "" }),
});

export interface AgentOptions {
  /** At most this many sub-questions are consulted (default 4). */
  maxQuestions?: number;
  /** Token budget of each consultation and of the final answer. */
  consultTokens?: number;
  answerTokens?: number;
}

/** One sub-question per question sentence; a request with no question mark is asked whole. */
export function planQuestions(request: string, max = 4): string[] {
  const sentences = request
    .split(/(?<=[?!.])\s+|\n+/)
    .map((sentence) => sentence.trim())
    .filter((sentence) => sentence !== "");
  const questions = sentences.filter((sentence) => sentence.endsWith("?"));
  const planned = questions.length ? questions : [request.trim()];
  return planned.slice(0, Math.max(1, max));
}

export function buildAgent(chat: ChatConclave, options: AgentOptions = {}) {
  const ask = askConclaveTool(chat, options.consultTokens === undefined ? {} : { maxTokens: options.consultTokens });

  const plan = async (state: typeof AgentState.State) => ({ questions: planQuestions(state.request, options.maxQuestions) });

  const consult = async (state: typeof AgentState.State, config?: RunnableConfig) => {
    const replies = await Promise.all(state.questions.map((question) => ask.invoke({ question }, config)));
    return { consultations: state.questions.map((question, i) => ({ question, reply: String(replies[i]) })) };
  };

  const compose = async (state: typeof AgentState.State, config?: RunnableConfig) => {
    const notes = state.consultations.map((c, i) => `${i + 1}. Q: ${c.question}\n   A: ${c.reply}`).join("\n");
    const message = await chat.invoke(
      [
        new SystemMessage("You write the final answer to the user's request from the experts' consultations. Be brief."),
        new HumanMessage(`Request: ${state.request}\n\nConsultations:\n${notes}\n\nWrite the final answer.`),
      ],
      { ...config, ...(options.answerTokens === undefined ? {} : { maxTokens: options.answerTokens }) },
    );
    return { answer: message.text };
  };

  return new StateGraph(AgentState)
    .addNode("plan", plan)
    .addNode("consult", consult)
    .addNode("compose", compose)
    .addEdge(START, "plan")
    .addEdge("plan", "consult")
    .addEdge("consult", "compose")
    .addEdge("compose", END)
    .compile();
}

async function main(): Promise<void> {
  const configPath = process.argv[2];
  const chat = await ChatConclave.fromConfig(configPath ?? {}, { notice: (message) => console.error(`[conclave] ${message}`), maxTokens: 48 });
  try {
    if (chat.orchestrator?.synthetic) console.error("[demo] random-weight demo models: the text below is noise; the flow is real.\n");
    const request = "What is 17 times 23? Is a verbal contract legally binding? How does photosynthesis work?";
    const state = await buildAgent(chat).invoke({ request });
    console.log(`Request: ${state.request}\n`);
    for (const c of state.consultations) console.log(`Consulted: ${c.question}\n${c.reply}\n`);
    console.log(`Answer:\n${state.answer}`);
  } finally {
    await chat.close();
    await disposeRuntime();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
