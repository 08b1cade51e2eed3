/**
 * Reads, validates and freezes the configuration.
 *
 * Input: a YAML file path (or an object). Output: a deep-frozen `Config` whose relative paths are
 * resolved against the config file's folder. Failure: CONFIG_NOT_FOUND for a missing file,
 * CONFIG_INVALID listing every problem as `key.path: reason`, including references to experts that
 * are not configured.
 */
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, isAbsolute, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parse as parseYaml } from "yaml";
import type { z } from "zod";
import { ConclaveError } from "../../kernel/errors.js";
import { configSchema, type Config } from "./schema.js";

function formatPath(path: ReadonlyArray<PropertyKey>): string {
  return path.reduce<string>((out, key) => (typeof key === "number" ? `${out}[${key}]` : out ? `${out}.${String(key)}` : String(key)), "");
}

function formatIssues(issues: z.core.$ZodIssue[]): string[] {
  return issues.map((issue) => `${formatPath(issue.path) || "(root)"}: ${issue.message}`);
}

/** Every place the config names an expert must name a configured one. */
function crossReferenceProblems(config: Config): string[] {
  if (config.experts.length === 0) return [];
  const ids = new Set<string>();
  const problems: string[] = [];
  config.experts.forEach((expert, index) => {
    if (ids.has(expert.id)) problems.push(`experts[${index}].id: duplicate expert id "${expert.id}"`);
    ids.add(expert.id);
  });
  const check = (key: string, id: string | undefined) => {
    if (id !== undefined && !ids.has(id)) problems.push(`${key}: no expert with id "${id}"`);
  };
  check("aggregation.aggregator", config.aggregation.aggregator);
  check("skills.tagger.model", config.skills.tagger.model);
  check("routing.category.generalist", config.routing.category.generalist);
  check("routing.abstain.fallback", config.routing.abstain.fallback);
  config.routing.fixed.forEach((id, index) => check(`routing.fixed[${index}]`, id));
  config.routing.cascade.tiers?.forEach((tier, t) => tier.forEach((id, index) => check(`routing.cascade.tiers[${t}][${index}]`, id)));
  for (const [category, target] of Object.entries(config.routing.category.map)) {
    for (const id of Array.isArray(target) ? target : [target]) check(`routing.category.map.${category}`, id);
  }
  if (config.skills.tagger.kind === "keyword" && !config.skills.tagger.model) {
    problems.push("skills.tagger.model: required when skills.tagger.kind is keyword");
  }
  if (config.routing.adaptive.kMin > config.routing.adaptive.kMax) {
    problems.push("routing.adaptive.kMin: must not exceed routing.adaptive.kMax");
  }
  if (config.routing.strategy === "fixed" && config.routing.fixed.length === 0) {
    problems.push("routing.fixed: list the experts to use with strategy fixed");
  }
  return problems;
}

function resolvePaths(config: Config, baseDir: string): Config {
  const local = (path: string) => (isAbsolute(path) || path.includes(":") ? path : resolve(baseDir, path));
  config.models.dir = local(config.models.dir);
  if (config.routing.profile) config.routing.profile = local(config.routing.profile);
  if (config.skills.tagger.path) config.skills.tagger.path = local(config.skills.tagger.path);
  if (config.skills.catalog !== "default") config.skills.catalog = local(config.skills.catalog);
  config.batches.dir = local(config.batches.dir);
  for (const expert of config.experts) if (expert.backend === "llama") expert.model = local(expert.model);
  for (const expert of config.experts) if (expert.backend === "replay") expert.recordings = expert.recordings.map(local);
  return config;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object") {
    Object.values(value).forEach(deepFreeze);
    Object.freeze(value);
  }
  return value;
}

/** The zoo's config (zoo/conclave.yaml): what serves when no experts are configured. */
export const ZOO_CONFIG_PATH = fileURLToPath(new URL("../../zoo/conclave.yaml", import.meta.url));

type Raw = Record<string, unknown>;

const isObject = (value: unknown): value is Raw => typeof value === "object" && value !== null && !Array.isArray(value);

/** `over` wins key by key; objects merge, anything else (arrays too) replaces. */
function merge(under: Raw, over: Raw): Raw {
  const out: Raw = { ...under };
  for (const [key, value] of Object.entries(over)) out[key] = isObject(value) && isObject(under[key]) ? merge(under[key], value) : value;
  return out;
}

let zooPreset: Raw | undefined;

/** The zoo config with its paths made absolute, so it can sit under a config from anywhere. */
function embeddedZoo(): Raw {
  if (!zooPreset) {
    const raw = parseYaml(readFileSync(ZOO_CONFIG_PATH, "utf8")) as Raw;
    const parsed = configSchema.parse(raw);
    resolvePaths(parsed, dirname(ZOO_CONFIG_PATH));
    zooPreset = {
      experts: parsed.experts.map((expert, index) => ({ ...(raw.experts as Raw[])[index], model: expert.backend === "llama" ? expert.model : undefined })),
      skills: merge(raw.skills as Raw, { catalog: parsed.skills.catalog, tagger: { path: parsed.skills.tagger.path } }),
      routing: merge(raw.routing as Raw, { profile: parsed.routing.profile }),
      aggregation: raw.aggregation,
      generation: raw.generation,
    };
  }
  return zooPreset;
}

/** A config without experts gets the zoo's experts and settings underneath its own (unless it asks for the synthetic pool). */
function withEmbeddedPool(input: unknown): unknown {
  // Anything but an object is left for the schema to refuse with its own message.
  if (!isObject(input)) return input;
  const { experts, ...rest } = input;
  const noExperts = experts === undefined || (Array.isArray(experts) && experts.length === 0);
  if (!noExperts || (isObject(input.models) && input.models.embedded === "synthetic")) return input;
  return merge(embeddedZoo(), rest);
}

/** Validates a config object; `baseDir` anchors relative paths, `source` names it in errors. */
export function parseConfig(input: unknown, baseDir: string, source = "config"): Readonly<Config> {
  const parsed = configSchema.safeParse(withEmbeddedPool(input ?? {}));
  if (!parsed.success) {
    throw new ConclaveError("CONFIG_INVALID", `invalid ${source}:\n  ${formatIssues(parsed.error.issues).join("\n  ")}`);
  }
  const problems = crossReferenceProblems(parsed.data);
  if (problems.length > 0) throw new ConclaveError("CONFIG_INVALID", `invalid ${source}:\n  ${problems.join("\n  ")}`);
  return deepFreeze(resolvePaths(parsed.data, baseDir));
}

/** Loads a YAML (or JSON) config file; with no path, the embedded defaults. */
export async function loadConfig(path?: string): Promise<Readonly<Config>> {
  if (!path) return parseConfig({}, process.cwd(), "default config");
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (cause) {
    throw new ConclaveError("CONFIG_NOT_FOUND", `cannot read config file ${path}: ${(cause as Error).message}`, { cause });
  }
  let input: unknown;
  try {
    input = parseYaml(text);
  } catch (cause) {
    throw new ConclaveError("CONFIG_INVALID", `${path} is not valid YAML: ${(cause as Error).message}`, { cause });
  }
  return parseConfig(input, dirname(resolve(path)), path);
}
