/**
 * OpenAPI documentation from the same zod schemas that validate requests, so the docs at /docs can
 * never drift from what the server accepts. Fastify's own validator is switched off on those routes
 * (zod validates, and names the field in an OpenAI-shaped error).
 */
import { z } from "zod";

export function openApiBody(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _draft, ...json } = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
  return json;
}

export const OPENAPI_INFO = {
  title: "conclave",
  description:
    "Several LLMs served as one model. OpenAI-compatible chat completions routed across skill experts; " +
    "the routing trace is in the `conclave` field of responses and in `x-conclave-*` headers.",
  version: "1",
};
