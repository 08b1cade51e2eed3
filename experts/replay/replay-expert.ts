/**
 * A replay expert answers from recordings (recordings.ts) instead of a model: the prompt is the
 * request's last user message (what RouterBench and most logs record), normalised and hashed, and the
 * answer is the text recorded for this expert's `model` under that hash, with its recorded cost and
 * token usage (0/0 when none was recorded). No model is needed: it is always "loaded", 0 bytes, and
 * the recordings are read once per set of files however many experts share them.
 *
 * Sampling parameters cannot change a recorded answer: they are ignored silently except `jsonSchema`
 * and `stop`, which become warnings. Failures: a prompt with no recording for this model ->
 * REPLAY_UNKNOWN_PROMPT naming the expert and the prompt's hash; unreadable recordings ->
 * REPLAY_RECORDINGS_INVALID; after close() -> CLOSED; an aborted request -> ABORTED.
 */
import type { ChatMessage } from "../../kernel/contracts.js";
import { ConclaveError } from "../../kernel/errors.js";
import { EXPERT_SPEC_VERSION, type ExpertBackend, type ExpertInfo, type GenerateRequest, type GenerateResult, type MemoryEstimate, type ModelShape } from "../spec.js";
import { loadRecordings, promptHash, type Recordings } from "./recordings.js";

export interface ReplayExpertOptions {
  id: string;
  /** Recordings files (JSONL); later files win when a prompt is recorded twice. */
  recordings: readonly string[];
  /** The recorded model this expert replays; default: the expert's id. */
  model?: string;
  /** Answers served at once; replay is instant, so this only bounds the scheduler's batching. */
  concurrency?: number;
  description?: string;
}

/** The prompt a replay expert looks up: the last user message, else the last message. */
export function replayPrompt(messages: readonly ChatMessage[]): string {
  for (let i = messages.length - 1; i >= 0; i--) if (messages[i]!.role === "user") return messages[i]!.content;
  return messages.at(-1)?.content ?? "";
}

export class ReplayExpert implements ExpertBackend {
  readonly specVersion = EXPERT_SPEC_VERSION;
  readonly info: ExpertInfo;
  readonly model: string;
  private recordings: Promise<Recordings> | undefined;
  private closed = false;

  constructor(private readonly options: ReplayExpertOptions) {
    if (options.recordings.length === 0) throw new ConclaveError("CONFIG_INVALID", `experts.${options.id}.recordings: give at least one recordings file`);
    this.model = options.model ?? options.id;
    this.info = {
      id: options.id,
      kind: "replay",
      placement: "remote",
      slots: options.concurrency ?? 64,
      ...(options.description === undefined ? {} : { description: options.description }),
    };
  }

  private load(): Promise<Recordings> {
    this.recordings ??= loadRecordings(this.options.recordings);
    return this.recordings;
  }

  isLoaded(): boolean {
    return !this.closed;
  }

  async ensureLoaded(): Promise<void> {
    this.assertOpen();
    await this.load();
  }

  async unload(): Promise<void> {}

  async estimateMemory(): Promise<MemoryEstimate> {
    return { ramBytes: 0, vramBytes: 0 };
  }

  /** Reads the recordings, so a missing file makes the expert unavailable at start-up with the reason. */
  async describe(): Promise<ModelShape> {
    const recordings = await this.load();
    if (!recordings.models().includes(this.model)) {
      throw new ConclaveError("REPLAY_RECORDINGS_INVALID", `${this.info.id}: the recordings hold no answer of model "${this.model}" (they have: ${recordings.models().join(", ")})`);
    }
    return { architecture: "replay" };
  }

  /** Mean recorded cost per call, in US dollars: what routing expects this expert to cost. */
  async expectedCost(): Promise<number | undefined> {
    return (await this.load()).meanCost(this.model);
  }

  async doGenerate(request: GenerateRequest): Promise<GenerateResult> {
    this.assertOpen();
    if (request.signal?.aborted) throw new ConclaveError("ABORTED", "the request was aborted");
    const recordings = await this.load();
    const hash = promptHash(replayPrompt(request.messages));
    const recorded = recordings.answer(hash, this.model);
    if (!recorded) {
      throw new ConclaveError("REPLAY_UNKNOWN_PROMPT", `replay expert ${this.info.id} (model ${this.model}) has no recording of the prompt with hash ${hash}`);
    }
    const warnings: string[] = [];
    if (request.params.jsonSchema) warnings.push("json_schema cannot be enforced on a recorded answer");
    if (request.params.stop?.length) warnings.push("stop sequences are not applied to a recorded answer");
    request.onText?.(recorded.text);
    return {
      text: recorded.text,
      finishReason: "stop",
      usage: recorded.usage ?? { promptTokens: 0, completionTokens: 0 },
      warnings,
      ...(recorded.cost === undefined ? {} : { cost: recorded.cost }),
    };
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private assertOpen(): void {
    if (this.closed) throw new ConclaveError("CLOSED", `replay expert ${this.info.id} is closed`);
  }
}
