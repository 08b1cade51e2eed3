/**
 * ChatConclave: conclave as a LangChain chat model. Every call goes tag -> recruit -> schedule ->
 * run -> aggregate, and the routing trace comes back in `response_metadata.conclave`.
 *
 * Modes:
 * - in-process: `new ChatConclave({ orchestrator })` wraps an Orchestrator the caller owns (and
 *   closes); `await ChatConclave.fromConfig(configOrPath)` builds one this model owns, which
 *   `close()` closes (idempotent);
 * - remote: `new ChatConclave({ baseUrl: "http://host:8080/v1", apiKey })` calls a running conclave
 *   server with fetch, streaming over server-sent events. `apiKey` defaults to CONCLAVE_API_KEY.
 *
 * `model` is the ensemble's name (the default) or an expert id, which asks that expert alone.
 * Output: an AIMessage with `usage_metadata` and `response_metadata` { conclave: trace, model,
 * finish_reason }; streaming yields the answer's tokens as they are produced, then a last chunk that
 * carries usage and metadata. A call's `signal` rejects it with ABORTED at once and cancels the work.
 *
 * Batching: in-process, a `batch()` of N inputs (and a `generate()` of N message lists) runs as ONE
 * `orchestrator.runBatch`, so the batch is routed first and grouped by expert and each model loads
 * once (see batch-group.ts). Per-input options, callbacks and `returnExceptions` behave as in
 * LangChain; `maxConcurrency` splits the batch into runBatch waves of that size. Batched answers
 * reach `handleLLMNewToken` as one whole piece (runBatch does not stream). Remote, a batch is N
 * concurrent requests, which the server's scheduler groups the same way.
 *
 * LangChain conventions: `stopSequences` is the default `stop` (a call's `stop` overrides it);
 * `maxRetries` (default 2, per call too) retries failures a retry can fix (over capacity, rate limited,
 * unreachable: see retry.ts) before any token has streamed, in remote mode; in-process calls are not
 * retried (the pipeline already drops a failing expert, and a local failure does not pass with time).
 * `timeout` (ms) bounds every call and rejects with ABORTED saying it timed out. `getLsParams`
 * always gives `ls_stop` (empty when there is none), and in-process fills temperature and max
 * tokens from the config when the model sets neither.
 *
 * Tools: `bindTools(tools, { tool_choice, parallel_tool_calls })` takes LangChain tools, zod or JSON
 * schema tool parameters ({ name, description, schema }) and OpenAI tool definitions; only tool-capable
 * experts are recruited (see the pipeline), and a turn that calls tools is one expert's whole turn.
 * `tool_choice`: "auto", "none", "required" (LangChain's "any" too), a tool's name or OpenAI's object.
 * The AIMessage carries `tool_calls` (arguments parsed); streaming ends with `tool_call_chunks`
 * (index, id, name, arguments text) that LangChain joins into the same calls. Structured output uses a JSON schema grammar
 * instead of tool calls, on every expert and on the aggregator's synthesis; a vote picks one of the
 * experts' grammar-bound answers that parse and match the schema (compared as values). The grammar
 * bounds numbers, and strings where the schema sets maxLength; an answer the budget cut ends with
 * finish_reason "length" (and does not parse): give enough maxTokens.
 */
