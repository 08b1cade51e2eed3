/**
 * Pure shaping of orchestrator results into MCP tool results: the routing trace summary of an answer,
 * a dry-run route, the expert list, and errors. An error is a tool result with `isError: true` whose
 * text reads `error [CODE]: message` and whose `_meta["conclave/error"]` holds the code, message,
 * field and whether retrying can help; it never carries structured content (the output schemas
 * describe successes only).
 */
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { InstanceOutcome, Recruitment, SkillTag } from "../../kernel/contracts.js";
import { toConclaveError } from "../../kernel/errors.js";
import type { Orchestrator } from "../orchestrator.js";
import type { RouteResult } from "../pipeline.js";
import type { AskSummary, ExpertList, RouteSummary } from "./schemas.js";

const ms = (value: number) => Math.round(value * 10) / 10;

function skills(tags: readonly SkillTag[]): RouteSummary["skills"] {
  return tags.map((t) => ({ skill: t.skill, score: t.score, ...(t.keyword ? { keyword: t.keyword } : {}) }));
}

function recruitment(r: Recruitment): Pick<RouteSummary, "strategy" | "fallback" | "experts"> {
  return {
    strategy: r.strategy,
    ...(r.fallback ? { fallback: r.fallback } : {}),
    experts: r.recruits.map((x) => ({ id: x.expertId, weight: x.weight, reason: x.reason })),
  };
}

export function routeSummary(routed: RouteResult): RouteSummary {
  return { skills: skills(routed.skills), ...recruitment(routed.recruitment), times_ms: { tag: ms(routed.tagMs), recruit: ms(routed.recruitMs) } };
}

export function askSummary(outcome: InstanceOutcome, model: string, synthetic: boolean): AskSummary {
  const { trace } = outcome;
  const recruited = recruitment(trace.recruitment);
  const answered = new Map(trace.answers.map((a) => [a.expertId, a.ms]));
  const aggregator = trace.aggregation.aggregator;
  return {
    model,
    skills: skills(trace.skills),
    strategy: recruited.strategy,
    ...(recruited.fallback ? { fallback: recruited.fallback } : {}),
    experts: recruited.experts.map((e) => {
      const took = answered.get(e.id);
      return { ...e, answered: took !== undefined, ...(took === undefined ? {} : { ms: ms(took) }) };
    }),
    failures: trace.failures.map((f) => ({ id: f.expertId, code: f.code, message: f.message })),
    aggregation: { method: trace.aggregation.method, ...(aggregator ? { aggregator } : {}), reason: trace.aggregation.reason },
    finish_reason: outcome.finishReason,
    usage: { prompt_tokens: outcome.usage.promptTokens, completion_tokens: outcome.usage.completionTokens },
    warnings: trace.warnings,
    times_ms: {
      tag: ms(trace.times.tagMs),
      recruit: ms(trace.times.recruitMs),
      experts: ms(trace.times.runMs),
      aggregate: ms(trace.times.aggregateMs),
      total: ms(trace.times.totalMs),
    },
    synthetic,
  };
}

export function expertList(orchestrator: Orchestrator): ExpertList {
  const stats = orchestrator.stats().experts;
  const aggregator = orchestrator.aggregator;
  return {
    ensemble: orchestrator.config.server.ensemble,
    ...(aggregator ? { aggregator } : {}),
    synthetic: orchestrator.synthetic,
    experts: [...orchestrator.statuses.values()].map((s) => {
      const shape = s.shape;
      const optional = <T>(key: string, value: T | undefined) => (value === undefined ? {} : { [key]: value });
      return {
        id: s.id,
        backend: s.kind,
        ...optional("description", s.description),
        available: !s.unavailable,
        ...optional("unavailable", s.unavailable && { code: s.unavailable.code, message: s.unavailable.message }),
        aggregator: s.id === aggregator,
        resident: stats[s.id]?.resident ?? s.resident,
        slots: s.slots,
        ...(shape
          ? {
              shape: {
                architecture: shape.architecture,
                moe: (shape.expertCount ?? 0) > 1,
                ...optional("expert_count", shape.expertCount),
                ...optional("expert_used_count", shape.expertUsedCount),
                ...optional("parameters", shape.parameters),
                ...optional("active_parameters", shape.activeParameters),
                ...optional("context_length", shape.contextLength),
              },
            }
          : {}),
        ...(s.memory ? { memory: { ram_bytes: s.memory.ramBytes, vram_bytes: s.memory.vramBytes } } : {}),
      };
    }),
  };
}

/** Any failure as a tool error the calling model can read and act on. */
export function toolError(error: unknown): CallToolResult {
  const failure = toConclaveError(error, "INTERNAL_ERROR");
  return {
    isError: true,
    content: [{ type: "text", text: `error [${failure.code}]: ${failure.message}` }],
    _meta: {
      "conclave/error": {
        code: failure.code,
        message: failure.message,
        retryable: failure.retryable,
        ...(failure.param ? { param: failure.param } : {}),
      },
    },
  };
}
