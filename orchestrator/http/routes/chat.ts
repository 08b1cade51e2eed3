/**
 * POST /v1/chat/completions. `model` is the ensemble (routed) or an expert id (routing bypassed).
 * Routing and the context check run first, so the trace headers go out before any token and a
 * request that cannot fit gets its 4xx before a stream starts, streaming or not. A client
 * that disconnects cancels its generation: the sequences it held are freed at once.
 */
import type { FastifyInstance } from "fastify";
import { ConclaveError, isConclaveError, toConclaveError, toOpenAIErrorBody } from "../../../kernel/errors.js";
import { chatRequestSchema, parseChatRequest } from "../../openai/chat-request.js";
import { chatChunk, chatCompletionBody, completionId, openAIFinishReason, toolCallDeltas, usageChunk, withWarnings } from "../../openai/chat-response.js";
import type { ServerContext } from "../context.js";
import { SseStream } from "../sse.js";
import { outcomeHeaders, routeHeaders } from "../trace-headers.js";
import { openApiBody } from "../openapi.js";

export function chatRoutes(app: FastifyInstance, context: ServerContext): void {
  const { orchestrator, settings, inFlight, metrics } = context;

  app.post(
    "/v1/chat/completions",
    {
      schema: { summary: "Chat completion, routed across the expert ensemble", tags: ["chat"], body: openApiBody(chatRequestSchema) },
      validatorCompiler: () => () => true,
    },
    async (request, reply) => {
      const id = completionId();
      const chat = parseChatRequest(request.body, id);
      const model = chat.model ?? settings.ensemble;
      const expertId = model === settings.ensemble ? undefined : model;
      // Admission (a Redis round trip in fleet mode) runs beside routing; generation waits for it.
      const admission = context.admit();
      admission.catch(() => undefined);
      const work = inFlight.start();
      // "close" on the response before it ended means the client went away.
      reply.raw.on("close", () => {
        if (!reply.raw.writableFinished) work.abort("client disconnected");
      });
      try {
        // With tools, only experts that can call them are recruited.
        const routed = await orchestrator.route(chat.instance.messages, expertId, { tools: (chat.instance.tools?.length ?? 0) > 0 });
        context.routed(routed);
        const fit = await orchestrator.fitContext(chat.instance, routed).catch((error: unknown) => {
          throw chat.maxTokensField === "max_completion_tokens" ? renameParam(error, "max_tokens", "max_completion_tokens") : error;
        });
        const headers = routeHeaders(routed, chat.warnings);
        await admission;
        if (!chat.stream) {
          const outcome = await orchestrator.answer(chat.instance, { routed, fit, signal: work.signal, workClass: "online" });
          metrics.countTokens(outcome.usage);
          reply.headers({ ...headers, ...outcomeHeaders(outcome) });
          return chatCompletionBody(outcome, model, { id, warnings: chat.warnings });
        }

        reply.hijack();
        context.markStreamed(request);
        const started = performance.now();
        const stream = new SseStream(reply.raw);
        stream.open(200, headers);
        const chunkContext = { id, created: Math.floor(Date.now() / 1000), model };
        stream.send(chatChunk(chunkContext, { role: "assistant", content: "" }));
        let status = 200;
        try {
          const outcome = await orchestrator.answer(chat.instance, {
            routed,
            fit,
            signal: work.signal,
            workClass: "online",
            onText: (text) => stream.send(chatChunk(chunkContext, { content: text })),
            onReasoning: (text) => stream.send(chatChunk(chunkContext, { reasoning_content: text })),
          });
          metrics.countTokens(outcome.usage);
          // A turn's calls are known whole only once the turn is chosen (never a mix of experts'), then streamed as OpenAI does.
          for (const delta of toolCallDeltas(outcome.toolCalls ?? [])) stream.send(chatChunk(chunkContext, { tool_calls: [delta] }));
          stream.send(chatChunk(chunkContext, {}, openAIFinishReason(outcome.finishReason), { conclave: withWarnings(outcome.trace, chat.warnings) }));
          if (chat.includeUsage) stream.send(usageChunk(chunkContext, outcome.usage));
        } catch (error) {
          const failure = toConclaveError(error, "INTERNAL_ERROR");
          status = failure.status;
          // Mid-stream errors travel as an event in OpenAI's error shape; the HTTP status is already sent.
          stream.send(toOpenAIErrorBody(failure));
        }
        stream.done();
        metrics.observe("/v1/chat/completions", "POST", status, (performance.now() - started) / 1000);
        return reply;
      } catch (error) {
        if (isConclaveError(error) && error.code === "ABORTED" && reply.raw.destroyed) {
          throw new ConclaveError("ABORTED", "the client disconnected");
        }
        throw error;
      } finally {
        work.done();
        void admission.then((release) => release(), () => undefined);
      }
    },
  );
}

/** The same error naming the field the request used (max_completion_tokens is max_tokens' newer name). */
function renameParam(error: unknown, from: string, to: string): unknown {
  if (!isConclaveError(error) || error.param !== from) return error;
  return new ConclaveError(error.code, error.message.replaceAll(from, to), { param: to, cause: error });
}
