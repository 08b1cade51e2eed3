/**
 * The configuration schema: the only place conclave's defaults are written.
 *
 * Input: the parsed YAML object (camelCase keys). Output: a fully defaulted `Config`. Unknown keys are
 * refused (a typo must not be silently ignored); `loadConfig` turns zod issues into messages that
 * name the key, e.g. `experts[1].contextSize: expected a number >= 64`.
 */
import { z } from "zod";
import { POLICY_NAMES } from "../scheduler/policies.js";

const SIZE_UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
};

/** Parses "512MiB", "1.5 GB", "2e9" or a number of bytes. */
export function parseByteSize(value: string | number): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) && value >= 0 ? value : undefined;
  const match = /^\s*([0-9]*\.?[0-9]+(?:e[0-9]+)?)\s*([a-z]*)\s*$/i.exec(value);
  if (!match) return undefined;
  const unit = SIZE_UNITS[(match[2] || "b").toLowerCase()];
  return unit === undefined ? undefined : Math.round(Number(match[1]) * unit);
}

function bytesOrIssue(value: string | number, ctx: z.RefinementCtx, expected: string): number {
  const bytes = parseByteSize(value);
  if (bytes !== undefined) return bytes;
  ctx.addIssue({ code: "custom", message: `expected ${expected}, got ${JSON.stringify(value)}` });
  return z.NEVER;
}

/** A byte size such as "1MB" or a number of bytes. */
const byteSize = z.union([z.number(), z.string()]).transform((value, ctx) => bytesOrIssue(value, ctx, 'a size like "1MB" or a number of bytes'));

/** A byte size, or "auto" to size from the machine at start-up. */
const budget = z
  .union([z.number(), z.string()])
  .transform((value, ctx): number | "auto" => (value === "auto" ? value : bytesOrIssue(value, ctx, '"auto" or a size like "8GiB" or "512MB"')));

const expertId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, "ids use letters, digits, '.', '_', ':' and '-'");

/**
 * What one call of an expert costs, in US dollars: a flat price per call, or prices per 1000 prompt
 * and completion tokens. Replay experts carry their recorded cost and need none.
 */
const expertCost = z.union([
  z.strictObject({ perCall: z.number().min(0) }),
  z.strictObject({ perKPromptTokens: z.number().min(0), perKCompletionTokens: z.number().min(0) }),
]);

const llamaExpert = z.strictObject({
  id: expertId,
  backend: z.literal("llama"),
  /** Local path or `hf:owner/repo:quant` URI. */
  model: z.string().min(1),
  description: z.string().optional(),
  contextSize: z.number().int().min(64).default(2048),
  /** Parallel sequences: how many requests the resident model serves at once. */
  sequences: z.number().int().min(1).max(64).default(4),
  /** Threads for generation; keep at or below the machine's cores. */
  threads: z.number().int().min(1).optional(),
  gpuLayers: z.union([z.literal("auto"), z.number().int().min(0)]).default("auto"),
  /** Active experts per token for a sparse MoE model (llama.cpp `expert_used_count` override). */
  expertUsedCount: z.number().int().min(1).optional(),
  useMmap: z.boolean().default(true),
  /**
   * chat: messages go through the model's chat template. plain: the messages' text, one per line,
   * then a newline, completed raw (Ollama's `raw` mode), for models trained without a template.
   */
  promptFormat: z.enum(["chat", "plain"]).default("chat"),
  /**
   * Keep each sequence's evaluated prompt after a request and send a request to the free sequence
   * sharing the longest prefix with it, so a chat's next turn or a shared few-shot prefix is not
   * evaluated again (llama-server's slot reuse). false clears every sequence after each request.
   */
  reusePrefix: z.boolean().default(true),
  /** Whether it takes OpenAI `tools`; absent: detected from the model's chat wrapper (function-calling templates only). */
  tools: z.boolean().optional(),
  cost: expertCost.optional(),
});

const remoteExpert = z.strictObject({
  id: expertId,
  backend: z.literal("remote"),
  baseUrl: z.url(),
  model: z.string().min(1),
  description: z.string().optional(),
  /** Name of the environment variable that holds the API key (never the key itself). */
  apiKeyEnv: z.string().optional(),
  concurrency: z.number().int().min(1).default(8),
  timeoutMs: z.number().int().min(1).default(120_000),
  maxRetries: z.number().int().min(0).default(2),
  cost: expertCost.optional(),
  /** The served model's context in tokens, if known: max_tokens beyond it is refused before the call. */
  contextSize: z.number().int().min(1).optional(),
  /** Whether the served model takes OpenAI `tools` (vLLM needs --enable-auto-tool-choice, llama-server --jinja); absent: no. */
  tools: z.boolean().optional(),
});

