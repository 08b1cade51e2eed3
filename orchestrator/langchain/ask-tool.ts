/**
 * The ask_conclave tool: how an agent (on any tool-calling model, conclave itself included) consults
 * the ensemble as a tool. Input (zod): { question, expert? }. The question is answered by the
 * ensemble (routed to the experts whose skills fit) or by the named expert alone; the tool returns
 * the answer's text followed by a one-line note of which experts answered and how the answers were
 * combined. Failures reject with the ConclaveError (MODEL_NOT_FOUND for an unknown expert, ABORTED
 * when the tool call's signal fires).
 */
import { HumanMessage } from "@langchain/core/messages";
import { tool } from "@langchain/core/tools";
import { z } from "zod";
import type { GenerationParams, RoutingTrace } from "../../kernel/contracts.js";
import type { Orchestrator } from "../orchestrator.js";
import { ChatConclave } from "./chat-conclave.js";
import { ownSignal, raceAbort } from "./transport.js";

export interface AskConclaveToolOptions {
  /** Defaults to "ask_conclave". */
  name?: string;
  /** Replaces the default description the calling model reads. */
  description?: string;
  maxTokens?: number;
  temperature?: number;
  seed?: number;
}

export const askConclaveSchema = z.object({
  question: z.string().min(1).describe("A self-contained question: the experts do not see the rest of the conversation."),
  expert: z.string().min(1).optional().describe("An expert id to ask that expert alone; omit to let conclave route the question."),
});

export function askConclaveTool(target: ChatConclave | Orchestrator, options: AskConclaveToolOptions = {}) {
  const params: GenerationParams = {
    ...(options.maxTokens === undefined ? {} : { maxTokens: options.maxTokens }),
    ...(options.temperature === undefined ? {} : { temperature: options.temperature }),
    ...(options.seed === undefined ? {} : { seed: options.seed }),
  };
  const orchestrator = target instanceof ChatConclave ? target.orchestrator : target;
  // The calling model can only name an expert it has heard of; in-process the list is at hand.
  const experts = orchestrator ? [...orchestrator.statuses.values()].filter((s) => !s.unavailable).map((s) => s.id) : [];
  const description =
    options.description ??
    "Ask conclave, an ensemble of expert language models, a question. It routes the question to the experts " +
      "whose skills fit it and returns their combined answer." +
      (experts.length ? ` Experts: ${experts.join(", ")}.` : "");

  return tool(
    async ({ question, expert }, config) => {
      const signal = ownSignal(config?.signal);
      if (target instanceof ChatConclave) {
        const message = await target.invoke([new HumanMessage(question)], {
          ...params,
          ...(expert ? { model: expert } : {}),
          ...(signal ? { signal } : {}),
          ...(config?.callbacks ? { callbacks: config.callbacks } : {}),
        });
        return withNote(message.text, message.response_metadata.conclave as RoutingTrace | undefined);
      }
      const outcome = await raceAbort(
        target.answer(
          { id: `ask-${Date.now().toString(36)}`, messages: [{ role: "user", content: question }], params },
          { ...(signal ? { signal } : {}), ...(expert && expert !== target.config.server.ensemble ? { expertId: expert } : {}) },
        ),
        signal,
      );
      return withNote(outcome.text, outcome.trace);
    },
    { name: options.name ?? "ask_conclave", description, schema: askConclaveSchema },
  );
}

/** "(answered by demo-math, demo-code; synthesized by demo-writer)": enough to weigh the answer. */
export function consultationNote(trace: RoutingTrace | undefined): string {
  if (!trace) return "(conclave sent no routing trace)";
  const answered = trace.answers.map((a) => a.expertId).join(", ") || "no expert";
  const { method, aggregator } = trace.aggregation;
  const combined = { single: "", synthesize: `; synthesized by ${aggregator ?? "the aggregator"}`, vote: "; chosen by vote", agree: "; they agreed", abstain: "; routing abstained: no expert is competent" }[method];
  const failed = trace.failures.length ? `; failed: ${trace.failures.map((f) => f.expertId).join(", ")}` : "";
  return `(answered by ${answered}${combined}${failed})`;
}

function withNote(text: string, trace: RoutingTrace | undefined): string {
  return `${text}\n\n${consultationNote(trace)}`;
}
