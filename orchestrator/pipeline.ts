/**
 * The flow for one instance, top to bottom: tag skills -> recruit experts -> fit the chat into their
 * contexts -> run them through the scheduler (grouped by expert with every other request in flight)
 * -> aggregate.
 *
 * An instance with tools recruits tool-capable experts only, counts the tools in the context check,
 * passes them to every recruit, and answers with one expert's whole turn when any recruit called
 * (aggregate/tool-turn.ts). When routing abstained with no fallback expert (recruit/abstain.ts), no
 * expert runs and the answer is the router's abstain message (refused with UNSUPPORTED_PARAMETER when
 * the request asked for a JSON schema or a forced tool call, which a message cannot be).
 *
 * Input: an instance (messages, params) and the pipeline's parts. Output: the final text, summed token
 * usage and a routing trace. Failures: a chat or max_tokens that a recruit's context cannot hold is
 * refused before any generation (context-fit.ts); an expert that fails is dropped and recorded in the trace;
 * when every recruit fails the first failure is thrown (or NO_EXPERT_AVAILABLE); an aggregator that
 * fails degrades to a vote with a warning; an abort rejects with ABORTED.
 */
import type { CascadeStep, ChatMessage, ExpertFailure, Instance, InstanceOutcome, Recruitment, RouteResult, SkillTag, TokenUsage } from "../kernel/contracts.js";
export type { RouteResult } from "../kernel/contracts.js";
import { ConclaveError, isConclaveError, toConclaveError } from "../kernel/errors.js";
import type { Config } from "./config/schema.js";
import { buildSynthesisMessages } from "./aggregate/synthesize.js";
import { planAggregation, type AggregationPlan, type WeightedAnswer } from "./aggregate/plan.js";
import { majorityVote } from "./aggregate/vote.js";
import { planToolTurn, turnAgreement } from "./aggregate/tool-turn.js";
import type { Scheduler } from "./scheduler/scheduler.js";
import { fitContext, type ContextFit, type ContextWindow } from "./context-fit.js";
import { defaultAbstainMessage } from "./recruit/abstain.js";
export type { ContextFit } from "./context-fit.js";
import type { WorkClass } from "./scheduler/policy.js";
import type { GenerateRequest, GenerateResult } from "../experts/spec.js";
import type { RecruitOutcome } from "../queues/engine.js";
// The queue port owns the shape, since workers gather outcomes from jobs and hand them back.
export type { RecruitOutcome } from "../queues/engine.js";

export interface Router {
  tag(text: string): Promise<SkillTag[]>;
  recruit(skills: SkillTag[], text: string): Recruitment;
  /** The answer when routing abstains with no fallback expert (routing.abstain). */
  abstainMessage?: string;
}

/** Where expert calls go: the local scheduler, or a fleet's queues (queues/fleet/client.ts) with the same signature. */
export type ExpertCalls = Pick<Scheduler, "submit">;

export interface PipelineParts {
  router: Router;
  scheduler: ExpertCalls;
  aggregation: Config["aggregation"];
  generation: Config["generation"];
  aggregator: string | undefined;
  /** aggregation.weighting competence: an expert's vote weight from its profile (undefined: keep the recruit weight). */
  competenceWeight?: (expertId: string) => number | undefined;
  /** The cascade stage stops once the answers so far agree at least this much (routing.cascade.threshold). */
  cascadeThreshold?: number;
  /** An expert's context window, when its backend declares one: requests that cannot fit are refused before generation. */
  contextOf?: (expertId: string) => ContextWindow | undefined;
  /** Whether an expert takes `tools` (its backend's info.tools); absent: none does. */
  toolCapable?: (expertId: string) => boolean;
  /** The available tool-capable experts, most suitable first: the fallback when no recruit takes tools. */
  toolExperts?: () => readonly string[];
}

