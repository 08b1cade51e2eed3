/**
 * The OpenAI chat completions request, parsed once for every door (HTTP, batch lines, LangChain's
 * remote mode). Input: the JSON body. Output: an instance for the pipeline, the model asked for,
 * the streaming options, and warnings for parameters that were accepted but cannot be honoured.
 * Failures: INVALID_REQUEST naming the field in OpenAI's form (`messages[0].content[0].type: ...`),
 * UNSUPPORTED_PARAMETER for parameters whose absence would change the answer's meaning (n > 1, the
 * legacy `functions`, logprobs, image/audio/file content). Tools: `tools` (function tools),
 * `tool_choice` (auto, none, required, a named function), `parallel_tool_calls`, assistant
 * `tool_calls` and `tool` messages with `tool_call_id` become the instance's tool fields. Unknown fields are accepted, as OpenAI-compatible servers do;
 * unknown content part types are not (their text would be dropped silently).
 * Limits that depend on the experts (max_tokens, the prompt's length) are checked after routing,
 * in the pipeline (`orchestrator/context-fit.ts`).
 */
import { z } from "zod";
import type { ChatMessage, GenerationParams, Instance, ToolChoice, ToolDefinition } from "../../kernel/contracts.js";
import { ConclaveError } from "../../kernel/errors.js";

/** Content parts OpenAI defines that carry no text: known, so refused as unsupported rather than unknown. */
const MEDIA_PARTS = ["image_url", "input_audio", "file"] as const;
const contentPart = z.discriminatedUnion("type", [
  z.looseObject({ type: z.literal("text"), text: z.string() }),
  z.looseObject({ type: z.literal("refusal"), refusal: z.string() }),
  z.looseObject({ type: z.enum(MEDIA_PARTS) }),
]);
const toolCall = z.looseObject({
  id: z.string().min(1),
  type: z.literal("function"),
  function: z.looseObject({ name: z.string().min(1), arguments: z.string() }),
});
const message = z.looseObject({
  role: z.enum(["system", "developer", "user", "assistant", "tool"]),
  content: z.union([z.string(), z.array(contentPart), z.null()]).optional(),
  name: z.string().optional(),
  tool_calls: z.array(toolCall).nullish(),
  tool_call_id: z.string().optional(),
});
const toolDefinition = z.looseObject({
  type: z.literal("function"),
  function: z.looseObject({
    // OpenAI's own rule for function names.
    name: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, "must be 1-64 letters, digits, underscores or dashes"),
    description: z.string().optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
    strict: z.boolean().nullish(),
  }),
});
const toolChoice = z.union([
  z.enum(["auto", "none", "required"]),
  z.looseObject({ type: z.literal("function"), function: z.looseObject({ name: z.string().min(1) }) }),
]);

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
  tools: z.array(toolDefinition).nullish(),
  tool_choice: toolChoice.nullish(),
  parallel_tool_calls: z.boolean().nullish(),
  functions: z.array(z.unknown()).nullish(),
  user: z.string().optional(),
  metadata: z.record(z.string(), z.string()).nullish(),
  /** conclave's own options. truncate "oldest": drop the oldest turns until the chat fits (said in the trace). */
  conclave: z.looseObject({ truncate: z.enum(["none", "oldest"]).optional() }).nullish(),
});

/** Accepted, but nothing in a local generation can honour them: reported back, never silently dropped. */
const IGNORED = ["presence_penalty", "frequency_penalty", "logit_bias", "top_logprobs", "service_tier", "reasoning_effort", "modalities", "prediction", "store"];

export interface ChatRequest {
  /** The model named by the request; undefined means the default ensemble. */
  model: string | undefined;
  instance: Instance;
  stream: boolean;
  includeUsage: boolean;
  /** The field that set the completion budget, for errors that name it. */
  maxTokensField: "max_tokens" | "max_completion_tokens";
  warnings: string[];
  user?: string;
  metadata?: Record<string, string>;
}

/** A field path in OpenAI's form, as its own errors name params: `messages[0].content[0].type`. */
export function field(path: ReadonlyArray<PropertyKey>): string {
  return path.reduce<string>((out, key) => (typeof key === "number" ? `${out}[${key}]` : out ? `${out}.${String(key)}` : String(key)), "");
}

type Issue = z.core.$ZodIssue;

/**
 * The issue to report. A union (content: string | parts | null) hides why its branches failed; when
 * one branch got further into the value than the others (a bad part inside the array), that
 * branch's issue is the one that names the field.
 */
function deepestIssue(issue: Issue): Issue {
  if (issue.code !== "invalid_union" || issue.errors.length === 0) return issue;
  let best: Issue | undefined;
  for (const branch of issue.errors) {
    const first = branch[0];
    if (first && first.path.length > 0 && (!best || first.path.length > best.path.length)) best = first;
  }
  if (!best) return issue;
  return deepestIssue({ ...best, path: [...issue.path, ...best.path] } as Issue);
}

function valueAt(body: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  return path.reduce<unknown>((value, key) => (value !== null && typeof value === "object" ? (value as Record<PropertyKey, unknown>)[key] : undefined), body);
}

function textOf(content: z.infer<typeof message>["content"]): string {
  if (typeof content === "string") return content;
  if (!content) return "";
  return content.map((part) => ("text" in part ? part.text : "refusal" in part ? part.refusal : "")).join("");
}

