/**
 * Builds expert backends from validated config entries. The only place that knows which class serves
 * which `backend:` value; the switch ends in an exhaustive check so a new backend cannot be forgotten.
 */
import type { Config, ExpertConfig } from "./config/schema.js";
import { ConclaveError } from "../kernel/errors.js";
import { LlamaExpert } from "../experts/llama/llama-expert.js";
import type { RuntimeOptions } from "../experts/llama/runtime.js";
import { createRemoteExpert } from "../experts/remote/remote-expert.js";
import { ReplayExpert } from "../experts/replay/replay-expert.js";
import type { ExpertBackend } from "../experts/spec.js";

export interface ExpertFactoryContext {
  runtime: RuntimeOptions;
  models: Config["models"];
  env: Record<string, string | undefined>;
}

export function createExpert(config: ExpertConfig, context: ExpertFactoryContext): ExpertBackend {
  switch (config.backend) {
    case "llama":
      return new LlamaExpert({
        id: config.id,
        model: config.model,
        modelsDir: context.models.dir,
        allowDownload: context.models.allowDownload,
        contextSize: config.contextSize,
        sequences: config.sequences,
        threads: config.threads ?? context.runtime.maxThreads,
        gpuLayers: config.gpuLayers,
        useMmap: config.useMmap,
        promptFormat: config.promptFormat,
        reusePrefix: config.reusePrefix,
        runtime: context.runtime,
        ...(config.tools === undefined ? {} : { tools: config.tools }),
        ...(config.expertUsedCount === undefined ? {} : { expertUsedCount: config.expertUsedCount }),
        ...(config.description === undefined ? {} : { description: config.description }),
      });
    case "remote": {
      const apiKey = config.apiKeyEnv ? context.env[config.apiKeyEnv] : undefined;
      if (config.apiKeyEnv && !apiKey) {
        throw new ConclaveError("CONFIG_INVALID", `experts.${config.id}.apiKeyEnv: environment variable ${config.apiKeyEnv} is not set`);
      }
      return createRemoteExpert({
        id: config.id,
        baseUrl: config.baseUrl,
        model: config.model,
        concurrency: config.concurrency,
        timeoutMs: config.timeoutMs,
        maxRetries: config.maxRetries,
        ...(config.contextSize === undefined ? {} : { contextSize: config.contextSize }),
        ...(config.tools === undefined ? {} : { tools: config.tools }),
        ...(apiKey === undefined ? {} : { apiKey }),
        ...(config.description === undefined ? {} : { description: config.description }),
      });
    }
    case "replay":
      return new ReplayExpert({
        id: config.id,
        recordings: config.recordings,
        concurrency: config.concurrency,
        ...(config.model === undefined ? {} : { model: config.model }),
        ...(config.description === undefined ? {} : { description: config.description }),
      });
    default: {
      const unreachable: never = config;
      throw new ConclaveError("CONFIG_INVALID", `unknown expert backend in ${JSON.stringify(unreachable)}`);
    }
  }
}