import type { CallbackManagerForLLMRun } from "@langchain/core/callbacks/manager";
import { BaseChatModel, type BaseChatModelCallOptions, type BaseChatModelParams, type BindToolsInput, type LangSmithParams } from "@langchain/core/language_models/chat_models";
import type { BaseLanguageModelInput, StructuredOutputMethodOptions } from "@langchain/core/language_models/base";
import { assembleStructuredOutputPipeline, createContentParser } from "@langchain/core/language_models/structured_output";
import { JsonOutputKeyToolsParser } from "@langchain/core/output_parsers/openai_tools";
import { AIMessage, AIMessageChunk, type BaseMessage, type BaseMessageLike, type UsageMetadata } from "@langchain/core/messages";
import { ChatGenerationChunk, type ChatResult, type LLMResult } from "@langchain/core/outputs";
import type { Runnable, RunnableBatchOptions, RunnableConfig } from "@langchain/core/runnables";
import { getEnvironmentVariable } from "@langchain/core/utils/env";
import { convertToOpenAITool } from "@langchain/core/utils/function_calling";
import { toJsonSchema } from "@langchain/core/utils/json_schema";
import { isSerializableSchema, type SerializableSchema } from "@langchain/core/utils/standard_schema";
import { isInteropZodSchema, type InteropZodType } from "@langchain/core/utils/types";
import { loadConfig, parseConfig } from "../config/load.js";
import type { Config, ConfigInput } from "../config/schema.js";
import type { GenerationParams, ToolCall, ToolChoice, ToolDefinition } from "../../kernel/contracts.js";
import { ConclaveError, toConclaveError } from "../../kernel/errors.js";
import { Orchestrator, type OrchestratorOptions } from "../orchestrator.js";
import { BATCH_SLOT, BatchGroup, type BatchSlot } from "./batch-group.js";
import { toConclaveMessages } from "./messages.js";
import { RemoteTransport } from "./remote.js";
import { deadline, withRetries } from "./retry.js";
import { TokenQueue } from "./token-queue.js";
import { InProcessTransport, ownSignal, type ConclaveCall, type ConclaveReply, type Transport } from "./transport.js";

/** Sampling options, settable on the model and overridable per call. */
export interface ConclaveSampling {
  /** The ensemble's name (default) or an expert id. */
  model?: string;
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  seed?: number;
  stop?: string[];
}

/** Retries a call (remote mode) on failures a retry can fix; LangChain's chat models default to a few. */
const DEFAULT_MAX_RETRIES = 2;

export interface ChatConclaveFields extends BaseChatModelParams, ConclaveSampling {
  /** The default `stop`, under the name LangChain's other chat models use (`stop` wins when both are set). */
  stopSequences?: string[];
  /** Milliseconds a call may take before it is aborted (a call's own `timeout` applies as well). */
  timeout?: number;
  /** In-process mode: an orchestrator the caller owns. */
  orchestrator?: Orchestrator;
  /** Remote mode: the server's OpenAI-compatible base address, e.g. http://localhost:8080/v1. */
  baseUrl?: string;
  apiKey?: string;
}

export interface ChatConclaveCallOptions extends BaseChatModelCallOptions, Omit<ConclaveSampling, "stop"> {
  /** A JSON schema the answer must follow (set by withStructuredOutput). */
  jsonSchema?: Record<string, unknown>;
  /** Tools the answer may call, in OpenAI's shape (set by bindTools). */
  tools?: ToolDefinition[];
  /** false: at most one call per turn. */
  parallel_tool_calls?: boolean;
}

export interface FromConfigOptions extends Omit<ChatConclaveFields, "orchestrator" | "baseUrl" | "apiKey">, Pick<OrchestratorOptions, "notice" | "profile" | "env"> {
  /** Anchors relative paths of a config given as an object; defaults to the working directory. */
  baseDir?: string;
}

type Parsed = ChatConclaveCallOptions & { promptIndex?: number; [BATCH_SLOT]?: BatchSlot };

export class ChatConclave extends BaseChatModel<ChatConclaveCallOptions, AIMessageChunk> {
  static override lc_name(): string {
    return "ChatConclave";
  }

  override lc_namespace = ["conclave", "langchain", "chat_models"];

  override get lc_secrets(): Record<string, string> {
    return { apiKey: "CONCLAVE_API_KEY" };
  }

  /** The live orchestrator is never serialised; only these constructor fields are. */
  override get lc_serializable_keys(): string[] {
    return ["baseUrl", "apiKey", "model", "maxTokens", "temperature", "topP", "seed", "stop", "stopSequences", "maxRetries", "timeout"];
  }

