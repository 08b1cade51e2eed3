/**
 * A local expert: one GGUF model and one context whose N sequences serve N generations at once
 * (node-llama-cpp batches their tokens together).
 *
 * Contract: `ensureLoaded()` is idempotent and shares one load between concurrent callers;
 * `doGenerate` takes a free sequence (waiting if all are busy; with `reusePrefix`, the free one that
 * already holds the longest prefix of the prompt), runs one chat completion, and gives it back with
 * its state kept for the next request (cleared without `reusePrefix` or after a failure); `unload()` waits for running generations, then frees the model; `close()`
 * unloads for good. Tools (tool-calls.ts): `info.tools` comes from the model's chat wrapper once
 * described or loaded; a request with tools runs LlamaChat with functions (auto) or a forced call
 * (required, named). Failures: a missing file -> MODEL_FILE_NOT_FOUND, an unreadable or unloadable file
 * -> MODEL_LOAD_FAILED naming the path and llama.cpp's own reason, abort -> ABORTED.
 */
import type { ChatHistoryItem, ChatWrapper, LlamaChatResponse, LlamaChatResponseChunk, LlamaContext, LlamaContextSequence, LlamaGrammar, LlamaModel } from "node-llama-cpp";
import { LlamaChat, LlamaCompletion, resolveChatWrapper } from "node-llama-cpp";
import { stat } from "node:fs/promises";
import type { ChatMessage, FinishReason, ToolCall, ToolDefinition } from "../../kernel/contracts.js";
import { ConclaveError, isAbortError, toConclaveError } from "../../kernel/errors.js";
import { ReasoningStream, splitReasoning } from "../../kernel/reasoning.js";
import {
  EXPERT_SPEC_VERSION,
  type ExpertBackend,
  type ExpertInfo,
  type GenerateRequest,
  type GenerateResult,
  type MemoryEstimate,
  type ModelShape,
} from "../spec.js";
import { describeModelFile, estimateModelMemory, readModelFile, resolveModelPath, type ModelSource } from "./model-file.js";
import { getRuntime, logMark, logsSince, type RuntimeOptions } from "./runtime.js";
import { renderPlainPrompt } from "./plain-prompt.js";
import { createJsonSchemaGrammar, jsonAnswerComplete } from "./json-grammar.js";
import { SlotPool } from "./slot-pool.js";
import { answeredKey, conversationKey, measurePrefill, PrefixIndex } from "./prefix-reuse.js";
import { autoCallOptions, forcedCall, forcedNames, supportsTools, toChatModelFunctions, toolChatHistory, toToolCalls } from "./tool-calls.js";

export interface LlamaExpertOptions extends ModelSource {
  id: string;
  description?: string;
  contextSize: number;
  /** Parallel sequences in the one context: how many requests it serves at once. */
  sequences: number;
  threads: number;
  /** "auto" lets node-llama-cpp fit layers on the GPU; a number pins it; 0 keeps it on the CPU. */
  gpuLayers: "auto" | number;
  /** For sparse MoE models: how many of the model's own experts run per token (llama.cpp metadata override). */
  expertUsedCount?: number;
  useMmap: boolean;
  /** chat: the model's chat template; plain: `renderPlainPrompt`, completed raw. */
  promptFormat?: "chat" | "plain";
  /**
   * Keep each sequence's evaluated prompt after a request and give a request the free sequence
   * sharing the longest prefix with it (prefix-reuse.ts); false clears the sequence after every
   * request. Absent counts as true (the config schema writes it).
   */
  reusePrefix?: boolean;
  /** Whether it takes `tools`; absent: detected from the model's chat wrapper (tool-calls.ts) when described or loaded. */
  tools?: boolean;
  runtime: RuntimeOptions;
}

interface GenerationOptions {
  maxTokens: number;
  temperature?: number;
  topP?: number;
  seed?: number;
  customStopTriggers?: string[];
  grammar?: LlamaGrammar;
  signal?: AbortSignal;
  onTextChunk?: (text: string) => void;
  onToken?: () => void;
}

interface Resident {
  model: LlamaModel;
  context: LlamaContext;
  pool: SlotPool<LlamaContextSequence>;
  chatWrapper: ChatWrapper;
}

