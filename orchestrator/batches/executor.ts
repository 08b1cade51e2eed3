/**
 * Picks the batch executor: BullMQ when REDIS_URL is set (work runs on `conclave worker`
 * processes, on this machine or many), the embedded in-process queue otherwise.
 */
import { join } from "node:path";
import type { BatchExecutor } from "../../queues/batch-executor.js";
import { EmbeddedExecutor } from "../../queues/embedded-executor.js";
import type { Orchestrator } from "../orchestrator.js";

export async function createExecutor(orchestrator: Orchestrator, env: Record<string, string | undefined>): Promise<BatchExecutor> {
  const redisUrl = env["REDIS_URL"];
  if (!redisUrl) return new EmbeddedExecutor(orchestrator, join(orchestrator.config.batches.dir, "batches"));
  // Loaded only when used: the embedded default never touches Redis code.
  const { BullmqExecutor } = await import("../../queues/bullmq/executor.js");
  return new BullmqExecutor({
    redisUrl,
    settings: orchestrator.config.batches.queue,
    aggregationQueueExpert: orchestrator.aggregationNeedsModel ? orchestrator.aggregator : undefined,
  });
}