  model: string | undefined;
  maxTokens: number | undefined;
  temperature: number | undefined;
  topP: number | undefined;
  seed: number | undefined;
  stop: string[] | undefined;
  maxRetries: number;
  timeout: number | undefined;
  baseUrl: string | undefined;
  apiKey: string | undefined;

  private readonly transport: Transport;
  private owned = false;
  private closing: Promise<void> | undefined;

  constructor(fields: ChatConclaveFields) {
    super(fields);
    if (Boolean(fields.orchestrator) === Boolean(fields.baseUrl)) {
      throw new ConclaveError("CONFIG_INVALID", "ChatConclave needs exactly one of `orchestrator` (in-process) or `baseUrl` (remote)");
    }
    this.model = fields.model;
    this.maxTokens = fields.maxTokens;
    this.temperature = fields.temperature;
    this.topP = fields.topP;
    this.seed = fields.seed;
    this.stop = fields.stop ?? fields.stopSequences;
    this.maxRetries = fields.maxRetries ?? DEFAULT_MAX_RETRIES;
    this.timeout = fields.timeout;
    this.baseUrl = fields.baseUrl;
    this.apiKey = fields.baseUrl ? (fields.apiKey ?? getEnvironmentVariable("CONCLAVE_API_KEY")) : undefined;
    this.transport = fields.orchestrator ? new InProcessTransport(fields.orchestrator) : new RemoteTransport(fields.baseUrl!, this.apiKey);
    // Only the remote mode can be rebuilt from its fields; an in-process one holds a live engine.
    this.lc_serializable = this.transport.kind === "remote";
  }

  /** Builds an orchestrator from a config file path or object (empty: the embedded demo pool) and owns it. */
  static async fromConfig(configOrPath?: string | ConfigInput | Readonly<Config>, options: FromConfigOptions = {}): Promise<ChatConclave> {
    const { notice, profile, env, baseDir, ...fields } = options;
    const config = typeof configOrPath === "string" ? await loadConfig(configOrPath) : parseConfig(configOrPath ?? {}, baseDir ?? process.cwd());
    const orchestrator = await Orchestrator.create(config, { ...(notice ? { notice } : {}), ...(profile ? { profile } : {}), ...(env ? { env } : {}) });
    const chat = new ChatConclave({ ...fields, orchestrator });
    chat.owned = true;
    return chat;
  }

  /** The default stop sequences (LangChain's name for `stop`). */
  get stopSequences(): string[] | undefined {
    return this.stop;
  }

  /** The in-process orchestrator; undefined in remote mode. */
  get orchestrator(): Orchestrator | undefined {
    return this.transport instanceof InProcessTransport ? this.transport.orchestrator : undefined;
  }

  get mode(): "in-process" | "remote" {
    return this.transport.kind;
  }

