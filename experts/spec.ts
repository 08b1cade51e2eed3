/**
 * The expert backend contract, versioned so that backends written outside this repo can say which
 * contract they implement. A backend generates one chat completion per `doGenerate` call; parameters
 * it cannot honour become `warnings` in the result, never exceptions.
 *
 * Context (optional, additive within v1): a backend that knows its context window declares
 * `info.contextSize`, and one that can count a prompt's tokens offers `countTokens`; the pipeline
 * uses them to refuse, before any generation, a request that cannot fit (a backend must never cut
 * a prompt silently). A backend that declares neither is not checked.
 *
 * Tools (optional, additive within v1): a backend with `info.tools` takes `tools`, `toolChoice` and
 * `parallelToolCalls`, reads assistant `toolCalls` and `tool` messages in the chat, and answers a
 * turn that calls tools with `toolCalls` and finishReason "tool_calls".
 *
 * Local backends (GGUF through node-llama-cpp) hold memory: the scheduler calls `ensureLoaded()` /
 * `unload()` and reads `estimateMemory()` to keep within the budget. Remote backends are always
 * "resident" and their memory is 0.
 */
import type { ChatMessage, FinishReason, GenerationParams, TokenUsage, ToolCall, ToolChoice, ToolDefinition } from "../kernel/contracts.js";

export type { ToolCall, ToolChoice, ToolDefinition };

export const EXPERT_SPEC_VERSION = "conclave.expert.v1" as const;

export interface GenerateRequest {
  messages: ChatMessage[];
  params: GenerationParams & { maxTokens: number };
  signal?: AbortSignal;
  /** Called with each piece of the answer as it is generated (streaming); thinking is not part of it. */
  onText?: (text: string) => void;
  /** Called with each piece of the model's thinking as it is generated (streaming), when it thinks. */
  onReasoning?: (text: string) => void;
  /** Functions the model may call; only given to a backend whose `info.tools` is true. */
  tools?: ToolDefinition[];
  /** Absent: "auto" when `tools` is given. */
  toolChoice?: ToolChoice;
  /** False: at most one call in the turn. Absent: the backend's default (several allowed). */
  parallelToolCalls?: boolean;
}

export interface GenerateResult {
  /** The answer, without the model's thinking. */
  text: string;
  /**
   * What a reasoning model thought before answering: its thought segments, a leading
   * `<think>...</think>` block (kernel/reasoning.ts), or a server's `reasoning_content`.
   */
  reasoning?: string;
  finishReason: FinishReason;
  usage: TokenUsage;
  /** Parameters the backend could not honour, in words a user can act on. */
  warnings: string[];
  /** The calls the model made; present (non-empty) exactly when `finishReason` is "tool_calls". */
  toolCalls?: ToolCall[];
  /** US dollars this call cost, when the backend knows it (replay experts: the recorded cost). */
  cost?: number;
  /** Local backends: time to the first token and prompt tokens evaluated vs reused from a sequence's cache. */
  prefill?: { ms: number; promptTokens: number; evaluatedTokens: number; reusedTokens: number };
}

/** The shape of the model behind an expert: sparse MoE experts report their expert counts. */
export interface ModelShape {
  architecture: string;
  /** Total parameters, when known. */
  parameters?: number;
  /** Parameters used per token (differs from `parameters` for sparse MoE models). */
  activeParameters?: number;
  expertCount?: number;
  expertUsedCount?: number;
  contextLength?: number;
  fileBytes?: number;
}

export interface MemoryEstimate {
  /** Bytes the model needs resident in RAM (CPU) when loaded with its configured context. */
  ramBytes: number;
  /** Bytes it needs on the GPU, 0 on CPU. */
  vramBytes: number;
}

export interface ExpertInfo {
  id: string;
  kind: "llama" | "remote" | "replay";
  /** Where it lives: local backends need loading, remote ones do not. */
  placement: "local" | "remote";
  /** How many generations it can run at once (sequences of its context, or remote concurrency). */
  slots: number;
  description?: string;
  shape?: ModelShape;
  /** Tokens one generation's context holds, prompt and completion together, when known. */
  contextSize?: number;
  /**
   * Whether it can take `tools` and call them (local: detected from the model's chat wrapper once
   * described; remote: declared). Absent counts as false: such an expert is never recruited for a
   * request that carries tools.
   */
  tools?: boolean;
}

export interface ExpertBackend {
  readonly specVersion: typeof EXPERT_SPEC_VERSION;
  readonly info: ExpertInfo;
  /** True once the model is ready to generate without a load. Always true for remote backends. */
  isLoaded(): boolean;
  /** Idempotent and safe under concurrency: concurrent calls share one load. `signal` may cancel a load the call starts (ABORTED). */
  ensureLoaded(signal?: AbortSignal): Promise<void>;
  /** Frees the model; waits for in-flight generations to end first. No-op when not loaded. */
  unload(): Promise<void>;
  /** Memory needed when loaded, estimated before loading; 0/0 for remote. */
  estimateMemory(): Promise<MemoryEstimate>;
  /** The model's shape; may read file metadata, never loads weights. */
  describe(): Promise<ModelShape>;
  doGenerate(request: GenerateRequest): Promise<GenerateResult>;
  /**
   * Optional: the prompt tokens `messages` take in this backend's context (its own tokenizer and
   * prompt format, with `tools` documented as a request offering them renders them), counted without
   * generating and without a full model load.
   */
  countTokens?(messages: ChatMessage[], tools?: ToolDefinition[]): Promise<number>;
  /** Unloads and releases everything; safe to call twice. */
  close(): Promise<void>;
}