export interface AnswerOptions {
  signal?: AbortSignal;
  /** Streams the final answer's text as it is produced. */
  onText?: (text: string) => void;
  /** Streams the thinking behind the final answer, when its expert thinks (before its text). */
  onReasoning?: (text: string) => void;
  /** Bypass routing: ask this expert only (a request naming an expert as its model). */
  expertId?: string;
  /** Routing done beforehand (a batch routes every instance before any work starts). */
  routed?: RouteResult;
  /** Online (default: someone waits for it) or batch: the scheduler serves online work first. */
  workClass?: WorkClass;
  /** The context check done beforehand (a door that must refuse before its stream starts). */
  fit?: ContextFit;
}

/** The text routing looks at: the last user message. */
export function routingText(messages: readonly ChatMessage[]): string {
  for (let i = messages.length - 1; i >= 0; i--) if (messages[i]!.role === "user") return messages[i]!.content;
  return messages.at(-1)?.content ?? "";
}

/** Whether an instance's answer may call tools (tool_choice "none" still needs capable experts: its history holds calls). */
export function wantsTools(instance: Pick<Instance, "tools">): boolean {
  return (instance.tools?.length ?? 0) > 0;
}

export async function route(parts: PipelineParts, messages: readonly ChatMessage[], expertId?: string, tools = false): Promise<RouteResult> {
  const routed = await routeAny(parts, messages, expertId);
  return tools ? toolCapableOnly(parts, routed) : routed;
}

/**
 * A request with tools goes to tool-capable experts only: the others are dropped from the recruits
 * (weights renormalised); when none is left, the first available tool-capable expert answers alone.
 */
function toolCapableOnly(parts: PipelineParts, routed: RouteResult): RouteResult {
  const capable = (id: string) => parts.toolCapable?.(id) === true;
  const { recruitment } = routed;
  if (recruitment.strategy === "direct") {
    const id = recruitment.recruits[0]!.expertId;
    if (!capable(id)) throw new ConclaveError("INVALID_REQUEST", `tools: expert ${id} cannot call tools (its chat template has no function calling; experts[].tools)`, { param: "tools" });
    return routed;
  }
  const kept = recruitment.recruits.filter((recruit) => capable(recruit.expertId));
  const dropped = recruitment.recruits.filter((recruit) => !capable(recruit.expertId)).map((recruit) => recruit.expertId);
  if (dropped.length === 0) return routed;
  if (kept.length > 0) {
    const total = kept.reduce((sum, recruit) => sum + recruit.weight, 0) || 1;
    const recruits = kept.map((recruit) => ({ ...recruit, weight: recruit.weight / total }));
    return { ...routed, recruitment: { ...recruitment, recruits, fallback: joinNote(recruitment.fallback, `tools: left out ${dropped.join(", ")} (cannot call tools)`) } };
  }
  const fallback = parts.toolExperts?.()[0];
  if (fallback === undefined) throw new ConclaveError("UNSUPPORTED_PARAMETER", "tools: no expert of this ensemble can call tools", { param: "tools" });
  return {
    ...routed,
    recruitment: {
      ...recruitment,
      recruits: [{ expertId: fallback, weight: 1, reason: "the first tool-capable expert (no recruit can call tools)" }],
      fallback: joinNote(recruitment.fallback, `tools: none of ${dropped.join(", ")} can call tools; ${fallback} answers`),
    },
  };
}

const joinNote = (before: string | undefined, note: string) => (before ? `${before}; ${note}` : note);

async function routeAny(parts: PipelineParts, messages: readonly ChatMessage[], expertId?: string): Promise<RouteResult> {
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
  // No recruit is an answer only when routing abstained; otherwise no expert could serve.
  if (recruitment.recruits.length === 0 && !recruitment.abstain) throw new ConclaveError("NO_EXPERT_AVAILABLE", "routing recruited no expert");
  return { skills, recruitment, tagMs: tagged - started, recruitMs: performance.now() - tagged };
}

