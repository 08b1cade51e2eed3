/**
 * Everything conclave learns from a GGUF file without loading its weights: where it is (local path or
 * `hf:` URI resolved through node-llama-cpp), its MoE shape, and the memory it will need.
 *
 * Failure modes: a missing file -> MODEL_FILE_NOT_FOUND naming the path or URI; a file that is not a
 * readable GGUF -> MODEL_LOAD_FAILED naming the path and the parser's reason.
 */
import { access } from "node:fs/promises";
import { GgufInsights, readGgufFileInfo, resolveModelFile, type GgufFileInfo, type Llama } from "node-llama-cpp";
import { ConclaveError } from "../../kernel/errors.js";
import type { MemoryEstimate, ModelShape } from "../spec.js";

export interface ModelSource {
  /** A local path, or an `hf:owner/repo:quant` URI. */
  model: string;
  /** Where `hf:` models are looked up (and downloaded to, when downloads are allowed). */
  modelsDir: string;
  allowDownload: boolean;
}

export async function resolveModelPath(source: ModelSource): Promise<string> {
  if (!source.model.startsWith("hf:") && !source.model.startsWith("https:")) {
    try {
      await access(source.model);
    } catch (cause) {
      throw new ConclaveError("MODEL_FILE_NOT_FOUND", `model file not found: ${source.model}`, { cause });
    }
    return source.model;
  }
  try {
    return await resolveModelFile(source.model, {
      directory: source.modelsDir,
      download: source.allowDownload ? "auto" : false,
      cli: false,
    });
  } catch (cause) {
    const hint = source.allowDownload ? "" : " (downloads are off: set models.allowDownload or put the file in models.dir)";
    throw new ConclaveError(
      "MODEL_FILE_NOT_FOUND",
      `cannot resolve ${source.model} in ${source.modelsDir}${hint}: ${(cause as Error).message}`,
      { cause },
    );
  }
}

export async function readModelFile(path: string): Promise<GgufFileInfo> {
  try {
    return await readGgufFileInfo(path, { sourceType: "filesystem", logWarnings: false });
  } catch (cause) {
    throw new ConclaveError("MODEL_LOAD_FAILED", `${path} is not a readable GGUF file: ${(cause as Error).message}`, {
      cause,
    });
  }
}

function metadataNumber(info: GgufFileInfo, key: string): number | undefined {
  const arch = info.metadata.general.architecture as string;
  const section = (info.metadata as unknown as Record<string, Record<string, unknown>>)[arch];
  const value = section?.[key];
  return typeof value === "number" ? value : typeof value === "bigint" ? Number(value) : undefined;
}

/**
 * Counts parameters from the tensor table. Expert tensors (`*_exps`) hold every expert's weights side
 * by side; only `expertUsed` of `expertCount` of them run per token, which is what "active" means.
 */
export function describeModelFile(info: GgufFileInfo, fileBytes: number, expertUsedOverride?: number): ModelShape {
  const expertCount = metadataNumber(info, "expert_count");
  const expertUsedCount = expertUsedOverride ?? metadataNumber(info, "expert_used_count");
  let parameters = 0;
  let activeParameters = 0;
  for (const tensor of info.fullTensorInfo ?? []) {
    const elements = tensor.dimensions.reduce<number>((product, dim) => product * Number(dim), 1);
    parameters += elements;
    const isExpertTensor = tensor.name.includes("_exps");
    activeParameters += isExpertTensor && expertCount && expertUsedCount ? (elements * expertUsedCount) / expertCount : elements;
  }
  const shape: ModelShape = { architecture: String(info.metadata.general.architecture), fileBytes };
  if (parameters > 0) {
    shape.parameters = parameters;
    shape.activeParameters = Math.round(activeParameters);
  }
  if (expertCount !== undefined) shape.expertCount = expertCount;
  if (expertUsedCount !== undefined && expertCount !== undefined) shape.expertUsedCount = expertUsedCount;
  const contextLength = metadataNumber(info, "context_length");
  if (contextLength !== undefined) shape.contextLength = contextLength;
  return shape;
}

export interface ContextPlan {
  contextSize: number;
  sequences: number;
  /** Layers on the GPU; 0 on CPU. */
  gpuLayers: number;
}

/** Memory for the weights plus one context of `sequences` sequences, from node-llama-cpp's own estimator. */
export async function estimateModelMemory(info: GgufFileInfo, llama: Llama, plan: ContextPlan): Promise<MemoryEstimate> {
  const insights = await GgufInsights.from(info, llama);
  const model = insights.estimateModelResourceRequirements({ gpuLayers: plan.gpuLayers });
  const context = insights.estimateContextResourceRequirements({
    contextSize: plan.contextSize,
    modelGpuLayers: plan.gpuLayers,
    sequences: plan.sequences,
  });
  return { ramBytes: model.cpuRam + context.cpuRam, vramBytes: model.gpuVram + context.gpuVram };
}