export class LlamaExpert implements ExpertBackend {
  readonly specVersion = EXPERT_SPEC_VERSION;
  readonly info: ExpertInfo;
  private resident: Resident | undefined;
  private loading: Promise<Resident> | undefined;
  private unloading: Promise<void> | undefined;
  private closed = false;
  private path: string | undefined;
  private shape: ModelShape | undefined;
  private memory: MemoryEstimate | undefined;
  private readonly grammars = new Map<string, Promise<LlamaGrammar>>();
  /** Which conversation each sequence holds, for prompt reuse across requests. */
  private readonly prefixes = new PrefixIndex();
  /** The tokenizer alone (a vocabulary-only load), for counting prompts of a model that is not resident. */
  private vocabulary: Promise<Pick<Resident, "model" | "chatWrapper">> | undefined;

  constructor(private readonly options: LlamaExpertOptions) {
    this.info = {
      id: options.id,
      kind: "llama",
      placement: "local",
      slots: options.sequences,
      contextSize: usableContext(options.contextSize, options.promptFormat ?? "chat"),
      ...(options.tools === undefined ? {} : { tools: options.tools }),
      ...(options.description === undefined ? {} : { description: options.description }),
    };
  }

  isLoaded(): boolean {
    return this.resident !== undefined && this.unloading === undefined;
  }

  /** `signal` cancels a load this call starts (a load already under way is shared, not cancelled). */
  async ensureLoaded(signal?: AbortSignal): Promise<void> {
    await this.residentModel(signal);
  }

  private async residentModel(signal?: AbortSignal): Promise<Resident> {
    if (this.closed) throw new ConclaveError("CLOSED", `expert ${this.info.id} is closed`);
    if (this.unloading) await this.unloading;
    if (this.resident) return this.resident;
    if (!this.loading) {
      this.loading = this.load(signal).finally(() => {
        this.loading = undefined;
      });
    }
    return this.loading;
  }

  private async modelPath(): Promise<string> {
    this.path ??= await resolveModelPath(this.options);
    return this.path;
  }

  private gpuLayersFor(totalLayers: number): number {
    if (this.options.runtime.gpu === false) return 0;
    return this.options.gpuLayers === "auto" ? totalLayers : this.options.gpuLayers;
  }

  private async load(signal: AbortSignal | undefined): Promise<Resident> {
    const path = await this.modelPath();
    const llama = await getRuntime(this.options.runtime);
    // Read the header first: a corrupt file then fails with the parser's reason, not a vague one.
    await this.describe();
    const mark = logMark();
    let model: LlamaModel | undefined;
    try {
      const overrides = this.options.expertUsedCount === undefined ? undefined : { expert_used_count: this.options.expertUsedCount };
      model = await llama.loadModel({
        modelPath: path,
        gpuLayers: this.options.runtime.gpu === false ? 0 : this.options.gpuLayers,
        useMmap: this.options.useMmap,
        ...(signal ? { loadSignal: signal } : {}),
        ...(overrides ? { metadataOverrides: { [this.architectureKey()]: overrides } as never } : {}),
      });
      const context = await model.createContext({
        contextSize: this.options.contextSize,
        sequences: this.options.sequences,
        threads: this.options.threads,
        ...(signal ? { createSignal: signal } : {}),
      });
      const sequences = Array.from({ length: this.options.sequences }, () => context.getSequence());
      if (signal?.aborted) {
        await context.dispose();
        throw new ConclaveError("ABORTED", `load of expert ${this.info.id} was cancelled`);
      }
      const resident = { model, context, pool: new SlotPool(sequences), chatWrapper: resolveChatWrapper(model) };
      this.detectTools(resident.chatWrapper);
      if (this.closed) {
        await this.dispose(resident);
        throw new ConclaveError("CLOSED", `expert ${this.info.id} was closed while loading`);
      }
      this.resident = resident;
      return resident;
    } catch (cause) {
      await model?.dispose().catch(() => undefined);
      if (cause instanceof ConclaveError) throw cause;
      if (signal?.aborted || isAbortError(cause)) throw new ConclaveError("ABORTED", `load of expert ${this.info.id} was cancelled`, { cause });
      const reason = [(cause as Error).message, ...logsSince(mark)].join("; ");
      throw new ConclaveError("MODEL_LOAD_FAILED", `failed to load ${path} for expert ${this.info.id}: ${reason}`, { cause });
    }
  }

  /** The metadata section that holds `expert_used_count` is named after the architecture. */
  private architectureKey(): string {
    return this.shape?.architecture ?? "llama";
  }