function addUsage(total: TokenUsage, more: TokenUsage): TokenUsage {
  const cached = total.cachedPromptTokens === undefined && more.cachedPromptTokens === undefined ? undefined : (total.cachedPromptTokens ?? 0) + (more.cachedPromptTokens ?? 0);
  return {
    promptTokens: total.promptTokens + more.promptTokens,
    completionTokens: total.completionTokens + more.completionTokens,
    ...(cached === undefined ? {} : { cachedPromptTokens: cached }),
  };
}


/** The sampling parameters every recruit of an instance generates with. */
export function generationParams(parts: PipelineParts, instance: Instance): GenerateRequest["params"] {
  return {
    maxTokens: instance.params?.maxTokens ?? parts.generation.maxTokens,
    temperature: instance.params?.temperature ?? parts.generation.temperature,
    topP: instance.params?.topP ?? parts.generation.topP,
    ...(instance.params?.seed === undefined ? {} : { seed: instance.params.seed }),
    ...(instance.params?.stop ? { stop: instance.params.stop } : {}),
    ...(instance.params?.jsonSchema ? { jsonSchema: instance.params.jsonSchema } : {}),
  };
}

/**
 * Checks, before any generation, that the chat and the completion budget fit every recruit's context
 * (see context-fit.ts); throws INVALID_REQUEST / CONTEXT_LENGTH_EXCEEDED, or drops the oldest turns
 * when the instance asked for it.
 */
export function fit(parts: PipelineParts, instance: Instance, routed: RouteResult): Promise<ContextFit> {
  const windows = routed.recruitment.recruits.flatMap(({ expertId }) => parts.contextOf?.(expertId) ?? []);
  // Offered tools are part of the prompt (documented in the system turn): they are counted too.
  const tools = wantsTools(instance) && instance.toolChoice !== "none" ? instance.tools : undefined;
  const counted = tools ? windows.map((w) => (w.countTokens ? { ...w, countTokens: (messages: ChatMessage[]) => w.countTokens!(messages, tools) } : w)) : windows;
  return fitContext(instance, counted, parts.generation.maxTokens);
}

/** Runs every recruit through the scheduler at once; failures are kept, not thrown. */
export async function runRecruits(
  parts: PipelineParts,
  instance: Instance,
  routed: RouteResult,
  options: Pick<AnswerOptions, "signal" | "onText" | "onReasoning" | "workClass" | "fit"> = {},
): Promise<RecruitOutcome[]> {
  const recruits = routed.recruitment.recruits;
  // With one recruit its own tokens are the final answer, so they can stream as they come.
  const streamDirect = recruits.length === 1 ? options.onText : undefined;
  const reasoningDirect = recruits.length === 1 ? options.onReasoning : undefined;
  const budget = options.fit?.maxTokens;
  const params = { ...generationParams(parts, instance), ...(budget === undefined ? {} : { maxTokens: budget }) };
  return Promise.all(
    recruits.map(async ({ expertId, weight }): Promise<RecruitOutcome> => {
      const t0 = performance.now();
      try {
        const result = await parts.scheduler.submit(expertId, {
          messages: instance.messages,
          params,
          ...toolRequest(instance),
          ...(options.signal ? { signal: options.signal } : {}),
          ...(streamDirect ? { onText: streamDirect } : {}),
          ...(reasoningDirect ? { onReasoning: reasoningDirect } : {}),
        }, { workClass: options.workClass ?? "online" });
        return { expertId, weight, result, ms: performance.now() - t0 };
      } catch (error) {
        return { expertId, weight, error: toConclaveError(error) };
      }
    }),
  );
}

/** The tool fields of a recruit's request. */
export function toolRequest(instance: Instance): Pick<GenerateRequest, "tools" | "toolChoice" | "parallelToolCalls"> {
  if (!wantsTools(instance)) return {};
  return {
    tools: instance.tools!,
    ...(instance.toolChoice === undefined ? {} : { toolChoice: instance.toolChoice }),
    ...(instance.parallelToolCalls === undefined ? {} : { parallelToolCalls: instance.parallelToolCalls }),
  };
}