function refuseMedia(messages: z.infer<typeof message>[]): void {
  messages.forEach((m, i) => {
    if (!Array.isArray(m.content)) return;
    m.content.forEach((part, j) => {
      if ((MEDIA_PARTS as readonly string[]).includes(part.type)) {
        const param = field(["messages", i, "content", j, "type"]);
        throw new ConclaveError("UNSUPPORTED_PARAMETER", `${param}: ${part.type} content is not supported by conclave's experts (text only)`, { param });
      }
    });
  });
}

/** The instance's tool fields; a tool_choice without tools, or naming a function not among them, is refused as OpenAI does. */
function toolsOf(request: z.infer<typeof chatRequestSchema>): Pick<Instance, "tools" | "toolChoice" | "parallelToolCalls"> {
  const tools: ToolDefinition[] = (request.tools ?? []).map(({ function: fn }) => ({
    type: "function",
    function: {
      name: fn.name,
      ...(fn.description === undefined ? {} : { description: fn.description }),
      ...(fn.parameters === undefined ? {} : { parameters: fn.parameters }),
      ...(fn.strict == null ? {} : { strict: fn.strict }),
    },
  }));
  const choice = request.tool_choice ?? undefined;
  if (tools.length === 0) {
    if (choice !== undefined) throw new ConclaveError("INVALID_REQUEST", "tool_choice: only allowed when tools are given", { param: "tool_choice" });
    return {};
  }
  const names = new Set<string>();
  tools.forEach(({ function: fn }, i) => {
    if (names.has(fn.name)) throw new ConclaveError("INVALID_REQUEST", `tools[${i}].function.name: ${fn.name} is given twice`, { param: `tools[${i}].function.name` });
    names.add(fn.name);
  });
  let toolChoice: ToolChoice | undefined;
  if (typeof choice === "string") toolChoice = choice;
  else if (choice) {
    if (!names.has(choice.function.name)) {
      throw new ConclaveError("INVALID_REQUEST", `tool_choice.function.name: ${choice.function.name} is not among the tools`, { param: "tool_choice.function.name" });
    }
    toolChoice = { type: "function", function: { name: choice.function.name } };
  }
  return {
    tools,
    ...(toolChoice === undefined ? {} : { toolChoice }),
    ...(request.parallel_tool_calls == null ? {} : { parallelToolCalls: request.parallel_tool_calls }),
  };
}

export function parseChatRequest(body: unknown, id: string): ChatRequest {
  const parsed = chatRequestSchema.safeParse(body);
  if (!parsed.success) {
    const issue = deepestIssue(parsed.error.issues[0]!);
    const param = field(issue.path) || undefined;
    // A discriminated union with no matching `type` lists the types it knows.
    const known = issue.code === "invalid_union" && "options" in issue ? issue.options : undefined;
    const message = known ? `unknown type ${JSON.stringify(valueAt(body, issue.path))}; expected one of ${known.map((o) => JSON.stringify(o)).join(", ")}` : issue.message;
    throw new ConclaveError("INVALID_REQUEST", `${param ?? "body"}: ${message}`, param ? { param } : {});
  }
  const request = parsed.data;
  if ((request.n ?? 1) > 1) throw new ConclaveError("UNSUPPORTED_PARAMETER", "n: only one choice per request is supported", { param: "n" });
  if (request.logprobs) throw new ConclaveError("UNSUPPORTED_PARAMETER", "logprobs: not supported", { param: "logprobs" });
  if (request.functions?.length) {
    throw new ConclaveError("UNSUPPORTED_PARAMETER", "functions: the legacy functions parameter is not supported; use tools", { param: "functions" });
  }
  const tools = toolsOf(request);
  refuseMedia(request.messages);
  const warnings = IGNORED.filter((key) => (request as Record<string, unknown>)[key] != null).map(
    (key) => `${key} is not supported and was ignored`,
  );

  const messages: ChatMessage[] = request.messages.map((m, i) => {
    if (m.role === "tool" && !m.tool_call_id) {
      const param = field(["messages", i, "tool_call_id"]);
      throw new ConclaveError("INVALID_REQUEST", `${param}: a tool message needs the id of the call it answers`, { param });
    }
    const calls = m.role === "assistant" && m.tool_calls?.length ? m.tool_calls : undefined;
    return {
      // "developer" is the newer name of "system" in OpenAI's API.
      role: m.role === "developer" ? "system" : m.role,
      content: textOf(m.content),
      ...(m.name ? { name: m.name } : {}),
      ...(calls ? { toolCalls: calls.map((c) => ({ id: c.id, type: "function" as const, function: { name: c.function.name, arguments: c.function.arguments } })) } : {}),
      ...(m.role === "tool" ? { toolCallId: m.tool_call_id! } : {}),
    };
  });
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
    instance: { id, messages, params, ...(request.conclave?.truncate === "oldest" ? { truncate: "oldest" as const } : {}), ...tools },
    stream: request.stream ?? false,
    includeUsage: request.stream_options?.include_usage ?? false,
    maxTokensField: request.max_completion_tokens != null ? "max_completion_tokens" : "max_tokens",
    warnings,
    ...(request.user ? { user: request.user } : {}),
    ...(request.metadata ? { metadata: request.metadata } : {}),
  };
}