  /** Closes the orchestrator this model built (fromConfig); one passed in stays open. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.owned && this.orchestrator ? this.orchestrator.close() : Promise.resolve();
    return this.closing;
  }

  _llmType(): string {
    return "conclave";
  }

  override get callKeys(): string[] {
    return [...super.callKeys, "model", "maxTokens", "temperature", "topP", "seed", "jsonSchema", "maxRetries", "tools", "tool_choice", "parallel_tool_calls"];
  }

  override invocationParams(options?: this["ParsedCallOptions"]): Record<string, unknown> {
    return { model: options?.model ?? this.model, ...this.params(options ?? {}) };
  }

  override getLsParams(options: this["ParsedCallOptions"]): LangSmithParams {
    const params = this.params(options);
    // In-process the config says what an unset temperature or budget becomes; remotely only the server knows.
    const generation = this.orchestrator?.config.generation;
    const temperature = params.temperature ?? generation?.temperature;
    const maxTokens = params.maxTokens ?? generation?.maxTokens;
    return {
      ls_provider: "conclave",
      ls_model_type: "chat",
      ls_model_name: options.model ?? this.model ?? "conclave",
      ...(temperature === undefined ? {} : { ls_temperature: temperature }),
      ...(maxTokens === undefined ? {} : { ls_max_tokens: maxTokens }),
      ls_stop: params.stop ?? [],
    };
  }

  private params(options: Partial<ChatConclaveCallOptions>): GenerationParams {
    const maxTokens = options.maxTokens ?? this.maxTokens;
    const temperature = options.temperature ?? this.temperature;
    const topP = options.topP ?? this.topP;
    const seed = options.seed ?? this.seed;
    const stop = options.stop ?? this.stop;
    return {
      ...(maxTokens === undefined ? {} : { maxTokens }),
      ...(temperature === undefined ? {} : { temperature }),
      ...(topP === undefined ? {} : { topP }),
      ...(seed === undefined ? {} : { seed }),
      ...(stop?.length ? { stop } : {}),
      ...(options.jsonSchema ? { jsonSchema: options.jsonSchema } : {}),
    };
  }

  /** Remote calls retry retryable failures; in-process ones do not (see the header). */
  private retriesFor(options: Partial<ChatConclaveCallOptions>): number {
    return this.transport.kind === "remote" ? Math.max(0, options.maxRetries ?? this.maxRetries) : 0;
  }

  private toCall(messages: BaseMessage[], options: Partial<ChatConclaveCallOptions>): ConclaveCall {
    const tools = options.tools?.length ? options.tools : undefined;
    const toolChoice = tools ? toolChoiceOf(options.tool_choice) : undefined;
    return {
      messages: toConclaveMessages(messages),
      params: this.params(options),
      model: options.model ?? this.model,
      ...(tools ? { tools } : {}),
      ...(toolChoice ? { toolChoice } : {}),
      ...(tools && options.parallel_tool_calls !== undefined ? { parallelToolCalls: options.parallel_tool_calls } : {}),
    };
  }

  override async _generate(messages: BaseMessage[], options: this["ParsedCallOptions"], runManager?: CallbackManagerForLLMRun): Promise<ChatResult> {
    const parsed = options as Parsed;
    const slot = parsed[BATCH_SLOT];
    const index = slot?.index ?? parsed.promptIndex ?? 0;
    let call: ConclaveCall;
    try {
      call = this.toCall(messages, options);
    } catch (error) {
      slot?.group.leave(index);
      throw error;
    }
    const limit = deadline(ownSignal(options.signal), this.timeout);
    const signal = limit.signal;
    const retries = this.retriesFor(options);
    let reply: ConclaveReply;
    try {
      if (slot && this.transport instanceof InProcessTransport) {
        reply = this.transport.reply(call, await slot.group.submit(index, call, signal));
        if (reply.text !== "") await runManager?.handleLLMNewToken(reply.text);
      } else if (runManager) {
        // Someone is listening: stream, so handleLLMNewToken sees each token as it comes.
        let streamed = false;
        const onText = (text: string) => {
          if (text === "") return;
          streamed = true;
          void runManager.handleLLMNewToken(text);
        };
        reply = await withRetries(retries, signal, () => this.transport.stream(call, onText, signal), () => !streamed);
      } else {
        reply = await withRetries(retries, signal, () => this.transport.complete(call, signal));
      }
    } catch (error) {
      throw limit.explain(error);
    }
    const message = new AIMessage({
      content: reply.text,
      usage_metadata: usageOf(reply),
      response_metadata: metadataOf(reply),
      additional_kwargs: extraOf(reply),
      ...(reply.toolCalls?.length ? { tool_calls: reply.toolCalls.map(langChainToolCall) } : {}),
    });
    return {
      generations: [{ text: reply.text, message, generationInfo: { finish_reason: reply.finishReason } }],
      llmOutput: { tokenUsage: { promptTokens: reply.usage.promptTokens, completionTokens: reply.usage.completionTokens, totalTokens: usageOf(reply).total_tokens } },
    };
  }