/** Answers recorded answers (experts/replay): no model; see the README's "Replay experts". */
const replayExpert = z.strictObject({
  id: expertId,
  backend: z.literal("replay"),
  /** Recordings JSONL file(s), relative to the config file. */
  recordings: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).transform((value) => (typeof value === "string" ? [value] : value)),
  /** The recorded model to replay; default: the expert's id. */
  model: z.string().min(1).optional(),
  description: z.string().optional(),
  concurrency: z.number().int().min(1).default(64),
  /** Overrides the recorded cost (e.g. to price a model at your own rates). */
  cost: expertCost.optional(),
});

export const expertSchema = z.discriminatedUnion("backend", [llamaExpert, remoteExpert, replayExpert]);

const taggerSchema = z.strictObject({
  /**
   * lexical needs no model; keyword asks an expert for 2-5 skill keywords (Symbolic-MoE); trained is
   * a classifier fitted from labelled text with `conclave skills fit` (also the category strategy's
   * classifier, its probability the confidence).
   */
  kind: z.enum(["lexical", "keyword", "trained"]).default("lexical"),
  /** The expert that writes keywords, for kind: keyword. */
  model: z.string().optional(),
  /** The tagger JSON written by `conclave skills fit`, for kind: trained (relative to the config file). */
  path: z.string().optional(),
  maxSkills: z.number().int().min(1).max(10).default(5),
  minScore: z.number().min(0).max(1).default(0.05),
  minKeywords: z.number().int().min(1).default(2),
  maxKeywords: z.number().int().min(1).default(5),
  /** Below this similarity a keyword maps to no skill. */
  matchThreshold: z.number().min(0).max(1).default(0.2),
  /** An OpenAI-compatible embeddings endpoint for keyword -> skill matching; lexical without one. */
  embeddings: z
    .strictObject({
      baseUrl: z.url(),
      model: z.string().min(1),
      apiKeyEnv: z.string().optional(),
      timeoutMs: z.number().int().min(1).default(30_000),
    })
    .optional(),
})
  .superRefine((tagger, ctx) => {
    if (tagger.kind === "trained" && !tagger.path) {
      ctx.addIssue({ code: "custom", path: ["path"], message: "required when kind is trained (a tagger written by `conclave skills fit`)" });
    }
  });

const routingSchema = z.strictObject({
  strategy: z.enum(["symbolic", "category", "adaptive", "fixed", "cascade"]).default("symbolic"),
  k: z.number().int().min(1).default(3),
  /** Profile file (Symbolic-MoE); without one every expert counts as equally skilled. */
  profile: z.string().optional(),
  selection: z.enum(["top", "sample"]).default("top"),
  seed: z.number().int().default(0),
  adaptive: z
    .strictObject({
      p: z.number().gt(0).max(1).default(0.8),
      kMin: z.number().int().min(1).default(1),
      kMax: z.number().int().min(1).default(3),
    })
    .prefault({}),
  category: z
    .strictObject({
      map: z.record(z.string(), z.union([z.string(), z.array(z.string()).min(1)])).default({}),
      generalist: z.string().optional(),
      threshold: z.number().min(0).max(1).default(0.5),
    })
    .prefault({}),
  fixed: z.array(z.string()).default([]),
  /**
   * "No expert is competent" (CoE): when the tagger scores every skill below `threshold`, routing
   * recruits no one and answers `message` (absent: one written from the catalog, naming its skills
   * and how to configure real models), or hands the request to the `fallback` expert. 0 turns it off.
   */
  abstain: z
    .strictObject({
      threshold: z.number().min(0).max(1).default(0),
      message: z.string().min(1).optional(),
      fallback: z.string().optional(),
    })
    .prefault({}),
  /**
   * Residency-aware recruitment (symbolic top-k and adaptive): candidates within this fraction of
   * each other in suitability x competence count as equally good, and the one already resident (or
   * loading) is taken, saving a model load. 0 turns it off.
   */
  residencyMargin: z.number().min(0).max(1).default(0.05),
  /**
   * λ: symbolic recruitment ranks by suitability x competence / max − λ x cost / max cost (both
   * normalised to [0, 1] over the available experts); 0 ignores cost. See the README's cost curve.
   */
  costWeight: z.number().min(0).default(0),
  /** FrugalGPT-style escalation (strategy cascade): cheap adequate tiers first, the strongest last. */
  cascade: z
    .strictObject({
      /** Stop at a tier when the competence-weighted vote's agreement over the answers so far reaches this (1 = unanimous). */
      threshold: z.number().gt(0).max(1).default(1),
      /** Experts asked together in each tier below the strongest. */
      tierSize: z.number().int().min(2).default(2),
      /** Adequate = competence (accuracy / best accuracy in the profile) at least this. */
      minCompetence: z.number().min(0).max(1).default(0.8),
      /** Explicit tiers, cheapest first, overriding the ones built from profile and costs. */
      tiers: z.array(z.array(z.string()).min(1)).optional(),
    })
    .prefault({}),
});

