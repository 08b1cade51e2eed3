/**
 * A real server over a real orchestrator on the generated demo pool (in a temp models dir), built
 * without listening; `listen()` gives it a real port when a test needs a socket.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseConfig } from "../../../orchestrator/config/load.js";
import { Orchestrator } from "../../../orchestrator/orchestrator.js";
import { buildServer, type ConclaveServer } from "../../../orchestrator/http/server.js";
import { BatchService } from "../../../orchestrator/batches/service.js";
import { EmbeddedExecutor } from "../../../queues/embedded-executor.js";

export interface TestServer {
  server: ConclaveServer;
  orchestrator: Orchestrator;
  batches: BatchService;
  dir: string;
  listen(): Promise<string>;
  close(): Promise<void>;
}

export async function startTestServer(server: Record<string, unknown> = {}, apiKeys: string[] = [], extra: Record<string, unknown> = {}): Promise<TestServer> {
  const dir = await mkdtemp(join(tmpdir(), "conclave-http-"));
  const config = parseConfig(
    {
      runtime: { gpu: false, maxThreads: 2 },
      models: { dir: join(dir, "models"), embedded: "synthetic" },
      generation: { maxTokens: 4 },
      aggregation: { maxTokens: 4 },
      server,
      ...extra,
    },
    dir,
  );
  const orchestrator = await Orchestrator.create(config);
  const batches = new BatchService(orchestrator, new EmbeddedExecutor(orchestrator, join(dir, "batch-work")));
  await batches.start();
  const built = await buildServer(orchestrator, { apiKeys, batches });
  return {
    server: built,
    orchestrator,
    batches,
    dir,
    listen: () => built.app.listen({ port: 0, host: "127.0.0.1" }),
    async close() {
      await built.close();
      await batches.close();
      await orchestrator.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export const ask = (content: string, extra: Record<string, unknown> = {}) => ({ messages: [{ role: "user", content }], ...extra });