  override async *_streamResponseChunks(messages: BaseMessage[], options: this["ParsedCallOptions"], runManager?: CallbackManagerForLLMRun): AsyncGenerator<ChatGenerationChunk> {
    const parsed = options as Parsed;
    // A streamed call never joins a batch run: it goes on its own, so its group must not wait for it.
    parsed[BATCH_SLOT]?.group.leave(parsed[BATCH_SLOT].index ?? parsed.promptIndex ?? 0);
    const call = this.toCall(messages, options);
    // Cancels the work when the consumer stops iterating early, not only on the caller's signal.
    const stop = new AbortController();
    const limit = deadline(options.signal, this.timeout);
    const signal = limit.signal ? AbortSignal.any([limit.signal, stop.signal]) : stop.signal;
    const queue = new TokenQueue(signal);
    let finished = false;
    let pushed = false;
    // Empty pieces (a token that decodes to nothing yet) would only be empty chunks.
    const push = (text: string) => {
      if (text === "") return;
      pushed = true;
      queue.push(text);
    };
    const work = withRetries(this.retriesFor(options), signal, () => this.transport.stream(call, push, signal), () => !pushed);
    work.then(
      () => queue.end(),
      (error: unknown) => queue.fail(toConclaveError(error)),
    );
    let streamed = "";
    try {
      for await (const text of queue) {
        streamed += text;
        const chunk = new ChatGenerationChunk({ text, message: new AIMessageChunk({ content: text }) });
        yield chunk;
        await runManager?.handleLLMNewToken(text, undefined, undefined, undefined, undefined, { chunk });
      }
      const reply = await work;
      finished = true;
      // The answer is what was streamed; should the pipeline end on other text (an aggregator that
      // fell back to a vote), what it added after the streamed prefix still arrives.
      const rest = reply.text.startsWith(streamed) ? reply.text.slice(streamed.length) : "";
      // A turn's calls are known whole only when the turn is chosen: they come as chunks LangChain joins by index.
      yield new ChatGenerationChunk({
        text: rest,
        message: new AIMessageChunk({
          content: rest,
          usage_metadata: usageOf(reply),
          response_metadata: metadataOf(reply),
          ...(reply.reasoning === undefined ? {} : { additional_kwargs: { reasoning_content: reply.reasoning } }),
          ...(reply.toolCalls?.length
            ? { tool_call_chunks: reply.toolCalls.map((call, index) => ({ type: "tool_call_chunk" as const, index, id: call.id, name: call.function.name, args: call.function.arguments })) }
            : {}),
        }),
        generationInfo: { finish_reason: reply.finishReason },
      });
      if (rest !== "") await runManager?.handleLLMNewToken(rest);
    } catch (error) {
      throw limit.explain(error);
    } finally {
      if (!finished) stop.abort();
    }
  }

  /** A generate() of several message lists in-process runs as one runBatch (see the header). */
  override async _generateUncached(
    messages: BaseMessageLike[][],
    parsedOptions: this["ParsedCallOptions"],
    handledOptions: RunnableConfig,
    startedRunManagers?: CallbackManagerForLLMRun[],
  ): Promise<LLMResult> {
    if (this.transport instanceof InProcessTransport && messages.length > 1 && !(parsedOptions as Parsed)[BATCH_SLOT]) {
      const slot: BatchSlot = { group: new BatchGroup(this.transport, messages.length) };
      parsedOptions = { ...parsedOptions, [BATCH_SLOT]: slot } as this["ParsedCallOptions"];
    }
    return super._generateUncached(messages, parsedOptions, handledOptions, startedRunManagers);
  }