const aggregationSchema = z.strictObject({
  method: z.enum(["synthesize", "vote", "single"]).default("synthesize"),
  /** The expert that synthesises; defaults to the profile's choice, then the first expert. */
  aggregator: z.string().optional(),
  /** Skip the aggregator when every answer extracts to the same value. */
  skipWhenAgree: z.boolean().default(true),
  voteKind: z.enum(["auto", "choice", "number", "text"]).default("auto"),
  maxTokens: z.number().int().min(1).default(256),
  /** instructions: system prompt + labelled answers; compact: question + `- answer` lines (small trained aggregators). */
  synthesisPrompt: z.enum(["instructions", "compact"]).default("instructions"),
  /**
   * Vote weights. recruit: the recruitment weights (suitability on the question's skills).
   * competence: each expert's odds of being right, accuracy / (1 − accuracy), from the profile's
   * global accuracy, so a much stronger expert is not outvoted by two weak ones that agree (vote.ts);
   * right when experts differ in overall strength more than in skills (`conclave replay import`
   * configs use it), wrong for skill specialists like the zoo's, whose global accuracy hides what
   * they are good at. Experts the profile does not know keep their recruit weight.
   */
  weighting: z.enum(["recruit", "competence"]).default("recruit"),
});

const generationSchema = z.strictObject({
  maxTokens: z.number().int().min(1).default(256),
  temperature: z.number().min(0).max(2).default(0.7),
  topP: z.number().gt(0).max(1).default(0.95),
});

const schedulerSchema = z.strictObject({
  /**
   * grouped: conclave's (work grouped by expert, online before batch); fifo-lru: arrival order, load
   * on demand, least-recently-used eviction (what Ollama and llama-swap do), for comparison.
   */
  policy: z.enum(POLICY_NAMES).default("grouped"),
  /** Load the expert with the next heaviest backlog while others still generate, when memory allows. */
  prefetch: z.boolean().default(true),
  /** Online work goes before batch work, but batch work never waits longer than this without progress. */
  maxBatchStarvationMs: z.number().int().min(0).default(30_000),
  /** Items an expert may serve while others wait for its memory before it must yield. */
  fairnessCap: z.number().int().min(1).default(64),
  /** Backlog weight of waiting time: one waiting item counts as this many ms of age. */
  ageWeightMs: z.number().min(1).default(5_000),
});

/** A key, or its SHA-256 digest written `sha256:<64 hex digits>`. */
const apiKey = z
  .string()
  .min(1)
  .refine((key) => !key.startsWith("sha256:") || /^sha256:[0-9a-fA-F]{64}$/.test(key), "a hashed key is sha256: followed by 64 hex digits");