export async function answer(parts: PipelineParts, instance: Instance, options: AnswerOptions = {}): Promise<InstanceOutcome> {
  const started = performance.now();
  const routed = options.routed ?? (await route(parts, instance.messages, options.expertId, wantsTools(instance)));
  const fitted = options.fit ?? (await fit(parts, instance, routed));
  const run = { ...options, fit: fitted };
  const runStarted = performance.now();
  const cascading = routed.recruitment.recruits.some((r) => r.tier !== undefined) && routed.recruitment.recruits.length > 1;
  const { outcomes, steps } = cascading
    ? await runCascade(parts, fitted.instance, routed, run)
    : { outcomes: await runRecruits(parts, fitted.instance, routed, run), steps: undefined };
  const outcome = await aggregate(parts, fitted.instance, routed, outcomes, { runMs: performance.now() - runStarted, started }, run);
  return steps ? { ...outcome, trace: { ...outcome.trace, cascade: steps } } : outcome;
}

/** A recruit's weight in the vote: its competence weight when configured and known, else its recruit weight. */
function voteWeight(parts: PipelineParts, expertId: string, recruitWeight: number): number {
  return (parts.aggregation.weighting === "competence" ? parts.competenceWeight?.(expertId) : undefined) ?? recruitWeight;
}

/**
 * The cascade stage: asks the recruits tier by tier (cheapest first) and stops at the first tier
 * after which at least two answers agree at `cascadeThreshold` or more (the competence-weighted
 * vote's agreement over every answer so far); the last tier always ends it. Streaming is off: which
 * answer is final is known only at the end.
 */
async function runCascade(
  parts: PipelineParts,
  instance: Instance,
  routed: RouteResult,
  options: Pick<AnswerOptions, "signal" | "workClass" | "fit">,
): Promise<{ outcomes: RecruitOutcome[]; steps: CascadeStep[] }> {
  const tiers = [...new Set(routed.recruitment.recruits.map((r) => r.tier ?? 0))].sort((a, b) => a - b);
  const threshold = parts.cascadeThreshold ?? 1;
  const outcomes: RecruitOutcome[] = [];
  const steps: CascadeStep[] = [];
  for (const [index, tier] of tiers.entries()) {
    const recruits = routed.recruitment.recruits.filter((r) => (r.tier ?? 0) === tier);
    outcomes.push(...(await runRecruits(parts, instance, { ...routed, recruitment: { ...routed.recruitment, recruits } }, options)));
    const answered = outcomes.flatMap((o) => ("result" in o ? [{ expertId: o.expertId, text: o.result.text, weight: voteWeight(parts, o.expertId, o.weight) }] : []));
    // Turns with tool calls agree when they make the same calls (tool-turn.ts), not when their (empty) texts match.
    const calling = outcomes.flatMap((o) => ("result" in o ? [{ expertId: o.expertId, weight: voteWeight(parts, o.expertId, o.weight), text: o.result.text, ...(o.result.toolCalls ? { toolCalls: o.result.toolCalls } : {}) }] : []));
    const tools = calling.some((turn) => turn.toolCalls?.length);
    const vote = answered.length >= 2 && !tools ? majorityVote(answered, parts.aggregation.voteKind, instance.params?.jsonSchema) : null;
    const agreement = tools ? (calling.length >= 2 ? turnAgreement(calling) : 0) : (vote?.agreement ?? 0);
    const last = index === tiers.length - 1;
    const stopped = last || agreement >= threshold;
    const reason = last
      ? "last tier: the strongest decides"
      : stopped
        ? `${answered.length} answers agree ${agreement.toFixed(2)} >= ${threshold}: stop`
        : `${answered.length < 2 ? `${answered.length} answer(s), agreement needs two` : `agreement ${agreement.toFixed(2)} < ${threshold}`}: escalate`;
    steps.push({ tier, experts: recruits.map((r) => r.expertId), agreement: round(agreement), stopped, reason });
    if (stopped) break;
  }
  return { outcomes, steps };
}