  async unload(): Promise<void> {
    if (this.unloading) return this.unloading;
    if (this.loading) await this.loading.catch(() => undefined);
    const resident = this.resident;
    if (!resident) return;
    this.unloading = (async () => {
      await resident.pool.drain();
      await this.dispose(resident);
      this.resident = undefined;
    })().finally(() => {
      this.unloading = undefined;
    });
    return this.unloading;
  }

  private async dispose(resident: Resident): Promise<void> {
    resident.pool.rejectWaiters(new ConclaveError("CLOSED", `expert ${this.info.id} was unloaded`));
    await resident.context.dispose();
    await resident.model.dispose();
  }

  async describe(): Promise<ModelShape> {
    if (!this.shape) {
      const path = await this.modelPath();
      const [info, file] = await Promise.all([readModelFile(path), stat(path)]);
      this.shape = describeModelFile(info, file.size, this.options.expertUsedCount);
      // Before any load, so that recruitment knows which experts take tools: the wrapper the file's
      // metadata resolves to (the load resolves it again, with the tokenizer, and has the last word).
      try {
        this.detectTools(resolveChatWrapper({ fileInfo: info, filename: path, warningLogs: false }) ?? undefined);
      } catch {
        this.detectTools(undefined);
      }
    }
    return this.shape;
  }

  private detectTools(wrapper: ChatWrapper | undefined): void {
    if (this.options.tools !== undefined) return;
    this.info.tools = this.options.promptFormat !== "plain" && wrapper !== undefined && supportsTools(wrapper);
  }

  async estimateMemory(): Promise<MemoryEstimate> {
    if (!this.memory) {
      const path = await this.modelPath();
      const [info, llama] = await Promise.all([readModelFile(path), getRuntime(this.options.runtime)]);
      const totalLayers = Number((info.architectureMetadata as { block_count?: number }).block_count ?? 0) + 1;
      this.memory = await estimateModelMemory(info, llama, {
        contextSize: this.options.contextSize,
        sequences: this.options.sequences,
        gpuLayers: this.gpuLayersFor(totalLayers),
      });
    }
    return this.memory;
  }