const serverSchema = z.strictObject({
  host: z.string().default("0.0.0.0"),
  /** The PORT environment variable and --port win over this. */
  port: z.number().int().min(0).max(65535).default(8080),
  /** The name clients use as `model` for the routed ensemble. */
  ensemble: z.string().min(1).default("conclave"),
  /**
   * Bearer keys; empty = no authentication. A key may be given as `sha256:<hex digest>` so the file
   * holds no secret. Prefer apiKeysEnv (comma-separated) for secrets. Each key owns the files and
   * batches it creates; other keys see them as missing.
   */
  apiKeys: z.array(apiKey).default([]),
  apiKeysEnv: z.string().optional(),
  /** Keys that see and cancel every key's files and batches (also accepted everywhere a key is). */
  adminKeys: z.array(apiKey).default([]),
  adminKeysEnv: z.string().optional(),
  /** Require a key for /metrics and /docs too (open by default, for scrapers and readers). */
  protectMetrics: z.boolean().default(false),
  /** Requests per minute per key (or per client address without keys); 0 = no limit. */
  rateLimitPerMinute: z.number().int().min(0).default(0),
  bodyLimit: byteSize.default(1_048_576),
  /** Online requests being served or waiting beyond which new ones get 429 with Retry-After (batch work is not counted). */
  maxBacklog: z.number().int().min(1).default(256),
  retryAfterSeconds: z.number().int().min(1).default(2),
  /** On shutdown, in-flight requests get this long to finish before they are cancelled. */
  shutdownTimeoutMs: z.number().int().min(0).default(10_000),
  /**
   * Where expert calls of online requests run: "local" in this process; "fleet" (needs REDIS_URL) as
   * high-priority jobs on `conclave worker` processes, tokens streamed back through Redis, so the
   * server is a stateless front door that tags, recruits and aggregates (README, fleet mode).
   */
  execution: z.enum(["local", "fleet"]).default("local"),
  /** Fleet mode: workers publish their residency this often; one silent for 3 beats is taken for dead. */
  heartbeatMs: z.number().int().min(100).default(1_000),
});

const batchesSchema = z.strictObject({
  /** Uploaded files, batch records and results. Several machines share it as one mounted volume. */
  dir: z.string().default("./data/batches"),
  /** Largest batch input file accepted by POST /v1/files. */
  maxFileBytes: byteSize.default(200 * 2 ** 20),
  /** OpenAI's only window; a batch not done by then expires with what finished. */
  completionWindowHours: z.number().gt(0).default(24),
  queue: z
    .strictObject({
      /** Redis key prefix, so several conclave deployments can share one Redis. */
      prefix: z.string().default("conclave"),
      /** A worker that stops renewing its lock for this long is considered dead; its jobs run again. */
      lockDurationMs: z.number().int().min(1000).default(30_000),
      stalledIntervalMs: z.number().int().min(500).default(30_000),
      /** Attempts of a generation that fails for a transient reason. */
      attempts: z.number().int().min(1).default(3),
      backoffMs: z.number().int().min(0).default(1_000),
    })
    .prefault({}),
});

export const configSchema = z.strictObject({
  runtime: z
    .strictObject({
      /** "auto" uses CUDA/Vulkan/Metal when available; false forces the CPU. */
      gpu: z.union([z.literal("auto"), z.literal(false)]).default("auto"),
      /** Threads across all models; "auto" = the number of cores. */
      maxThreads: z.union([z.literal("auto"), z.number().int().min(1)]).default("auto"),
    })
    .prefault({}),
  models: z
    .strictObject({
      /** Where `hf:` models are found and downloaded to. */
      dir: z.string().default("./models"),
      allowDownload: z.boolean().default(false),
      /**
       * What serves when no experts are configured: "zoo" = the trained tiny experts committed in
       * zoo/ (with their catalog, tagger and profile, see zoo/conclave.yaml); "synthetic" = generated
       * random-weight MoE models (answers are noise; for exercising routing and scheduling).
       */
      embedded: z.enum(["zoo", "synthetic"]).default("zoo"),
    })
    .prefault({}),
  memory: z
    .strictObject({
      /** RAM the resident local models may use; "auto" = 70% of the machine's memory. */
      budget: budget.default("auto"),
      /** VRAM they may use; "auto" = 90% of the GPU's free memory at start. */
      vramBudget: budget.default("auto"),
    })
    .prefault({}),
  /** Empty: the embedded pool serves (`models.embedded`). */
  experts: z.array(expertSchema).default([]),
  skills: z
    .strictObject({
      /** "default" is the built-in catalog; otherwise a YAML or JSON file. */
      catalog: z.string().default("default"),
      tagger: taggerSchema.prefault({}),
    })
    .prefault({}),
  routing: routingSchema.prefault({}),
  aggregation: aggregationSchema.prefault({}),
  generation: generationSchema.prefault({}),
  scheduler: schedulerSchema.prefault({}),
  server: serverSchema.prefault({}),
  batches: batchesSchema.prefault({}),
});

export type Config = z.output<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
export type ExpertConfig = z.output<typeof expertSchema>;
export type LlamaExpertConfig = z.output<typeof llamaExpert>;
export type RemoteExpertConfig = z.output<typeof remoteExpert>;
export type ReplayExpertConfig = z.output<typeof replayExpert>;
export type ExpertCost = z.output<typeof expertCost>;
