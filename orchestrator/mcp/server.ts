/**
 * conclave as an MCP server: `createMcpServer(orchestrator)` returns an SDK `McpServer` (not yet
 * connected) with three tools.
 *
 * - `ask`: answers through the routed ensemble, or one named expert. Result: the answer as text, and
 *   the routing trace summary (skills, experts, aggregation, usage) as structured content.
 * - `route`: the skills and recruits a question would get, with weights and reasons; generates nothing.
 * - `list_experts`: every expert with backend, MoE shape, memory estimate, availability, aggregator flag.
 *
 * Failures (unknown expert, invalid input, an expert failing) come back as tool results with
 * `isError: true` naming conclave's error code, never as protocol errors. A cancelled request aborts
 * its generation. The server owns nothing: the caller closes the orchestrator.
 */
import { readFileSync } from "node:fs";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { ChatMessage } from "../../kernel/contracts.js";
import { ConclaveError } from "../../kernel/errors.js";
import type { Orchestrator } from "../orchestrator.js";
import { askSummary, expertList, routeSummary, toolError } from "./results.js";
import { askInput, askOutput, listExpertsOutput, routeInput, routeOutput } from "./schemas.js";

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version?: unknown };
    return typeof pkg.version === "string" ? pkg.version : "0.1.0";
  } catch {
    return "0.1.0";
  }
}

const SYNTHETIC_NOTE = " NOTE: this server runs a synthetic demo pool of randomly initialised models, so answer text is noise; routing is real.";

function describeAsk(orchestrator: Orchestrator): string {
  return (
    "Answer a question with conclave: several local language models served as one. The question is tagged " +
    "with the skills it needs (math, code, law, science, writing, ...), routed to the experts best at them, " +
    "and their answers are combined into one. Use it for a second opinion or a local-model answer to a " +
    "self-contained question; put all needed context into `question`, since the experts see nothing else. " +
    "Set `expert` (an id from list_experts) to ask one expert directly and skip routing. Returns the answer " +
    "as text, plus structured content telling which skills were found, which experts answered, how their " +
    "answers were combined and the token usage." +
    (orchestrator.synthetic ? SYNTHETIC_NOTE : "")
  );
}

const ROUTE =
  "Show how conclave would route a question, without generating anything: the skills detected in it and " +
  "the experts that would be recruited, each with a weight and the reason it was chosen. Fast and free; " +
  "use it to explain or check routing, or to choose an expert to name in ask.";

const LIST =
  "List the experts (models) behind conclave: id, backend (local GGUF via llama.cpp, or a remote " +
  "OpenAI-compatible API), model shape (architecture, Mixture-of-Experts expert counts, total and active " +
  "parameters), memory estimate, whether it can serve now (and why not), and which expert aggregates the " +
  "others' answers. Use it to find valid ids for ask's `expert`.";

export function createMcpServer(orchestrator: Orchestrator): McpServer {
  const server = new McpServer(
    { name: "conclave", version: packageVersion() },
    { instructions: "conclave routes each question to the local expert models best suited to it and combines their answers. Call list_experts to see them, route to preview routing, ask to get an answer." },
  );
  const ensemble = orchestrator.config.server.ensemble;
  const readOnly = { readOnlyHint: true, openWorldHint: false } as const;
  let asked = 0;

  server.registerTool(
    "ask",
    { title: "Ask the conclave ensemble", description: describeAsk(orchestrator), inputSchema: askInput, outputSchema: askOutput, annotations: readOnly },
    async ({ question, expert, max_tokens, system }, extra) => {
      try {
        if (question.trim() === "") throw new ConclaveError("INVALID_REQUEST", "question must not be blank", { param: "question" });
        const expertId = expert === undefined || expert === ensemble ? undefined : expert;
        const messages: ChatMessage[] = [...(system ? [{ role: "system" as const, content: system }] : []), { role: "user", content: question }];
        const outcome = await orchestrator.answer(
          { id: `mcp-${++asked}`, messages, params: max_tokens === undefined ? {} : { maxTokens: max_tokens } },
          { signal: extra.signal, ...(expertId ? { expertId } : {}) },
        );
        return {
          content: [{ type: "text", text: outcome.text }],
          structuredContent: askSummary(outcome, expertId ?? ensemble, orchestrator.synthetic),
        };
      } catch (error) {
        return toolError(error);
      }
    },
  );

  server.registerTool(
    "route",
    { title: "Preview conclave's routing", description: ROUTE, inputSchema: routeInput, outputSchema: routeOutput, annotations: { ...readOnly, idempotentHint: true } },
    async ({ question }) => {
      try {
        if (question.trim() === "") throw new ConclaveError("INVALID_REQUEST", "question must not be blank", { param: "question" });
        const summary = routeSummary(await orchestrator.route([{ role: "user", content: question }]));
        const line = (e: { id: string; weight: number; reason: string }) => `${e.id} (weight ${e.weight.toFixed(2)}): ${e.reason}`;
        const skills = summary.skills.map((s) => `${s.skill} ${s.score.toFixed(2)}`).join(", ") || "(none)";
        const text = [`skills: ${skills}`, `recruited (${summary.strategy}):`, ...summary.experts.map(line)].join("\n");
        return { content: [{ type: "text", text }], structuredContent: summary };
      } catch (error) {
        return toolError(error);
      }
    },
  );

  server.registerTool(
    "list_experts",
    { title: "List conclave's experts", description: LIST, inputSchema: {}, outputSchema: listExpertsOutput, annotations: { ...readOnly, idempotentHint: true } },
    async () => {
      try {
        const list = expertList(orchestrator);
        return { content: [{ type: "text", text: JSON.stringify(list, null, 2) }], structuredContent: list };
      } catch (error) {
        return toolError(error);
      }
    },
  );

  return server;
}