  async doGenerate(request: GenerateRequest): Promise<GenerateResult> {
    const resident = await this.residentModel();
    const reuse = this.options.reusePrefix !== false;
    const key = reuse ? conversationKey(request.messages) : "";
    const sequence = await resident.pool.acquire(request.signal, reuse ? (candidate) => this.prefixes.score(candidate, key) : undefined);
    const before = sequence.tokenMeter.getState();
    const prefill = measurePrefill(sequence);
    let keepState = false;
    try {
      const { params } = request;
      const warnings: string[] = [];
      // Tools on a chat-format expert; "none" keeps them out of the prompt (the history's calls stay).
      const tools = request.tools?.length && request.toolChoice !== "none" && this.options.promptFormat !== "plain" ? request.tools : undefined;
      const forced = tools ? forcedNames(tools, request.toolChoice) : undefined;
      if (tools && params.jsonSchema) warnings.push(`${this.info.id}: response_format is not applied to a turn that may call tools`);
      const grammar = params.jsonSchema && !tools ? await this.grammarFor(params.jsonSchema) : undefined;
      const options = {
        maxTokens: params.maxTokens,
        ...(params.temperature === undefined ? {} : { temperature: params.temperature }),
        ...(params.topP === undefined ? {} : { topP: params.topP }),
        ...(params.seed === undefined ? {} : { seed: params.seed }),
        ...(params.stop?.length ? { customStopTriggers: params.stop } : {}),
        ...(grammar ? { grammar } : {}),
        ...(request.signal ? { signal: request.signal } : {}),
        onToken: prefill.onToken,
      };
      const plain = this.options.promptFormat === "plain";
      // A plain prompt has no chat wrapper to tell thought from answer: a leading <think> block does.
      const inline = plain && (request.onText || request.onReasoning) ? new ReasoningStream((t) => request.onText?.(t), (t) => request.onReasoning?.(t)) : undefined;
      const streaming = inline ? { onTextChunk: (t: string) => inline.push(t) } : request.onText ? { onTextChunk: request.onText } : {};
      const generated: { text: string; stopReason: string; toolCalls?: ToolCall[]; thought?: string } = plain
        ? await this.complete(sequence, renderPlainPrompt(request.messages), { ...options, ...streaming })
        : forced && tools
          ? { text: "", ...(await forcedCall(await this.forcedContext(resident, sequence), request.messages, tools, forced, { ...options, ...streaming })) }
          : await this.chat(sequence, resident.chatWrapper, request.messages, { ...options, ...streaming }, tools ? autoCallOptions(tools, request.parallelToolCalls) : undefined, request.onReasoning);
      inline?.end();
      const { text, stopReason, toolCalls, thought } = generated;
      const answer = plain ? splitReasoning(text) : { content: text, reasoning: thought };
      const used = sequence.tokenMeter.diff(before);
      const measured = prefill.result();
      if (reuse) {
        // The raw text: what the sequence's state holds after the prompt.
        this.prefixes.remember(sequence, answeredKey(request.messages, text));
        keepState = true;
      }
      // A JSON answer is padded with newlines before the grammar lets it stop: a budget that ends in
      // the padding cut nothing, so the answer is whole ("stop"); one that ends inside it is "length".
      const wholeJson = grammar !== undefined && stopReason === "maxTokens" && jsonAnswerComplete(text);
      const calls = toolCalls?.length ? { toolCalls, finishReason: "tool_calls" as const } : {};
      return {
        text: wholeJson ? answer.content.trimEnd() : answer.content,
        ...(answer.reasoning === undefined ? {} : { reasoning: answer.reasoning }),
        finishReason: wholeJson ? "stop" : finishReasonOf(stopReason),
        ...calls,
        // The whole prompt, reused tokens included (as OpenAI counts prompt_tokens with a cache).
        usage: {
          promptTokens: measured ? measured.promptTokens : used.usedInputTokens,
          completionTokens: used.usedOutputTokens,
          ...(measured ? { cachedPromptTokens: measured.reusedTokens } : {}),
        },
        warnings,
        ...(measured ? { prefill: measured } : {}),
      };
    } catch (error) {
      if (request.signal?.aborted || isAbortError(error)) {
        throw new ConclaveError("ABORTED", `generation on ${this.info.id} was aborted`, { cause: error });
      }
      throw toConclaveError(error, "EXPERT_FAILED");
    } finally {
      // Without reuse, or after a failure (the state may be partial), the next request on this
      // sequence starts from an empty state.
      if (!keepState) {
        this.prefixes.forget(sequence);
        await sequence.clearHistory().catch(() => undefined);
      }
      resident.pool.release(sequence);
    }
  }

  private async chat(
    sequence: LlamaContextSequence,
    chatWrapper: ChatWrapper,
    messages: GenerateRequest["messages"],
    options: GenerationOptions,
    functions?: ReturnType<typeof autoCallOptions>,
    onReasoning?: (text: string) => void,
  ): Promise<{ text: string; stopReason: string; toolCalls?: ToolCall[]; thought?: string }> {
    // The wrapper is resolved once per load: resolving it renders the model's Jinja template several
    // times (measured ~150 ms per request on a tiny model when left to LlamaChat's "auto").
    const chat = new LlamaChat({ contextSequence: sequence, chatWrapper, autoDisposeSequence: false });
    // The wrapper knows a thinking model's thought segments (Qwen3, DeepSeek-R1, GPT-OSS's analysis channel).
    const thoughts = onReasoning
      ? { onResponseChunk: (chunk: LlamaChatResponseChunk) => (chunk.type === "segment" && chunk.segmentType === "thought" && chunk.text !== "" ? onReasoning(chunk.text) : undefined) }
      : {};
    try {
      if (functions) {
        // LlamaChat takes either a grammar or functions; doGenerate gives no grammar with tools.
        const { grammar: _none, ...rest } = options;
        const response = await chat.generateResponse(toChatHistory(messages), { ...rest, ...thoughts, ...functions });
        return { text: response.response, stopReason: response.metadata.stopReason, toolCalls: toToolCalls(response.functionCalls), ...thoughtOf(response.fullResponse) };
      }
      const response = await chat.generateResponse(toChatHistory(messages), { ...options, ...thoughts });
      return { text: response.response, stopReason: response.metadata.stopReason, ...thoughtOf(response.fullResponse) };
    } finally {
      chat.dispose({ disposeSequence: false });
    }
  }

