/**
 * Shared pieces of the BullMQ model tests: an orchestrator on the generated demo pool (models in a
 * given folder, so several orchestrators and worker processes reuse the same files), routed batch
 * items, an executor wired like the server wires it, and polling helpers.
 */
import { join } from "node:path";
import { parseConfig } from "../../../orchestrator/config/load.js";
import type { Config } from "../../../orchestrator/config/schema.js";
import type { Instance } from "../../../kernel/contracts.js";
import { Orchestrator } from "../../../orchestrator/orchestrator.js";
import type { RoutedItem } from "../../../queues/batch-executor.js";
import { BullmqExecutor } from "../../../queues/bullmq/executor.js";

export { QUEUE_TEST_TIMEOUT_MS, waitFor } from "../../helpers/wait.js";

export const QUESTIONS = [
  "What is 347 plus 589?",
  "Write a SQL query joining orders and customers.",
  "Is a verbal contract legally binding?",
  "How does photosynthesis work?",
  "Write a short poem about the sea.",
  "Solve for x: 3x + 7 = 22.",
  "Write a Python function that reverses a list.",
  "What caused the fall of the Roman Empire?",
  "Balance the chemical equation H2 + O2 -> H2O.",
  "Translate good morning into French.",
];

/** The config the tests (and the worker child process) build orchestrators from. */
export function testConfigInput(dir: string, queue: Record<string, unknown> = {}, maxTokens = 4): Record<string, unknown> {
  return {
    runtime: { gpu: false, maxThreads: 2 },
    models: { dir: join(dir, "models"), embedded: "synthetic" },
    generation: { maxTokens },
    aggregation: { maxTokens: 4 },
    batches: { dir: join(dir, "batches"), queue },
  };
}

export function createOrchestrator(dir: string, queue: Record<string, unknown> = {}, maxTokens = 4): Promise<Orchestrator> {
  return Orchestrator.create(parseConfig(testConfigInput(dir, queue, maxTokens), dir));
}

export function instance(i: number, params: Instance["params"] = { temperature: 0 }): Instance {
  return { id: `q${i}`, messages: [{ role: "user", content: QUESTIONS[i % QUESTIONS.length]! }], params };
}

/** Items routed by the orchestrator itself (k = 3 by default), custom ids `q0`, `q1`, ... */
export async function routedItems(orchestrator: Orchestrator, instances: readonly Instance[]): Promise<RoutedItem[]> {
  return Promise.all(
    instances.map(async (inst) => ({ customId: inst.id, instance: inst, routed: await orchestrator.route(inst.messages), warnings: [] })),
  );
}

export function executorFor(orchestrator: Orchestrator, redisUrl: string, prefix: string, queue: Partial<Config["batches"]["queue"]> = {}): BullmqExecutor {
  return new BullmqExecutor({
    redisUrl,
    settings: { ...orchestrator.config.batches.queue, ...queue, prefix },
    aggregationQueueExpert: orchestrator.aggregationNeedsModel ? orchestrator.aggregator : undefined,
  });
}

/** Loads per expert from an orchestrator's scheduler counters. */
export function loadsOf(orchestrator: Orchestrator): Record<string, number> {
  return Object.fromEntries(Object.entries(orchestrator.stats().experts).map(([id, e]) => [id, e.loads]));
}

/** Generations handed to the scheduler so far (served, failed, running or waiting). */
export function generationsStarted(orchestrator: Orchestrator): number {
  return Object.values(orchestrator.stats().experts).reduce((sum, e) => sum + e.served + e.failed + e.inFlight + e.backlog, 0);
}

let counter = 0;
export const uniquePrefix = (name: string): string => `t${process.pid}-${name}-${++counter}`;
