/**
 * `conclave worker`: drains the Redis (BullMQ) batch queues with this process's models until
 * SIGINT/SIGTERM, then closes gracefully (running generations are handed back to the queue for
 * other workers) and prints what it drained. Needs REDIS_URL; without it fails with CONFIG_INVALID.
 */
import type { Orchestrator } from "../orchestrator.js";
import { ConclaveError } from "../../kernel/errors.js";
import { runWorker, type WorkerStats } from "../../queues/bullmq/worker.js";
import { fleetWorkerOptions } from "./fleet.js";

export interface WorkerCommandOptions {
  env: Record<string, string | undefined>;
  print: (text: string) => void;
  /** Resolves with the signal's name when the worker should stop. */
  stopped: Promise<string>;
  /** The id it publishes (claims, registry); default host:pid:random. */
  workerId?: string;
}

/** The URL with any password masked, for printing. */
function safeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "<unparsable REDIS_URL>";
  }
}

export async function workerCommand(orchestrator: Orchestrator, options: WorkerCommandOptions): Promise<WorkerStats> {
  const redisUrl = options.env["REDIS_URL"];
  if (!redisUrl) {
    throw new ConclaveError("CONFIG_INVALID", "conclave worker needs REDIS_URL (for example redis://localhost:6379) to reach the batch queues", {
      param: "REDIS_URL",
    });
  }
  const prefix = orchestrator.config.batches.queue.prefix;
  const experts = [...orchestrator.statuses.values()].filter((s) => !s.unavailable).map((s) => s.id);
  const fleet = fleetWorkerOptions(orchestrator);
  const handle = await runWorker(orchestrator, {
    redisUrl,
    ...(options.workerId ? { workerId: options.workerId } : {}),
    ...(fleet ? { fleet } : {}),
    onError: quietRepeats((text) => options.print(text), REPEAT_WINDOW_MS, (error: Error) => `warning: ${error.message}`),
  });
  options.print(
    `conclave worker ${handle.id} on ${safeUrl(redisUrl)}: draining ${prefix}-expert-* and ${prefix}-aggregate with ${experts.join(", ")}` +
      (fleet ? " (fleet: online jobs first, placement from the residency registry)" : ""),
  );
  const signal = await options.stopped;
  options.print(`${signal}: stopping (running generations go back to the queue)`);
  await handle.close();
  const stats = handle.stats();
  const generated = Object.entries(stats.processed).filter(([key]) => key !== "aggregate");
  options.print(
    `drained ${generated.length ? generated.map(([id, n]) => `${id}×${n}`).join(", ") : "no generations"}; ` +
      `aggregated ${stats.processed["aggregate"] ?? 0} instance(s); ${stats.switches} model switch(es)`,
  );
  return stats;
}

/** A warning already printed is not printed again within this window (a Redis outage repeats it per connection, per retry). */
const REPEAT_WINDOW_MS = 60_000;

/** Prints what `format` makes of each error, except a text printed less than `windowMs` ago. */
export function quietRepeats<E>(print: (text: string) => void, windowMs: number, format: (error: E) => string, now: () => number = Date.now): (error: E) => void {
  const printed = new Map<string, number>();
  return (error) => {
    const text = format(error);
    const at = now();
    const last = printed.get(text);
    if (last !== undefined && at - last < windowMs) return;
    if (printed.size >= 100) for (const [key, time] of printed) if (at - time >= windowMs) printed.delete(key);
    printed.set(text, at);
    print(text);
  };
}
