/**
 * Shared data shapes of the pipeline: tag -> recruit -> schedule -> run -> aggregate.
 * Pure types only; every stage imports from here so data flows one way.
 */

export type Role = "system" | "user" | "assistant" | "tool";

export interface ChatMessage {
  role: Role;
  content: string;
  name?: string;
  /** An assistant turn that called tools (its `content` may then be empty). */
  toolCalls?: ToolCall[];
  /** A `tool` message: the id of the call whose result `content` is. */
  toolCallId?: string;
}

/** A function tool the model may call, in OpenAI's shape (`parameters` is a JSON schema). */
export interface ToolDefinition {
  type: "function";
  function: { name: string; description?: string; parameters?: Record<string, unknown>; strict?: boolean };
}

/** auto: the model decides; none: no call; required: at least one call; named: that function, forced. */
export type ToolChoice = "auto" | "none" | "required" | { type: "function"; function: { name: string } };

/** One call a model made; `arguments` is the JSON text of the arguments object, as OpenAI sends it. */
export interface ToolCall {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
}

/** Sampling and limits for one generation. Absent fields fall back to the config schema's defaults. */
export interface GenerationParams {
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  seed?: number;
  stop?: string[];
  /** A JSON schema the output must follow (enforced by grammar on local experts). */
  jsonSchema?: Record<string, unknown>;
}

export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
  /** Of promptTokens, those a local expert reused from a sequence's cache (prefix reuse); absent when none reported. */
  cachedPromptTokens?: number;
}

/** tool_calls: the turn ended with tool calls for the caller to run. */
export type FinishReason = "stop" | "length" | "abort" | "tool_calls";

/** A skill the request needs, with how sure the tagger is (0..1). */
export interface SkillTag {
  skill: string;
  score: number;
  /** The keyword the tagger saw, when it differs from the skill id. */
  keyword?: string;
}

/** One recruited expert and why it was chosen. */
export interface Recruit {
  expertId: string;
  /** Normalised weight among the recruits (sums to 1). */
  weight: number;
  /** Human-readable reason: skills and scores that won the place. */
  reason: string;
  /** Cascade only: the escalation step (0 = asked first) the expert belongs to. */
  tier?: number;
}

export interface Recruitment {
  strategy: string;
  recruits: Recruit[];
  /** Set when the strategy fell back to a generalist or a default. */
  fallback?: string;
  /** Set when residency changed the choice: a warm expert taken over a slightly better cold one. */
  residencySwaps?: Array<{ expertId: string; over: string }>;
  /** Set when routing abstained (routing.abstain): no skill scored enough for any expert to be trusted. */
  abstain?: Abstention;
}

/**
 * Why routing abstained: the best skill score (none when nothing was tagged) against the threshold.
 * With a fallback expert it is the single recruit; without one there are no recruits and the answer
 * is the configured message.
 */
export interface Abstention {
  threshold: number;
  best?: { skill: string; score: number };
  fallback?: string;
  reason: string;
}

/** An answer from one expert for one instance. */
/** What routing decided for one instance: the tagged skills and the recruited experts. */
export interface RouteResult {
  skills: SkillTag[];
  recruitment: Recruitment;
  tagMs: number;
  recruitMs: number;
}

/** One step of a cascade: who was asked, how much the answers so far agreed, whether it stopped there. */
export interface CascadeStep {
  tier: number;
  experts: string[];
  agreement: number;
  stopped: boolean;
  reason: string;
}

export interface ExpertAnswer {
  expertId: string;
  text: string;
  finishReason: FinishReason;
  usage: TokenUsage;
  ms: number;
}

export interface ExpertFailure {
  expertId: string;
  code: string;
  message: string;
}

/** abstain: routing recruited no expert and the answer is routing.abstain's message. */
export type AggregationMethod = "single" | "vote" | "synthesize" | "agree" | "abstain";

export interface StageTimes {
  tagMs: number;
  recruitMs: number;
  runMs: number;
  aggregateMs: number;
  totalMs: number;
}

/** What the CLI, HTTP and LangChain doors show of how a request was served. */
export interface RoutingTrace {
  skills: SkillTag[];
  recruitment: Recruitment;
  aggregation: { method: AggregationMethod; aggregator?: string; reason: string };
  answers: Array<{
    expertId: string;
    text: string;
    /** The expert's thinking, when it thinks (kernel/reasoning.ts). */
    reasoning?: string;
    ms: number;
    /** US dollars, when known. */
    cost?: number;
    /** Local experts: time to the first token, prompt tokens evaluated and reused from a sequence's cache. */
    prefill?: { ms: number; promptTokens: number; evaluatedTokens: number; reusedTokens: number };
    /** The calls this expert's turn made. */
    toolCalls?: ToolCall[];
  }>;
  failures: ExpertFailure[];
  warnings: string[];
  times: StageTimes;
  /** US dollars of every call made for the instance (answers and aggregator) whose cost is known. */
  cost?: number;
  /** Cascade only: each escalation step in order. */
  cascade?: CascadeStep[];
  /** Set when `truncate: "oldest"` dropped turns so that the chat fits every recruit's context. */
  truncation?: Truncation;
}

/** What fitting a chat into the recruits' contexts dropped, on the request's say-so. */
export interface Truncation {
  /** Messages dropped, oldest first (system messages are kept). */
  droppedMessages: number;
  /** Prompt tokens before and after, on the expert with the least room. */
  promptTokens: { before: number; after: number };
  expertId: string;
  contextSize: number;
}

/** One question to answer: a chat, an id, and parameters. */
export interface Instance {
  id: string;
  messages: ChatMessage[];
  params?: GenerationParams;
  /**
   * A chat longer than an expert's context is refused (context_length_exceeded) unless this asks to
   * drop its oldest turns until it fits; the trace then says what was dropped.
   */
  truncate?: "oldest";
  /** Functions the answer may call: only tool-capable experts are recruited. */
  tools?: ToolDefinition[];
  toolChoice?: ToolChoice;
  parallelToolCalls?: boolean;
}

export interface InstanceOutcome {
  id: string;
  text: string;
  /** The thinking behind `text`: its expert's (or the aggregator's), when that model thinks. */
  reasoning?: string;
  finishReason: FinishReason;
  /** The calls of the turn, when finishReason is "tool_calls": one expert's turn, never a mix. */
  toolCalls?: ToolCall[];
  usage: TokenUsage;
  trace: RoutingTrace;
}