  override batch(inputs: BaseLanguageModelInput[], options?: Partial<ChatConclaveCallOptions> | Partial<ChatConclaveCallOptions>[], batchOptions?: RunnableBatchOptions & { returnExceptions?: false }): Promise<AIMessageChunk[]>;
  override batch(inputs: BaseLanguageModelInput[], options?: Partial<ChatConclaveCallOptions> | Partial<ChatConclaveCallOptions>[], batchOptions?: RunnableBatchOptions & { returnExceptions: true }): Promise<(AIMessageChunk | Error)[]>;
  override batch(inputs: BaseLanguageModelInput[], options?: Partial<ChatConclaveCallOptions> | Partial<ChatConclaveCallOptions>[], batchOptions?: RunnableBatchOptions): Promise<(AIMessageChunk | Error)[]>;
  override async batch(
    inputs: BaseLanguageModelInput[],
    options?: Partial<ChatConclaveCallOptions> | Partial<ChatConclaveCallOptions>[],
    batchOptions?: RunnableBatchOptions,
  ): Promise<(AIMessageChunk | Error)[]> {
    const transport = this.transport;
    if (!(transport instanceof InProcessTransport) || inputs.length < 2) return super.batch(inputs, options, batchOptions);
    const configs = this._getOptionsList(options ?? {}, inputs.length);
    const wave = Math.max(1, configs[0]?.maxConcurrency ?? batchOptions?.maxConcurrency ?? inputs.length);
    const outputs: (AIMessageChunk | Error)[] = [];
    for (let start = 0; start < inputs.length; start += wave) {
      const size = Math.min(wave, inputs.length - start);
      const group = new BatchGroup(transport, size);
      const results = await Promise.all(
        Array.from({ length: size }, async (_, index) => {
          const slot: BatchSlot = { group, index };
          try {
            return await this.invoke(inputs[start + index]!, { ...configs[start + index], [BATCH_SLOT]: slot } as Partial<ChatConclaveCallOptions>);
          } catch (error) {
            if (batchOptions?.returnExceptions) return error as Error;
            throw error;
          } finally {
            // An invocation that never reached _generate must not hold the others back.
            group.leave(index);
          }
        }),
      );
      outputs.push(...results);
    }
    return outputs;
  }

  /** Tools as LangChain tools, { name, description, schema } (zod or JSON schema) or OpenAI definitions. */
  override bindTools(tools: BindToolsInput[], kwargs?: Partial<ChatConclaveCallOptions>): Runnable<BaseLanguageModelInput, AIMessageChunk, ChatConclaveCallOptions> {
    const definitions = tools.map((tool): ToolDefinition => {
      const converted = convertToOpenAITool(tool as Parameters<typeof convertToOpenAITool>[0]);
      const { $schema: _draft, ...parameters } = (converted.function.parameters ?? { type: "object", properties: {} }) as Record<string, unknown>;
      return {
        type: "function",
        function: { name: converted.function.name, ...(converted.function.description ? { description: converted.function.description } : {}), parameters },
      };
    });
    return this.withConfig({ ...kwargs, tools: definitions });
  }

