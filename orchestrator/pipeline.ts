/**
 * The flow for one instance, top to bottom: tag skills -> recruit experts -> run them through the
 * scheduler (grouped by expert with every other request in flight) -> aggregate.
 *
 * Input: an instance (messages, params) and the pipeline's parts. Output: the final text, summed token
 * usage and a routing trace. Failures: an expert that fails is dropped and recorded in the trace;
 * when every recruit fails the first failure is thrown (or NO_EXPERT_AVAILABLE); an aggregator that
 * fails degrades to a vote with a warning; an abort rejects with ABORTED.
 */
import type { ChatMessage, ExpertFailure, Instance, InstanceOutcome, Recruitment, SkillTag, TokenUsage } from "./contracts.js";
import { ConclaveError, isConclaveError, toConclaveError } from "./errors.js";
import type { Config } from "./config/schema.js";
import { buildSynthesisMessages } from "./aggregate/synthesize.js";
import { planAggregation, type AggregationPlan, type WeightedAnswer } from "./aggregate/plan.js";
import type { Scheduler } from "./scheduler/scheduler.js";
import type { GenerateResult } from "../experts/spec.js";

export interface Router {
  tag(text: string): Promise<SkillTag[]>;
  recruit(skills: SkillTag[], text: string): Recruitment;
}

export interface PipelineParts {
  router: Router;
  scheduler: Scheduler;
  aggregation: Config["aggregation"];
  generation: Config["generation"];
  aggregator: string | undefined;
}

export interface AnswerOptions {
  signal?: AbortSignal;
  /** Streams the final answer's text as it is produced. */
  onText?: (text: string) => void;
  /** Bypass routing: ask this expert only (a request naming an expert as its model). */
  expertId?: string;
  /** Routing done beforehand (a batch routes every instance before any work starts). */
  routed?: RouteResult;
}

export interface RouteResult {
  skills: SkillTag[];
  recruitment: Recruitment;
  tagMs: number;
  recruitMs: number;
}

/** The text routing looks at: the last user message. */
export function routingText(messages: readonly ChatMessage[]): string {
  for (let i = messages.length - 1; i >= 0; i--) if (messages[i]!.role === "user") return messages[i]!.content;
  return messages.at(-1)?.content ?? "";
}

export async function route(parts: PipelineParts, messages: readonly ChatMessage[], expertId?: string): Promise<RouteResult> {
  const started = performance.now();
  if (expertId) {
    return {
      skills: [],
      recruitment: { strategy: "direct", recruits: [{ expertId, weight: 1, reason: "named as the request's model" }] },
      tagMs: 0,
      recruitMs: 0,
    };
  }
  const text = routingText(messages);
  const skills = await parts.router.tag(text);
  const tagged = performance.now();
  const recruitment = parts.router.recruit(skills, text);
  if (recruitment.recruits.length === 0) throw new ConclaveError("NO_EXPERT_AVAILABLE", "routing recruited no expert");
  return { skills, recruitment, tagMs: tagged - started, recruitMs: performance.now() - tagged };
}

function addUsage(total: TokenUsage, more: TokenUsage): TokenUsage {
  return { promptTokens: total.promptTokens + more.promptTokens, completionTokens: total.completionTokens + more.completionTokens };
}

