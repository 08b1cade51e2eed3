/**
 * Read-only routes: the models list (the ensemble and every expert, with MoE shape and residency),
 * a routing dry run, health, readiness and Prometheus metrics.
 */
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { ConclaveError } from "../../../kernel/errors.js";
import type { ExpertStatus } from "../../orchestrator.js";
import { chatRequestSchema, parseChatRequest } from "../../openai/chat-request.js";
import type { ServerContext } from "../context.js";
import { openApiBody } from "../openapi.js";

const routeRequestSchema = z.looseObject({ model: z.string().optional(), messages: chatRequestSchema.shape.messages });

export function infoRoutes(app: FastifyInstance, context: ServerContext): void {
  const { orchestrator, settings } = context;
  const created = Math.floor(Date.now() / 1000);

  const expertEntry = (status: ExpertStatus) => {
    const stats = orchestrator.stats().experts[status.id];
    return {
      id: status.id,
      object: "model" as const,
      created,
      owned_by: "conclave",
      conclave: {
        kind: "expert",
        backend: status.kind,
        description: status.description ?? null,
        shape: status.shape ?? null,
        memory: status.memory ?? null,
        slots: status.slots,
        tools: status.tools ?? false,
        resident: stats?.resident ?? false,
        in_flight: stats?.inFlight ?? 0,
        backlog: stats?.backlog ?? 0,
        aggregator: status.id === orchestrator.aggregator,
        available: !status.unavailable,
        unavailable: status.unavailable ?? null,
      },
    };
  };
  const ensembleEntry = () => ({
    id: settings.ensemble,
    object: "model" as const,
    created,
    owned_by: "conclave",
    conclave: {
      kind: "ensemble",
      strategy: orchestrator.config.routing.strategy,
      k: orchestrator.config.routing.k,
      aggregation: orchestrator.config.aggregation.method,
      aggregator: orchestrator.aggregator ?? null,
      experts: [...orchestrator.statuses.values()].filter((s) => !s.unavailable).map((s) => s.id),
      synthetic: orchestrator.synthetic,
    },
  });

  app.get("/v1/models", { schema: { summary: "The ensemble and its experts", tags: ["models"] } }, async () => ({
    object: "list",
    data: [ensembleEntry(), ...[...orchestrator.statuses.values()].map(expertEntry)],
  }));

  app.get<{ Params: { model: string } }>("/v1/models/:model", { schema: { summary: "One model", tags: ["models"] } }, async (request) => {
    const { model } = request.params;
    if (model === settings.ensemble) return ensembleEntry();
    const status = orchestrator.statuses.get(model);
    if (!status) throw new ConclaveError("MODEL_NOT_FOUND", `no expert or ensemble named "${model}"`, { param: "model" });
    return expertEntry(status);
  });

  app.post(
    "/v1/route",
    {
      schema: { summary: "Dry run: the skills a request needs and the experts it would recruit, without generating", tags: ["chat"], body: openApiBody(routeRequestSchema) },
      validatorCompiler: () => () => true,
    },
    async (request) => {
      // The same parser as chat completions: same field errors, same message conversion.
      const parsed = parseChatRequest(request.body, "route");
      const model = parsed.model ?? settings.ensemble;
      const routed = await orchestrator.route(parsed.instance.messages, model === settings.ensemble ? undefined : model);
      return { object: "conclave.route", model, skills: routed.skills, recruitment: routed.recruitment, times: { tagMs: routed.tagMs, recruitMs: routed.recruitMs } };
    },
  );

  app.get("/healthz", { schema: { summary: "Liveness", tags: ["operations"] } }, async () => ({ status: "ok" }));

  app.get("/readyz", { schema: { summary: "Readiness: not shutting down and at least one expert can serve", tags: ["operations"] } }, async (_request, reply) => {
    // Fleet mode: the workers generate, so what counts is what live workers serve, not this process.
    const available = context.fleetAvailable ? await context.fleetAvailable() : [...orchestrator.statuses.values()].filter((s) => !s.unavailable).length;
    if (context.isClosing()) return reply.code(503).send({ status: "shutting_down", available_experts: available ?? 0 });
    if (available === undefined) return reply.code(503).send({ status: "fleet_unreachable", available_experts: 0 });
    if (available === 0) return reply.code(503).send({ status: "no_expert_available", available_experts: 0 });
    return { status: "ready", available_experts: available };
  });

  app.get("/metrics", { schema: { summary: "Prometheus metrics", tags: ["operations"] } }, async (_request, reply) => {
    reply.header("content-type", context.metrics.registry.contentType);
    return context.metrics.registry.metrics();
  });
}