  private async complete(sequence: LlamaContextSequence, prompt: string, options: GenerationOptions): Promise<{ text: string; stopReason: string; toolCalls?: ToolCall[] }> {
    const completion = new LlamaCompletion({ contextSequence: sequence, autoDisposeSequence: false });
    try {
      // The default repeat penalty corrupts short exact answers such as "aab" or "1111".
      const response = await completion.generateCompletionWithMeta(prompt, { ...options, repeatPenalty: false });
      return { text: response.response, stopReason: response.metadata.stopReason };
    } finally {
      completion.dispose({ disposeSequence: false });
    }
  }

  private async forcedContext(resident: Resident, sequence: LlamaContextSequence) {
    const llama = await getRuntime(this.options.runtime);
    return { llama, model: resident.model, sequence, chatWrapper: resident.chatWrapper, grammarFor: (schema: Record<string, unknown>) => this.grammarFor(schema) };
  }

  private grammarFor(schema: Record<string, unknown>): Promise<LlamaGrammar> {
    const key = JSON.stringify(schema);
    let grammar = this.grammars.get(key);
    if (!grammar) {
      // Bounded numbers and JSON-schema semantics on top of node-llama-cpp's grammar (json-grammar.ts).
      grammar = getRuntime(this.options.runtime).then((llama) => createJsonSchemaGrammar(llama, schema));
      grammar.catch(() => this.grammars.delete(key));
      this.grammars.set(key, grammar);
    }
    return grammar.catch((cause) => {
      throw new ConclaveError("INVALID_REQUEST", `unsupported JSON schema: ${(cause as Error).message}`, {
        cause,
        param: "response_format",
      });
    });
  }

  /** The prompt's tokens exactly as doGenerate renders them (chat template or plain), BOS included. */
  async countTokens(messages: ChatMessage[], tools?: ToolDefinition[]): Promise<number> {
    const { model, chatWrapper } = this.resident ?? (await this.vocabularyModel());
    if (this.options.promptFormat === "plain") {
      const bos = model.tokens.bos === null ? 0 : 1;
      return bos + model.tokenize(renderPlainPrompt(messages), false, bos ? "trimLeadingSpace" : undefined).length;
    }
    const functions = tools?.length ? { availableFunctions: toChatModelFunctions(tools), documentFunctionParams: true } : {};
    return chatWrapper.generateContextState({ chatHistory: toChatHistory(messages), ...functions }).contextText.tokenize(model.tokenizer).length;
  }

  private vocabularyModel(): Promise<Pick<Resident, "model" | "chatWrapper">> {
    if (this.closed) return Promise.reject(new ConclaveError("CLOSED", `expert ${this.info.id} is closed`));
    this.vocabulary ??= (async () => {
      const [llama, modelPath] = await Promise.all([getRuntime(this.options.runtime), this.modelPath()]);
      const model = await llama.loadModel({ modelPath, vocabOnly: true, gpuLayers: 0 });
      return { model, chatWrapper: resolveChatWrapper(model) };
    })();
    this.vocabulary.catch(() => (this.vocabulary = undefined));
    return this.vocabulary;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const vocabulary = this.vocabulary;
    this.vocabulary = undefined;
    await vocabulary?.then(({ model }) => model.dispose()).catch(() => undefined);
    await this.unload();
    this.grammars.clear();
  }
}

/**
 * Tokens a generation can use, prompt and completion, without node-llama-cpp cutting anything: a chat
 * keeps one token free (LlamaChat compresses the history otherwise); a raw completion keeps a tenth
 * of the context for context shifts and slices a longer prompt from its front.
 */
export function usableContext(contextSize: number, promptFormat: "chat" | "plain"): number {
  return promptFormat === "plain" ? contextSize - Math.max(1, Math.floor(contextSize / 10)) : contextSize - 1;
}

/** The thought segments of a chat response, joined (absent when the model did not think). */
function thoughtOf(full: LlamaChatResponse["fullResponse"]): { thought?: string } {
  const parts = full.flatMap((part) => (typeof part !== "string" && part.type === "segment" && part.segmentType === "thought" ? [part.text] : []));
  return parts.length === 0 ? {} : { thought: parts.join("") };
}

function finishReasonOf(stopReason: string): FinishReason {
  if (stopReason === "maxTokens") return "length";
  if (stopReason === "abort") return "abort";
  return "stop";
}

/** OpenAI-style messages to node-llama-cpp's chat history, tool calls and their results included (tool-calls.ts). */
export function toChatHistory(messages: ChatMessage[]): ChatHistoryItem[] {
  return toolChatHistory(messages);
}
