/**
 * OpenAI's Files and Batch API: upload a JSONL file (multipart, purpose=batch), create a batch from
 * it, follow it, cancel it, and download its output and error files. Every route acts for the
 * request's principal: another key's files and batches answer 404 as missing ids do.
 */
import type { FastifyInstance } from "fastify";
import multipart from "@fastify/multipart";
import { ConclaveError } from "../../../kernel/errors.js";
import type { BatchService } from "../../batches/service.js";

export async function batchRoutes(app: FastifyInstance, batches: BatchService, maxFileBytes: number): Promise<void> {
  await app.register(multipart, { limits: { fileSize: maxFileBytes, files: 1 } });

  app.post("/v1/files", { schema: { summary: "Upload a batch input file (multipart: purpose=batch, file=<jsonl>)", tags: ["batches"] } }, async (request) => {
    if (!request.isMultipart()) throw new ConclaveError("INVALID_REQUEST", "body: send multipart/form-data with purpose and file", { param: "file" });
    let purpose: string | undefined;
    let upload: { filename: string; content: Buffer } | undefined;
    for await (const part of request.parts()) {
      if (part.type === "field" && part.fieldname === "purpose") purpose = String(part.value);
      else if (part.type === "file" && part.fieldname === "file") {
        const content = await part.toBuffer();
        if (part.file.truncated) throw new ConclaveError("BODY_TOO_LARGE", `file: larger than batches.maxFileBytes (${maxFileBytes} bytes)`);
        upload = { filename: part.filename, content };
      } else if (part.type === "file") await part.toBuffer();
    }
    if (purpose !== "batch") throw new ConclaveError("INVALID_REQUEST", `purpose: must be "batch", got ${JSON.stringify(purpose ?? null)}`, { param: "purpose" });
    if (!upload) throw new ConclaveError("INVALID_REQUEST", "file: missing", { param: "file" });
    return batches.uploadFile(upload.filename, upload.content, request.principal);
  });

  app.get<{ Params: { id: string } }>("/v1/files/:id", { schema: { summary: "A file's metadata", tags: ["batches"] } }, async (request) => batches.file(request.params.id, request.principal));

  app.get<{ Params: { id: string } }>("/v1/files/:id/content", { schema: { summary: "A file's content", tags: ["batches"] } }, async (request, reply) => {
    const content = await batches.fileContent(request.params.id, request.principal);
    reply.header("content-type", "application/jsonl");
    return reply.send(content);
  });

  app.post("/v1/batches", { schema: { summary: "Create a batch from an uploaded file", tags: ["batches"] } }, async (request) => batches.create(request.body, request.principal));

  app.get<{ Querystring: { after?: string; limit?: string } }>("/v1/batches", { schema: { summary: "Batches, newest first", tags: ["batches"] } }, async (request) => {
    const limit = request.query.limit === undefined ? 20 : Number(request.query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw new ConclaveError("INVALID_REQUEST", "limit: must be an integer from 1 to 100", { param: "limit" });
    return batches.list(request.query.after, limit, request.principal);
  });

  app.get<{ Params: { id: string } }>("/v1/batches/:id", { schema: { summary: "One batch", tags: ["batches"] } }, async (request) => batches.get(request.params.id, request.principal));

  app.post<{ Params: { id: string } }>("/v1/batches/:id/cancel", { schema: { summary: "Cancel a batch: nothing new starts, finished lines are kept", tags: ["batches"] } }, async (request) =>
    batches.cancel(request.params.id, request.principal),
  );
}