  override withStructuredOutput<RunOutput extends Record<string, any> = Record<string, any>>(
    outputSchema: InteropZodType<RunOutput> | SerializableSchema<RunOutput> | Record<string, any>,
    config?: StructuredOutputMethodOptions<false>,
  ): Runnable<BaseLanguageModelInput, RunOutput>;
  override withStructuredOutput<RunOutput extends Record<string, any> = Record<string, any>>(
    outputSchema: InteropZodType<RunOutput> | SerializableSchema<RunOutput> | Record<string, any>,
    config?: StructuredOutputMethodOptions<true>,
  ): Runnable<BaseLanguageModelInput, { raw: BaseMessage; parsed: RunOutput }>;
  /**
   * By default (any `method` but "functionCalling") the schema goes to the experts as `jsonSchema` (a
   * grammar on local experts, response_format json_schema remotely) and the answer's text is parsed:
   * validated when the schema is zod (or another standard schema), parsed as JSON otherwise.
   * `method: "functionCalling"`: the schema becomes a tool (named `name`, else "extract") the answer
   * is forced to call, and the call's arguments are the output (only tool-capable experts answer).
   * `includeRaw` gives { raw, parsed }, with parsed null when the output does not parse.
   */
  override withStructuredOutput<RunOutput extends Record<string, any> = Record<string, any>>(
    outputSchema: InteropZodType<RunOutput> | SerializableSchema<RunOutput> | Record<string, any>,
    config?: StructuredOutputMethodOptions<boolean>,
  ): Runnable<BaseLanguageModelInput, RunOutput> | Runnable<BaseLanguageModelInput, { raw: BaseMessage; parsed: RunOutput }> {
    const converted = isInteropZodSchema(outputSchema) || isSerializableSchema(outputSchema) ? toJsonSchema(outputSchema) : outputSchema;
    // "$schema" names a draft; grammars and servers have no use for it.
    const { $schema: _draft, ...jsonSchema } = converted as Record<string, unknown>;
    const includeRaw = config?.includeRaw ?? false;
    if (config?.method === "functionCalling") {
      const name = config.name ?? "extract";
      const description = typeof jsonSchema.description === "string" ? jsonSchema.description : undefined;
      const bound = this.bindTools([{ type: "function", function: { name, ...(description ? { description } : {}), parameters: jsonSchema } }], { tool_choice: name });
      const toolParser = new JsonOutputKeyToolsParser<RunOutput>({ keyName: name, returnSingle: true, ...(isInteropZodSchema(outputSchema) ? { zodSchema: outputSchema } : {}) });
      return assembleStructuredOutputPipeline(bound, toolParser, includeRaw, includeRaw ? "StructuredOutputRunnable" : "StructuredOutput");
    }
    const llm = this.withConfig({ jsonSchema });
    const parser = createContentParser<RunOutput>(outputSchema);
    return assembleStructuredOutputPipeline(llm, parser, includeRaw, includeRaw ? "StructuredOutputRunnable" : "StructuredOutput");
  }
}

/** LangChain's tool_choice: "any" is OpenAI's "required"; a bare tool name names the function. */
function toolChoiceOf(choice: ChatConclaveCallOptions["tool_choice"]): ToolChoice | undefined {
  if (choice === undefined || choice === null) return undefined;
  if (choice === "any") return "required";
  if (choice === "auto" || choice === "none" || choice === "required") return choice;
  if (typeof choice === "string") return { type: "function", function: { name: choice } };
  const name = (choice as { function?: { name?: unknown } }).function?.name;
  if (typeof name === "string") return { type: "function", function: { name } };
  throw new ConclaveError("INVALID_REQUEST", `tool_choice: ${JSON.stringify(choice)} names no function`, { param: "tool_choice" });
}

function langChainToolCall(call: ToolCall) {
  let args: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(call.function.arguments === "" ? "{}" : call.function.arguments);
    args = typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : { value: parsed };
  } catch {
    args = {};
  }
  return { type: "tool_call" as const, id: call.id, name: call.function.name, args };
}

function usageOf(reply: ConclaveReply): UsageMetadata {
  const { promptTokens, completionTokens } = reply.usage;
  return { input_tokens: promptTokens, output_tokens: completionTokens, total_tokens: promptTokens + completionTokens };
}

/** The message's additional_kwargs: OpenAI-shaped tool calls, and the thinking where LangChain's DeepSeek model puts it. */
function extraOf(reply: ConclaveReply): Record<string, unknown> {
  return {
    ...(reply.toolCalls?.length ? { tool_calls: reply.toolCalls } : {}),
    ...(reply.reasoning === undefined ? {} : { reasoning_content: reply.reasoning }),
  };
}

function metadataOf(reply: ConclaveReply): Record<string, unknown> {
  return { conclave: reply.trace, model: reply.model, finish_reason: reply.finishReason };
}