/**
 * Turns the recruits' outcomes into the instance's answer: drops failed experts (recorded in the
 * trace), then plans the aggregation and runs the aggregator when it synthesises.
 */
export async function aggregate(
  parts: PipelineParts,
  instance: Instance,
  routed: RouteResult,
  outcomes: readonly RecruitOutcome[],
  times: { runMs: number; started: number },
  options: Pick<AnswerOptions, "signal" | "onText" | "onReasoning" | "workClass" | "fit"> = {},
): Promise<InstanceOutcome> {
  if (options.signal?.aborted) throw new ConclaveError("ABORTED", "the request was aborted");
  // Every door (answer, batch lines, queued flows) ends here, so abstaining is handled once.
  if (routed.recruitment.abstain && routed.recruitment.recruits.length === 0) return abstainedOutcome(parts, instance, routed, times, options);
  const streamedDirect = outcomes.length === 1 && options.onText !== undefined;
  const failures: ExpertFailure[] = [];
  const answers: Array<WeightedAnswer & { result: GenerateResult; ms: number }> = [];
  let usage: TokenUsage = { promptTokens: 0, completionTokens: 0 };
  const warnings: string[] = [...(options.fit?.warnings ?? [])];
  for (const outcome of outcomes) {
    if ("result" in outcome) {
      const weight = voteWeight(parts, outcome.expertId, outcome.weight);
      answers.push({ expertId: outcome.expertId, text: outcome.result.text, weight, result: outcome.result, ms: outcome.ms, finishReason: outcome.result.finishReason });
      usage = addUsage(usage, outcome.result.usage);
      warnings.push(...outcome.result.warnings.map((warning) => `${outcome.expertId}: ${warning}`));
    } else {
      failures.push({ expertId: outcome.expertId, code: outcome.error.code, message: outcome.error.message });
    }
  }
  if (answers.length === 0) {
    const first = outcomes.find((o): o is Extract<RecruitOutcome, { error: ConclaveError }> => "error" in o);
    if (first && outcomes.length === 1) throw first.error;
    throw new ConclaveError(
      "NO_EXPERT_AVAILABLE",
      `every recruited expert failed: ${failures.map((f) => `${f.expertId} (${f.code}: ${f.message})`).join("; ")}`,
    );
  }

  const aggregateStarted = performance.now();
  if (answers.some((a) => a.result.toolCalls?.length)) {
    return toolTurnOutcome(instance, routed, answers, usage, failures, warnings, times, options, aggregateStarted, streamedDirect);
  }
  let synthesisCost = 0;
  let plan: AggregationPlan = planAggregation(answers, {
    method: parts.aggregation.method,
    skipWhenAgree: parts.aggregation.skipWhenAgree,
    voteKind: parts.aggregation.voteKind,
    aggregator: parts.aggregator,
    // Structured output: answers are compared as parsed JSON and only valid ones can win a vote.
    ...(instance.params?.jsonSchema ? { jsonSchema: instance.params.jsonSchema } : {}),
  });
  let text: string;
  let reasoning: string | undefined;
  // The returned answer's own finish reason: a candidate cut by the token budget stays "length".
  let finishReason: InstanceOutcome["finishReason"] = plan.method === "synthesize" ? "stop" : plan.finishReason;
  if (plan.method === "synthesize") {
    let streamed = false;
    const onSynthesisText = options.onText
      ? (piece: string) => {
          streamed = true;
          options.onText!(piece);
        }
      : undefined;
    try {
      const synthesis = await parts.scheduler.submit(plan.aggregator, {
        messages: buildSynthesisMessages(routingText(instance.messages), answers, 600, parts.aggregation.synthesisPrompt),
        // The final answer is what the request's max_tokens limits; the config caps it otherwise.
        params: {
          maxTokens: instance.params?.maxTokens ?? parts.aggregation.maxTokens,
          // A schema binds the final answer too, so the aggregator writes under the same grammar.
          ...pick(generationParams(parts, instance), "temperature", "topP", "jsonSchema"),
        },
        ...(options.signal ? { signal: options.signal } : {}),
        ...(onSynthesisText ? { onText: onSynthesisText } : {}),
        ...(options.onReasoning ? { onReasoning: options.onReasoning } : {}),
      }, { workClass: options.workClass ?? "online" });
      text = synthesis.text;
      reasoning = synthesis.reasoning;
      finishReason = synthesis.finishReason;
      usage = addUsage(usage, synthesis.usage);
      synthesisCost = synthesis.cost ?? 0;
    } catch (error) {
      const failure = toConclaveError(error);
      // Text already streamed cannot be taken back: a vote appended to it would be two answers in one.
      if (failure.code === "ABORTED" || streamed) throw failure;
      warnings.push(`aggregator ${plan.aggregator} failed (${failure.message}); fell back to a vote`);
      failures.push({ expertId: plan.aggregator, code: failure.code, message: failure.message });
      plan = planAggregation(answers, {
        method: "vote",
        skipWhenAgree: false,
        voteKind: parts.aggregation.voteKind,
        aggregator: undefined,
        ...(instance.params?.jsonSchema ? { jsonSchema: instance.params.jsonSchema } : {}),
      });
      text = plan.method === "synthesize" ? "" : plan.text;
      finishReason = plan.method === "synthesize" ? "stop" : plan.finishReason;
      reasoning = plan.method === "synthesize" ? undefined : reasoningOf(answers, plan);
      if (reasoning !== undefined) options.onReasoning?.(reasoning);
      options.onText?.(text);
    }
  } else {
    text = plan.text;
    reasoning = reasoningOf(answers, plan);
    if (!streamedDirect) {
      if (reasoning !== undefined) options.onReasoning?.(reasoning);
      options.onText?.(text);
    }
  }
  const aggregateMs = performance.now() - aggregateStarted;

  return {
    id: instance.id,
    text,
    ...(reasoning === undefined ? {} : { reasoning }),
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
      answers: answers.map(traceAnswer),
      cost: answers.reduce((sum, a) => sum + (a.result.cost ?? 0), synthesisCost),
      failures,
      warnings,
      ...(options.fit?.truncation ? { truncation: options.fit.truncation } : {}),
      times: stageTimes(routed, times, aggregateMs),
    },
  };
}

