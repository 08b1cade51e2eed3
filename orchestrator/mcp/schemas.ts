/**
 * The MCP tools' input and output schemas (zod, turned into JSON Schema by the SDK for `tools/list`).
 *
 * Inputs: every rule carries an `INVALID_REQUEST:` message, so a client that breaks one gets a tool
 * error naming conclave's code and the field. Outputs: snake_case shapes; the types the handlers
 * build are inferred from them, so what `tools/list` promises is what `tools/call` returns.
 */
import { z } from "zod";

const invalid = (message: string) => ({ error: `INVALID_REQUEST: ${message}` });

export const askInput = {
  question: z
    .string(invalid("question must be a string"))
    .min(1, invalid("question must not be empty"))
    .describe("The full, self-contained question or task. The experts see nothing else of the conversation."),
  expert: z
    .string(invalid("expert must be a string"))
    .min(1, invalid("expert must not be empty"))
    .optional()
    .describe("Ask only this expert (an id from list_experts) and skip routing. Omit to let conclave route."),
  max_tokens: z
    .number(invalid("max_tokens must be a number"))
    .int(invalid("max_tokens must be a whole number"))
    .min(1, invalid("max_tokens must be at least 1"))
    .optional()
    .describe("Upper bound on tokens per expert answer. Omit for the server's default."),
  system: z.string(invalid("system must be a string")).optional().describe("An optional system message given to every expert."),
};

export const routeInput = {
  question: askInput.question.describe("The question to route; nothing is generated."),
};

const skill = z.object({
  skill: z.string(),
  score: z.number().describe("0..1: how sure the tagger is that the question needs this skill"),
  keyword: z.string().optional().describe("the word in the question that triggered the skill"),
});

const recruit = z.object({
  id: z.string(),
  weight: z.number().describe("normalised among the recruits (sums to 1)"),
  reason: z.string(),
});

export const routeOutput = {
  skills: z.array(skill),
  strategy: z.string(),
  fallback: z.string().optional(),
  experts: z.array(recruit),
  times_ms: z.object({ tag: z.number(), recruit: z.number() }),
};

export const askOutput = {
  model: z.string().describe("the ensemble name, or the expert asked directly"),
  skills: z.array(skill),
  strategy: z.string(),
  fallback: z.string().optional(),
  experts: z.array(recruit.extend({ answered: z.boolean(), ms: z.number().optional() })),
  failures: z.array(z.object({ id: z.string(), code: z.string(), message: z.string() })),
  aggregation: z.object({ method: z.string(), aggregator: z.string().optional(), reason: z.string() }),
  finish_reason: z.string(),
  usage: z.object({ prompt_tokens: z.number(), completion_tokens: z.number() }),
  warnings: z.array(z.string()),
  times_ms: z.object({ tag: z.number(), recruit: z.number(), experts: z.number(), aggregate: z.number(), total: z.number() }),
  synthetic: z.boolean().describe("true when served by the generated demo pool: the answer is noise"),
};

const expertRow = z.object({
  id: z.string(),
  backend: z.enum(["llama", "remote", "replay"]),
  description: z.string().optional(),
  available: z.boolean(),
  unavailable: z.object({ code: z.string(), message: z.string() }).optional(),
  aggregator: z.boolean().describe("true for the expert that combines the others' answers"),
  resident: z.boolean().describe("loaded in memory right now"),
  slots: z.number(),
  shape: z
    .object({
      architecture: z.string(),
      moe: z.boolean().describe("a sparse Mixture-of-Experts model"),
      expert_count: z.number().optional(),
      expert_used_count: z.number().optional(),
      parameters: z.number().optional(),
      active_parameters: z.number().optional(),
      context_length: z.number().optional(),
    })
    .optional(),
  memory: z.object({ ram_bytes: z.number(), vram_bytes: z.number() }).optional(),
});

export const listExpertsOutput = {
  ensemble: z.string().describe("the name that means 'route me' (ask without expert)"),
  aggregator: z.string().optional(),
  synthetic: z.boolean(),
  experts: z.array(expertRow),
};

type Shape<T extends z.ZodRawShape> = z.infer<z.ZodObject<T>>;
export type AskSummary = Shape<typeof askOutput>;
export type RouteSummary = Shape<typeof routeOutput>;
export type ExpertList = Shape<typeof listExpertsOutput>;
