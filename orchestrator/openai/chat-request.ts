/**
 * The OpenAI chat completions request, parsed once for every door (HTTP, batch lines, LangChain's
 * remote mode). Input: the JSON body. Output: an instance for the pipeline, the model asked for,
 * the streaming options, and warnings for parameters that were accepted but cannot be honoured.
 * Failures: INVALID_REQUEST naming the field (`messages.0.role: ...`), UNSUPPORTED_PARAMETER for
 * parameters whose absence would change the answer's meaning (n > 1, tools, logprobs).
 * Unknown fields are accepted, as OpenAI-compatible servers do.
 */
import { z } from "zod";
import type { ChatMessage, GenerationParams, Instance } from "../../kernel/contracts.js";
import { ConclaveError } from "../../kernel/errors.js";

const contentPart = z.looseObject({ type: z.string(), text: z.string().optional() });
const message = z.looseObject({
  role: z.enum(["system", "developer", "user", "assistant", "tool"]),
  content: z.union([z.string(), z.array(contentPart), z.null()]).optional(),
  name: z.string().optional(),
});

const responseFormat = z.discriminatedUnion("type", [
  z.looseObject({ type: z.literal("text") }),
  z.looseObject({ type: z.literal("json_object") }),
  z.looseObject({
    type: z.literal("json_schema"),
    json_schema: z.looseObject({ name: z.string().optional(), schema: z.record(z.string(), z.unknown()), strict: z.boolean().nullish() }),
  }),
]);

export const chatRequestSchema = z.looseObject({
  model: z.string().min(1).optional(),
  messages: z.array(message).min(1),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullish(),
  max_tokens: z.number().int().min(1).nullish(),
  max_completion_tokens: z.number().int().min(1).nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().gt(0).max(1).nullish(),
  seed: z.number().int().nullish(),
  stop: z.union([z.string(), z.array(z.string()).max(4)]).nullish(),
  response_format: responseFormat.nullish(),
  n: z.number().int().min(1).nullish(),
  logprobs: z.boolean().nullish(),
  tools: z.array(z.unknown()).nullish(),
  functions: z.array(z.unknown()).nullish(),
  user: z.string().optional(),
  metadata: z.record(z.string(), z.string()).nullish(),
});

/** Accepted, but nothing in a local generation can honour them: reported back, never silently dropped. */
const IGNORED = ["presence_penalty", "frequency_penalty", "logit_bias", "top_logprobs", "service_tier", "parallel_tool_calls", "reasoning_effort", "modalities", "prediction", "store"];

export interface ChatRequest {
  /** The model named by the request; undefined means the default ensemble. */
  model: string | undefined;
  instance: Instance;
  stream: boolean;
  includeUsage: boolean;
  warnings: string[];
  user?: string;
  metadata?: Record<string, string>;
}

function field(path: ReadonlyArray<PropertyKey>): string {
  return path.map(String).join(".");
}

function textOf(content: z.infer<typeof message>["content"]): string {
  if (typeof content === "string") return content;
  if (!content) return "";
  return content.map((part) => part.text ?? "").join("");
}

export function parseChatRequest(body: unknown, id: string): ChatRequest {
  const parsed = chatRequestSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const param = field(issue.path) || undefined;
    throw new ConclaveError("INVALID_REQUEST", `${param ?? "body"}: ${issue.message}`, param ? { param } : {});
  }
  const request = parsed.data;
  if ((request.n ?? 1) > 1) throw new ConclaveError("UNSUPPORTED_PARAMETER", "n: only one choice per request is supported", { param: "n" });
  if (request.logprobs) throw new ConclaveError("UNSUPPORTED_PARAMETER", "logprobs: not supported", { param: "logprobs" });
  for (const key of ["tools", "functions"] as const) {
    if (request[key]?.length) {
      throw new ConclaveError("UNSUPPORTED_PARAMETER", `${key}: tool calling is not supported by conclave's experts`, { param: key });
    }
  }
  const warnings = IGNORED.filter((key) => (request as Record<string, unknown>)[key] != null).map(
    (key) => `${key} is not supported and was ignored`,
  );

  const messages: ChatMessage[] = request.messages.map((m) => ({
    // "developer" is the newer name of "system" in OpenAI's API.
    role: m.role === "developer" ? "system" : m.role,
    content: textOf(m.content),
    ...(m.name ? { name: m.name } : {}),
  }));
  const params: GenerationParams = {};
  const maxTokens = request.max_completion_tokens ?? request.max_tokens;
  if (maxTokens != null) params.maxTokens = maxTokens;
  if (request.temperature != null) params.temperature = request.temperature;
  if (request.top_p != null) params.topP = request.top_p;
  if (request.seed != null) params.seed = request.seed;
  if (request.stop != null) params.stop = typeof request.stop === "string" ? [request.stop] : request.stop;
  const format = request.response_format;
  if (format?.type === "json_schema") params.jsonSchema = format.json_schema.schema;
  if (format?.type === "json_object") params.jsonSchema = { type: "object" };

  return {
    model: request.model,
    instance: { id, messages, params },
    stream: request.stream ?? false,
    includeUsage: request.stream_options?.include_usage ?? false,
    warnings,
    ...(request.user ? { user: request.user } : {}),
    ...(request.metadata ? { metadata: request.metadata } : {}),
  };
}
