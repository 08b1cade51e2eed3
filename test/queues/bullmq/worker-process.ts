/**
 * A conclave worker as its own process, for the crash and multi-worker tests:
 *   node --import tsx worker-process.ts <config.json> <redisUrl>
 * Builds the orchestrator from the config file, runs `runWorker`, prints "ready" once draining can
 * start, and on SIGTERM closes gracefully and prints its stats and per-expert loads as one JSON line.
 */
import { loadConfig } from "../../../orchestrator/config/load.js";
import { Orchestrator } from "../../../orchestrator/orchestrator.js";
import { disposeRuntime } from "../../../experts/llama/runtime.js";
import { runWorker } from "../../../queues/bullmq/worker.js";

const [configPath, redisUrl] = process.argv.slice(2);
if (!configPath || !redisUrl) {
  process.stderr.write("usage: worker-process.ts <config.json> <redisUrl>\n");
  process.exit(2);
}
const orchestrator = await Orchestrator.create(await loadConfig(configPath));
const worker = await runWorker(orchestrator, { redisUrl, pollMs: 100, onError: (error) => process.stderr.write(`worker error: ${error.message}\n`) });
process.stdout.write("ready\n");
process.once("SIGTERM", () => {
  void (async () => {
    await worker.close();
    const loads = Object.fromEntries(Object.entries(orchestrator.stats().experts).map(([id, e]) => [id, e.loads]));
    process.stdout.write(`${JSON.stringify({ stats: worker.stats(), loads })}\n`);
    await orchestrator.close();
    await disposeRuntime();
    process.exit(0);
  })();
});