/**
 * The answer when a recruit called tools: one expert's whole turn (aggregate/tool-turn.ts), never
 * synthesised (an aggregator cannot merge calls). Its text, if any, is streamed unless it already was.
 */
function toolTurnOutcome(
  instance: Instance,
  routed: RouteResult,
  answers: ReadonlyArray<WeightedAnswer & { result: GenerateResult; ms: number }>,
  usage: TokenUsage,
  failures: ExpertFailure[],
  warnings: string[],
  times: { runMs: number; started: number },
  options: Pick<AnswerOptions, "onText" | "onReasoning" | "fit">,
  aggregateStarted: number,
  streamedDirect: boolean,
): InstanceOutcome {
  const plan = planToolTurn(answers.map((a) => ({ expertId: a.expertId, weight: a.weight, text: a.text, ...(a.result.toolCalls ? { toolCalls: a.result.toolCalls } : {}) })));
  const chosen = answers.find((a) => a.expertId === plan.turn.expertId)!;
  const reasoning = chosen.result.reasoning;
  if (!streamedDirect && reasoning !== undefined) options.onReasoning?.(reasoning);
  if (!streamedDirect && plan.turn.text !== "") options.onText?.(plan.turn.text);
  return {
    id: instance.id,
    text: plan.turn.text,
    ...(reasoning === undefined ? {} : { reasoning }),
    finishReason: chosen.result.finishReason,
    ...(plan.turn.toolCalls?.length ? { toolCalls: plan.turn.toolCalls } : {}),
    usage,
    trace: {
      skills: routed.skills,
      recruitment: routed.recruitment,
      aggregation: { method: plan.method, reason: `tool turn: ${plan.reason}` },
      answers: answers.map(traceAnswer),
      cost: answers.reduce((sum, a) => sum + (a.result.cost ?? 0), 0),
      failures,
      warnings,
      ...(options.fit?.truncation ? { truncation: options.fit.truncation } : {}),
      times: stageTimes(routed, times, performance.now() - aggregateStarted),
    },
  };
}