export async function answer(parts: PipelineParts, instance: Instance, options: AnswerOptions = {}): Promise<InstanceOutcome> {
  const started = performance.now();
  const routed = options.routed ?? (await route(parts, instance.messages, options.expertId));
  const params = {
    maxTokens: instance.params?.maxTokens ?? parts.generation.maxTokens,
    temperature: instance.params?.temperature ?? parts.generation.temperature,
    topP: instance.params?.topP ?? parts.generation.topP,
    ...(instance.params?.seed === undefined ? {} : { seed: instance.params.seed }),
    ...(instance.params?.stop ? { stop: instance.params.stop } : {}),
    ...(instance.params?.jsonSchema ? { jsonSchema: instance.params.jsonSchema } : {}),
  };
  const recruits = routed.recruitment.recruits;
  // With one recruit its own tokens are the final answer, so they can stream as they come.
  const streamDirect = recruits.length === 1 ? options.onText : undefined;
  const runStarted = performance.now();
  const settled = await Promise.allSettled(
    recruits.map(async (recruit) => {
      const t0 = performance.now();
      const result = await parts.scheduler.submit(recruit.expertId, {
        messages: instance.messages,
        params,
        ...(options.signal ? { signal: options.signal } : {}),
        ...(streamDirect ? { onText: streamDirect } : {}),
      });
      return { recruit, result, ms: performance.now() - t0 };
    }),
  );
  const runMs = performance.now() - runStarted;
  if (options.signal?.aborted) throw new ConclaveError("ABORTED", "the request was aborted");

  const failures: ExpertFailure[] = [];
  const answers: Array<WeightedAnswer & { result: GenerateResult; ms: number }> = [];
  let usage: TokenUsage = { promptTokens: 0, completionTokens: 0 };
  const warnings: string[] = [];
  settled.forEach((outcome, index) => {
    const recruit = recruits[index]!;
    if (outcome.status === "fulfilled") {
      const { result, ms } = outcome.value;
      answers.push({ expertId: recruit.expertId, text: result.text, weight: recruit.weight, result, ms });
      usage = addUsage(usage, result.usage);
      warnings.push(...result.warnings.map((warning) => `${recruit.expertId}: ${warning}`));
    } else {
      const error = toConclaveError(outcome.reason);
      failures.push({ expertId: recruit.expertId, code: error.code, message: error.message });
    }
  });
  if (answers.length === 0) {
    const first = settled.find((s): s is PromiseRejectedResult => s.status === "rejected");
    if (first && isConclaveError(first.reason) && recruits.length === 1) throw first.reason;
    throw new ConclaveError(
      "NO_EXPERT_AVAILABLE",
      `every recruited expert failed: ${failures.map((f) => `${f.expertId} (${f.code}: ${f.message})`).join("; ")}`,
    );
  }

  const aggregateStarted = performance.now();
  let plan: AggregationPlan = planAggregation(answers, {
    method: parts.aggregation.method,
    skipWhenAgree: parts.aggregation.skipWhenAgree,
    voteKind: parts.aggregation.voteKind,
    aggregator: parts.aggregator,
  });
  let text: string;
  let finishReason = answers.length === 1 ? answers[0]!.result.finishReason : ("stop" as const);
  if (plan.method === "synthesize") {
    try {
      const synthesis = await parts.scheduler.submit(plan.aggregator, {
        messages: buildSynthesisMessages(routingText(instance.messages), answers, 600),
        // The final answer is what the request's max_tokens limits; the config caps it otherwise.
        params: { maxTokens: instance.params?.maxTokens ?? parts.aggregation.maxTokens, temperature: params.temperature, topP: params.topP },
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.onText ? { onText: options.onText } : {}),
      });
      text = synthesis.text;
      finishReason = synthesis.finishReason;
      usage = addUsage(usage, synthesis.usage);
    } catch (error) {
      const failure = toConclaveError(error);
      if (failure.code === "ABORTED") throw failure;
      warnings.push(`aggregator ${plan.aggregator} failed (${failure.message}); fell back to a vote`);
      failures.push({ expertId: plan.aggregator, code: failure.code, message: failure.message });
      plan = planAggregation(answers, { method: "vote", skipWhenAgree: false, voteKind: parts.aggregation.voteKind, aggregator: undefined });
      text = plan.method === "synthesize" ? "" : plan.text;
      options.onText?.(text);
    }
  } else {
    text = plan.text;
    if (!streamDirect) options.onText?.(text);
  }
  const aggregateMs = performance.now() - aggregateStarted;

  return {
    id: instance.id,
    text,
    finishReason,
    usage,
    trace: {
      skills: routed.skills,
      recruitment: routed.recruitment,
      aggregation: {
        method: plan.method,
        ...(plan.method === "synthesize" ? { aggregator: plan.aggregator } : {}),
        reason: plan.reason,
      },
      answers: answers.map((a) => ({ expertId: a.expertId, text: a.text, ms: Math.round(a.ms) })),
      failures,
      warnings,
      times: {
        tagMs: round(routed.tagMs),
        recruitMs: round(routed.recruitMs),
        runMs: round(runMs),
        aggregateMs: round(aggregateMs),
        totalMs: round(performance.now() - started),
      },
    },
  };
}

const round = (ms: number) => Math.round(ms * 10) / 10;
