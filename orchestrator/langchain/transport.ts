/**
 * What ChatConclave needs from a conclave, whichever side of a socket it is on: answer one call,
 * whole or token by token. Two implementations: `InProcessTransport` (an Orchestrator in this
 * process) and `RemoteTransport` (a conclave server over HTTP, in remote.ts).
 *
 * Contract: `stream` calls `onText` with each piece of the final answer as it is produced and
 * resolves with the same reply `complete` would give; both reject with a ConclaveError (ABORTED as
 * soon as the signal fires, even when the work underneath takes a moment to stop).
 */
import { randomUUID } from "node:crypto";
import type { ChatMessage, FinishReason, GenerationParams, Instance, RoutingTrace, TokenUsage, ToolCall, ToolChoice, ToolDefinition } from "../../kernel/contracts.js";
import { ConclaveError, toConclaveError } from "../../kernel/errors.js";
import type { Orchestrator } from "../orchestrator.js";

export interface ConclaveCall {
  messages: ChatMessage[];
  params: GenerationParams;
  /** An expert id or the ensemble's name; undefined means the ensemble. */
  model: string | undefined;
  /** Bound tools (bindTools), in OpenAI's shape. */
  tools?: ToolDefinition[];
  toolChoice?: ToolChoice;
  parallelToolCalls?: boolean;
}

export interface ConclaveReply {
  text: string;
  finishReason: FinishReason;
  usage: TokenUsage;
  /** How the answer was routed; undefined only when a remote server sent none. */
  trace: RoutingTrace | undefined;
  /** The model that answered: the ensemble's name or an expert id. */
  model: string;
  /** The turn's tool calls, when finishReason is "tool_calls". */
  toolCalls?: ToolCall[];
  /** The thinking behind the answer, when its expert thinks (the server's `reasoning_content`). */
  reasoning?: string;
}

export interface Transport {
  readonly kind: "in-process" | "remote";
  complete(call: ConclaveCall, signal?: AbortSignal): Promise<ConclaveReply>;
  stream(call: ConclaveCall, onText: (text: string) => void, signal?: AbortSignal): Promise<ConclaveReply>;
}

export class InProcessTransport implements Transport {
  readonly kind = "in-process";

  constructor(readonly orchestrator: Orchestrator) {}

  get ensemble(): string {
    return this.orchestrator.config.server.ensemble;
  }

  /** The orchestrator's view of a call: an instance, and the expert named when it is not the ensemble. */
  line(call: ConclaveCall): { instance: Instance; expertId?: string } {
    const instance: Instance = {
      id: `lc-${randomUUID()}`,
      messages: call.messages,
      params: call.params,
      ...(call.tools?.length ? { tools: call.tools } : {}),
      ...(call.tools?.length && call.toolChoice !== undefined ? { toolChoice: call.toolChoice } : {}),
      ...(call.tools?.length && call.parallelToolCalls !== undefined ? { parallelToolCalls: call.parallelToolCalls } : {}),
    };
    return call.model === undefined || call.model === this.ensemble ? { instance } : { instance, expertId: call.model };
  }

  reply(call: ConclaveCall, outcome: { text: string; reasoning?: string; finishReason: FinishReason; usage: TokenUsage; trace: RoutingTrace; toolCalls?: ToolCall[] }): ConclaveReply {
    return {
      text: outcome.text,
      ...(outcome.reasoning === undefined ? {} : { reasoning: outcome.reasoning }),
      finishReason: outcome.finishReason,
      usage: outcome.usage,
      trace: outcome.trace,
      model: call.model ?? this.ensemble,
      ...(outcome.toolCalls?.length ? { toolCalls: outcome.toolCalls } : {}),
    };
  }

  complete(call: ConclaveCall, signal?: AbortSignal): Promise<ConclaveReply> {
    return this.run(call, undefined, signal);
  }

  stream(call: ConclaveCall, onText: (text: string) => void, signal?: AbortSignal): Promise<ConclaveReply> {
    return this.run(call, onText, signal);
  }

  private async run(call: ConclaveCall, onText: ((text: string) => void) | undefined, signal: AbortSignal | undefined): Promise<ConclaveReply> {
    const { instance, expertId } = this.line(call);
    const work = this.orchestrator.answer(instance, {
      ...(signal ? { signal } : {}),
      ...(onText ? { onText } : {}),
      ...(expertId ? { expertId } : {}),
    });
    return this.reply(call, await raceAbort(work, signal));
  }
}

/** Rejects with ABORTED the moment the signal fires; the work itself is cancelled by the same signal. */
export function raceAbort<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  const guarded = work.catch((error: unknown) => {
    throw toConclaveError(error);
  });
  if (!signal) return guarded;
  if (signal.aborted) {
    guarded.catch(() => undefined);
    return Promise.reject(abortedError());
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortedError());
    signal.addEventListener("abort", onAbort, { once: true });
    guarded.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

export function abortedError(): ConclaveError {
  return new ConclaveError("ABORTED", "the request was aborted");
}

/**
 * A signal that follows the caller's. The pipeline hangs several listeners on the signal it gets (one
 * per recruit and stage); a graph that shares one signal among many calls would collect dozens and
 * trip Node's leak warning, while a dependent signal adds none to the caller's.
 */
export function ownSignal(signal: AbortSignal | undefined): AbortSignal | undefined {
  return signal ? AbortSignal.any([signal]) : undefined;
}
