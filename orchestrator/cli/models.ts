/**
 * `conclave models` (what each expert is, how big, whether it can serve) and `conclave testmodel`
 * (write a synthetic GGUF). Rendering is pure over the orchestrator's start-up inspection.
 */
import { parseByteSize } from "../config/schema.js";
import { ConclaveError } from "../../kernel/errors.js";
import type { Orchestrator } from "../orchestrator.js";
import { writeTestModel, type TestModelSpec } from "../../experts/testmodels/generate.js";

const mib = (bytes: number | undefined) => (bytes === undefined ? "?" : `${(bytes / 2 ** 20).toFixed(1)} MiB`);
const millions = (n: number | undefined) => (n === undefined ? "?" : `${(n / 1e6).toFixed(2)}M`);

export function listModels(orchestrator: Orchestrator, json: boolean): string {
  const stats = orchestrator.stats().experts;
  const rows = [...orchestrator.statuses.values()].map((status) => ({ ...status, resident: stats[status.id]?.resident ?? false }));
  if (json) return JSON.stringify({ synthetic: orchestrator.synthetic, aggregator: orchestrator.aggregator, experts: rows }, null, 2);
  const lines = rows.map((row) => {
    const shape = row.shape;
    const moe = shape?.expertCount ? `MoE ${shape.expertUsedCount}/${shape.expertCount} experts` : shape ? "dense" : "";
    const params = shape?.parameters ? `${millions(shape.activeParameters)} active of ${millions(shape.parameters)} params` : "";
    const state = row.unavailable ? `UNAVAILABLE ${row.unavailable.code}: ${row.unavailable.message}` : `ram ${mib(row.memory?.ramBytes)}, vram ${mib(row.memory?.vramBytes)}`;
    const role = row.id === orchestrator.aggregator ? " [aggregator]" : "";
    return `${row.id}${role}  ${row.kind}  ${shape?.architecture ?? ""} ${moe}  ${params}  slots ${row.slots}  ${state}`.replace(/ {3,}/g, "  ");
  });
  if (orchestrator.synthetic) lines.push("(synthetic demo pool: random weights, answers are noise)");
  return lines.join("\n");
}

export async function writeTestModelCommand(
  path: string,
  options: { experts: number; expertsUsed: number; architecture: string; quant: string; size?: string; seed: number },
): Promise<string> {
  if (options.architecture !== "llama" && options.architecture !== "qwen3moe") {
    throw new ConclaveError("INVALID_REQUEST", `--architecture must be llama or qwen3moe, got ${options.architecture}`);
  }
  if (!["F32", "F16", "Q8_0", "Q4_0"].includes(options.quant)) {
    throw new ConclaveError("INVALID_REQUEST", `--quant must be F32, F16, Q8_0 or Q4_0, got ${options.quant}`);
  }
  const spec: TestModelSpec = {
    architecture: options.architecture,
    experts: options.experts,
    expertsUsed: options.expertsUsed,
    quant: options.quant as TestModelSpec["quant"],
    seed: options.seed,
  };
  if (options.size !== undefined) {
    const bytes = parseByteSize(options.size);
    if (bytes === undefined) throw new ConclaveError("INVALID_REQUEST", `--size: expected a size like 300MB, got ${options.size}`);
    spec.targetBytes = bytes;
  }
  const started = performance.now();
  const info = await writeTestModel(path, spec);
  const seconds = ((performance.now() - started) / 1000).toFixed(2);
  return `wrote ${info.path}: ${mib(info.bytes)}, ${info.architecture}, ${info.expertCount ? `${info.expertUsedCount}/${info.expertCount} experts` : "dense"}, ${millions(info.activeParameters)} active of ${millions(info.parameters)} params, in ${seconds} s`;
}