/**
 * The answer when routing abstained and no expert was recruited: the abstain message, an ordinary
 * assistant turn ("stop"), with no usage; the trace's recruitment.abstain says why.
 */
function abstainedOutcome(
  parts: PipelineParts,
  instance: Instance,
  routed: RouteResult,
  times: { runMs: number; started: number },
  options: Pick<AnswerOptions, "onText" | "onReasoning" | "fit">,
): InstanceOutcome {
  const text = parts.router.abstainMessage ?? defaultAbstainMessage([]);
  // A message is not what a schema or a forced call asked for: say so rather than break that contract.
  const why = `routing abstained (${routed.recruitment.abstain!.reason})`;
  if (instance.params?.jsonSchema) throw new ConclaveError("UNSUPPORTED_PARAMETER", `${why}; its message cannot follow response_format: ${text}`, { param: "response_format" });
  const forced = instance.toolChoice === "required" || typeof instance.toolChoice === "object";
  if (wantsTools(instance) && forced) throw new ConclaveError("UNSUPPORTED_PARAMETER", `${why}; its message is not the tool call tool_choice requires: ${text}`, { param: "tool_choice" });
  options.onText?.(text);
  return {
    id: instance.id,
    text,
    finishReason: "stop",
    usage: { promptTokens: 0, completionTokens: 0 },
    trace: {
      skills: routed.skills,
      recruitment: routed.recruitment,
      aggregation: { method: "abstain", reason: routed.recruitment.abstain!.reason },
      answers: [],
      cost: 0,
      failures: [],
      warnings: [...(options.fit?.warnings ?? [])],
      ...(options.fit?.truncation ? { truncation: options.fit.truncation } : {}),
      times: stageTimes(routed, times, 0),
    },
  };
}

function pick<T extends object, K extends keyof T>(value: T, ...keys: K[]): Pick<T, K> {
  return Object.fromEntries(keys.filter((key) => value[key] !== undefined).map((key) => [key, value[key]])) as Pick<T, K>;
}

const round = (ms: number) => Math.round(ms * 10) / 10;

/** Time per stage for the trace, rounded to 0.1 ms; the total runs up to now. */
function stageTimes(routed: RouteResult, times: { runMs: number; started: number }, aggregateMs: number) {
  return {
    tagMs: round(routed.tagMs),
    recruitMs: round(routed.recruitMs),
    runMs: round(times.runMs),
    aggregateMs: round(aggregateMs),
    totalMs: round(performance.now() - times.started),
  };
}

/** The thinking behind a single or voted answer: that of the answer whose text was returned. */
function reasoningOf(answers: ReadonlyArray<WeightedAnswer & { result: GenerateResult }>, plan: Extract<AggregationPlan, { text: string }>): string | undefined {
  return answers.find((a) => a.text === plan.text && plan.expertIds.includes(a.expertId))?.result.reasoning;
}

/** One recruit's answer as the trace shows it, for text and tool turns alike. */
function traceAnswer(a: WeightedAnswer & { result: GenerateResult; ms: number }) {
  return {
    expertId: a.expertId,
    text: a.text,
    ...(a.result.reasoning === undefined ? {} : { reasoning: a.result.reasoning }),
    ms: Math.round(a.ms),
    ...(a.result.cost === undefined ? {} : { cost: a.result.cost }),
    ...(a.result.prefill ? { prefill: { ...a.result.prefill, ms: round(a.result.prefill.ms) } } : {}),
    ...(a.result.toolCalls?.length ? { toolCalls: a.result.toolCalls } : {}),
  };
}
