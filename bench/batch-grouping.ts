/**
 * Batch grouping benchmark: the same batch run twice in one process on the same generated models,
 *   grouped       - every instance routed first, work grouped by expert, each model loaded once;
 *   per-instance  - one instance at a time, its models loaded and unloaded around it (the naive
 *                   baseline of the Symbolic-MoE paper).
 * Prints wall time, loads and peak RSS side by side. Models: 4 sparse-MoE experts + 1 aggregator,
 * Q8_0, sized by --size (default 300MB each) so loading costs what it costs for real files.
 *
 *   npm run bench -- batch-grouping [--size 300MB] [--instances 30] [--max-tokens 16] [--no-mmap]
 */
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { resourceUsage } from "node:process";
import { parseConfig } from "../orchestrator/config/load.js";
import { parseByteSize } from "../orchestrator/config/schema.js";
import { Orchestrator } from "../orchestrator/orchestrator.js";
import { parseBatchLine, type BatchLine } from "../orchestrator/batch/lines.js";
import { disposeRuntime } from "../experts/llama/runtime.js";
import { writeTestModelSet } from "../experts/testmodels/generate.js";
import { DEMO_AGGREGATOR, DEMO_EXPERTS, demoProfile } from "../orchestrator/demo/demo-pool.js";
import { DEFAULT_CATALOG } from "../skills/default-catalog.js";
import { arg } from "./args.js";

export async function benchBatchGrouping(): Promise<void> {
  const size = parseByteSize(arg("size", "300MB"))!;
  const instances = Number(arg("instances", "30"));
  const maxTokens = Number(arg("max-tokens", "16"));
  const useMmap = !process.argv.includes("--no-mmap");
  const dir = join(".cache", "bench-models", `${Math.round(size / 1e6)}MB`);
  await mkdir(dir, { recursive: true });

  const writeStarted = performance.now();
  const specs = Object.fromEntries(DEMO_EXPERTS.map((e) => [e.id, { ...e.spec, quant: "Q8_0" as const, targetBytes: size }]));
  const models = await writeTestModelSet(dir, specs);
  console.log(`models: ${Object.keys(models).length} x ~${(size / 1e6).toFixed(0)} MB Q8_0 (ready in ${((performance.now() - writeStarted) / 1000).toFixed(1)} s)`);

  const lines = (await readFile("examples/demo-batch.jsonl", "utf8")).split("\n").filter((l) => l.trim());
  const batch: BatchLine[] = Array.from({ length: instances }, (_, i) => parseBatchLine(lines[i % lines.length]!, i + 1)!);
  batch.forEach((line, i) => {
    line.instance.id = `b${i}`;
    line.instance.params = { ...line.instance.params, maxTokens, temperature: 0, seed: i };
  });
  const config = parseConfig(
    {
      runtime: { gpu: false },
      experts: DEMO_EXPERTS.map((e) => ({ id: e.id, backend: "llama", model: models[e.id]!.path, contextSize: 1024, sequences: 4, threads: 1, useMmap })),
      aggregation: { aggregator: DEMO_AGGREGATOR },
      generation: { maxTokens },
    },
    process.cwd(),
  );
  const profile = demoProfile(DEFAULT_CATALOG.skills.map((s) => s.id));

  const rows: Array<{ mode: string; wallS: number; loads: number; perModel: string; ok: number }> = [];
  for (const perInstanceLoading of [false, true]) {
    const orchestrator = await Orchestrator.create(config, { profile });
    const started = performance.now();
    const results = await orchestrator.runBatch(batch.map((line) => ({ instance: line.instance })), { perInstanceLoading });
    const wallS = (performance.now() - started) / 1000;
    const stats = orchestrator.stats();
    rows.push({
      mode: perInstanceLoading ? "per-instance (baseline)" : "grouped by expert",
      wallS,
      loads: stats.loads,
      perModel: Object.entries(stats.experts).map(([id, e]) => `${id.replace("demo-", "")}:${e.loads}`).join(" "),
      ok: results.filter((r) => "outcome" in r).length,
    });
    await orchestrator.close();
  }
  await disposeRuntime();

  console.log(`\n${instances} instances, k=3 + aggregator, ${maxTokens} tokens per answer, mmap ${useMmap ? "on" : "off"}, CPU`);
  console.log("mode                       wall s   loads  per model                                   ok");
  for (const row of rows) {
    console.log(`${row.mode.padEnd(26)} ${row.wallS.toFixed(2).padStart(7)}  ${String(row.loads).padStart(5)}  ${row.perModel.padEnd(42)}  ${row.ok}/${instances}`);
  }
  console.log(`speed-up of grouping: ${(rows[1]!.wallS / rows[0]!.wallS).toFixed(2)}x`);
  console.log(`peak RSS of the process: ${((resourceUsage().maxRSS * 1024) / 2 ** 20).toFixed(0)} MiB`);
}
