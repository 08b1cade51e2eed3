/**
 * Deterministic tiny models for tests, the demo pool and benchmarks: llama-architecture dense or
 * Mixtral-style sparse MoE, or qwen3moe, with random weights, a vocabulary and a chat template.
 * Same spec and seed, same bytes. `targetBytes` grows the model (more experts, then wider experts)
 * to a given file size, so benchmarks get 0.3-1.5 GB files whose load cost is real while the work
 * per token stays small, as in a real sparse MoE.
 */
import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { ConclaveError } from "../../kernel/errors.js";
import { mulberry32 } from "../../kernel/prng.js";
import { tensorBytes, writeGguf, type KvValue, type TensorSource, type TensorType } from "./gguf-writer.js";
import { buildVocabulary, CHATML_TEMPLATE, QWEN25_TEMPLATE, vocabularyKv, type TestVocabulary } from "./tokenizer.js";

/** Bumped whenever the bytes a spec produces change, so cached files are rewritten. */
export const GENERATOR_VERSION = 1;
const MAX_EXPERTS = 128;

export interface TestModelSpec {
  name?: string;
  architecture?: "llama" | "qwen3moe";
  embedding?: number;
  layers?: number;
  heads?: number;
  kvHeads?: number;
  /** Width of the dense FFN, or of each expert. */
  feedForward?: number;
  /** 0 or absent: dense. */
  experts?: number;
  expertsUsed?: number;
  contextLength?: number;
  quant?: TensorType;
  seed?: number;
  /** Grow the model to about this many bytes. */
  targetBytes?: number;
  /** The chat template in the file; absent: ChatML. "qwen2.5": Qwen 2.5's, with function calling. */
  chatTemplate?: "qwen2.5";
}

/** `chatTemplate` stays optional, so that the specs (and cache keys) of ChatML models are unchanged. */
export type ResolvedSpec = Required<Omit<TestModelSpec, "targetBytes" | "chatTemplate">> & Pick<TestModelSpec, "chatTemplate">;

export interface TestModelInfo {
  path: string;
  bytes: number;
  parameters: number;
  activeParameters: number;
  architecture: string;
  expertCount: number;
  expertUsedCount: number;
  spec: ResolvedSpec;
}

export function resolveSpec(spec: TestModelSpec): ResolvedSpec {
  const experts = spec.experts ?? 0;
  const resolved: ResolvedSpec = {
    name: spec.name ?? "conclave-test-model",
    architecture: spec.architecture ?? "llama",
    embedding: spec.embedding ?? 64,
    layers: spec.layers ?? 2,
    heads: spec.heads ?? 4,
    kvHeads: spec.kvHeads ?? spec.heads ?? 4,
    feedForward: spec.feedForward ?? 128,
    experts,
    expertsUsed: experts === 0 ? 0 : Math.min(spec.expertsUsed ?? 2, experts),
    contextLength: spec.contextLength ?? 1024,
    quant: spec.quant ?? "Q8_0",
    seed: spec.seed ?? 0,
    ...(spec.chatTemplate === undefined ? {} : { chatTemplate: spec.chatTemplate }),
  };
  validate(resolved);
  return spec.targetBytes === undefined ? resolved : growTo(resolved, spec.targetBytes);
}

function validate(spec: ResolvedSpec): void {
  const fail = (reason: string) => {
    throw new ConclaveError("INVALID_REQUEST", `test model ${spec.name}: ${reason}`);
  };
  const positive = ["embedding", "layers", "heads", "kvHeads", "feedForward", "contextLength"] as const;
  for (const key of positive) if (!Number.isInteger(spec[key]) || spec[key] <= 0) fail(`${key} must be a positive integer`);
  if (spec.embedding % spec.heads !== 0) fail(`embedding ${spec.embedding} must divide into ${spec.heads} heads`);
  if ((spec.embedding / spec.heads) % 2 !== 0) fail("the head size must be even (RoPE rotates pairs)");
  if (spec.heads % spec.kvHeads !== 0) fail(`kvHeads ${spec.kvHeads} must divide heads ${spec.heads}`);
  if (spec.quant !== "F32" && spec.quant !== "F16" && (spec.embedding % 32 !== 0 || spec.feedForward % 32 !== 0)) {
    fail(`${spec.quant} needs embedding and feedForward in multiples of 32`);
  }
  if (spec.experts < 0 || spec.experts > MAX_EXPERTS) fail(`experts must be 0 (dense) to ${MAX_EXPERTS}`);
  if (spec.experts > 0 && (spec.expertsUsed < 1 || spec.expertsUsed > spec.experts)) fail("expertsUsed must be 1..experts");
  if (spec.architecture === "qwen3moe" && spec.experts < 2) fail("qwen3moe is a sparse MoE architecture: give experts >= 2");
}

/**
 * More experts first (work per token unchanged), then wider ones; then the expert count is solved
 * again at the final width, which is a finer step than one more column in every expert.
 */
function growTo(spec: ResolvedSpec, target: number): ResolvedSpec {
  const size = (s: ResolvedSpec) => layout(s, buildVocabulary()).reduce((sum, t) => sum + tensorBytes(t), 0);
  const solveExperts = (s: ResolvedSpec): ResolvedSpec => {
    if (spec.experts === 0) return s;
    const base = { ...s, experts: spec.experts };
    const perExpert = size({ ...base, experts: base.experts + 1 }) - size(base);
    const wanted = base.experts + Math.floor((target - size(base)) / perExpert);
    return { ...s, experts: Math.max(spec.experts, Math.min(MAX_EXPERTS, wanted)) };
  };
  const grown = solveExperts(spec);
  const per32 = size({ ...grown, feedForward: grown.feedForward + 32 }) - size(grown);
  // With experts, overshoot the width and let the expert count come back down to the target.
  const steps = (spec.experts > 0 ? Math.ceil : Math.round)((target - size(grown)) / per32);
  return solveExperts({ ...grown, feedForward: Math.max(32, grown.feedForward + steps * 32) });
}

function hashName(text: string, seed: number): number {
  let h = (2166136261 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

function uniform(name: string, dims: number[], type: TensorType, std: number, seed: number): TensorSource {
  const next = mulberry32(hashName(name, seed));
  const half = std * Math.sqrt(3); // uniform on [-a, a] has std a / sqrt(3)
  return {
    name,
    dims,
    type,
    fillRow(_row, out) {
      for (let i = 0; i < out.length; i++) out[i] = (next() * 2 - 1) * half;
    },
  };
}

function ones(name: string, dims: number[]): TensorSource {
  return { name, dims, type: "F32", fillRow: (_row, out) => out.fill(1) };
}

function layout(spec: ResolvedSpec, vocabulary: TestVocabulary): TensorSource[] {
  const { embedding: E, heads, kvHeads, feedForward: F, experts: X, quant, seed } = spec;
  const V = vocabulary.tokens.length;
  const headSize = E / heads;
  const tensors: TensorSource[] = [uniform("token_embd.weight", [E, V], quant, 1, seed), ones("output_norm.weight", [E])];
  // Output rows of byte and control tokens stay zero, so sampled text is printable; the others are
  // large enough that those zero logits are rarely sampled.
  const output = uniform("output.weight", [E, V], quant, 0.5, seed);
  tensors.push({ ...output, fillRow: (row, out) => (vocabulary.printable[row] ? output.fillRow(row, out) : out.fill(0)) });
  for (let layer = 0; layer < spec.layers; layer++) {
    const p = `blk.${layer}.`;
    tensors.push(
      ones(`${p}attn_norm.weight`, [E]),
      uniform(`${p}attn_q.weight`, [E, headSize * heads], quant, 1 / Math.sqrt(E), seed),
      uniform(`${p}attn_k.weight`, [E, headSize * kvHeads], quant, 1 / Math.sqrt(E), seed),
      uniform(`${p}attn_v.weight`, [E, headSize * kvHeads], quant, 1 / Math.sqrt(E), seed),
      uniform(`${p}attn_output.weight`, [headSize * heads, E], quant, 1 / Math.sqrt(E), seed),
      ones(`${p}ffn_norm.weight`, [E]),
    );
    if (spec.architecture === "qwen3moe") tensors.push(ones(`${p}attn_q_norm.weight`, [headSize]), ones(`${p}attn_k_norm.weight`, [headSize]));
    if (X === 0) {
      tensors.push(
        uniform(`${p}ffn_gate.weight`, [E, F], quant, 1 / Math.sqrt(E), seed),
        uniform(`${p}ffn_up.weight`, [E, F], quant, 1 / Math.sqrt(E), seed),
        uniform(`${p}ffn_down.weight`, [F, E], quant, 1 / Math.sqrt(F), seed),
      );
    } else {
      tensors.push(
        uniform(`${p}ffn_gate_inp.weight`, [E, X], "F32", 1, seed), // the router stays F32, as converters keep it
        uniform(`${p}ffn_gate_exps.weight`, [E, F, X], quant, 1 / Math.sqrt(E), seed),
        uniform(`${p}ffn_up_exps.weight`, [E, F, X], quant, 1 / Math.sqrt(E), seed),
        uniform(`${p}ffn_down_exps.weight`, [F, E, X], quant, 1 / Math.sqrt(F), seed),
      );
    }
  }
  return tensors;
}

const FILE_TYPES: Record<TensorType, number> = { F32: 0, F16: 1, Q4_0: 2, Q8_0: 7 };

function metadata(spec: ResolvedSpec, vocabulary: TestVocabulary): Array<readonly [string, KvValue]> {
  const a = spec.architecture;
  const u32 = (value: number): KvValue => ({ type: "u32", value });
  const f32 = (value: number): KvValue => ({ type: "f32", value });
  const headSize = spec.embedding / spec.heads;
  const kv: Array<readonly [string, KvValue]> = [
    ["general.architecture", { type: "string", value: a }],
    ["general.name", { type: "string", value: spec.name }],
    ["general.description", { type: "string", value: "synthetic model written by conclave's test-model generator (random weights)" }],
    ["general.file_type", u32(FILE_TYPES[spec.quant])],
    [`${a}.context_length`, u32(spec.contextLength)],
    [`${a}.embedding_length`, u32(spec.embedding)],
    [`${a}.block_count`, u32(spec.layers)],
    [`${a}.feed_forward_length`, u32(spec.feedForward)],
    [`${a}.attention.head_count`, u32(spec.heads)],
    [`${a}.attention.head_count_kv`, u32(spec.kvHeads)],
    [`${a}.attention.layer_norm_rms_epsilon`, f32(1e-5)],
    [`${a}.rope.freq_base`, f32(10000)],
    [`${a}.rope.dimension_count`, u32(headSize)],
    [`${a}.vocab_size`, u32(vocabulary.tokens.length)],
  ];
  if (spec.experts > 0) kv.push([`${a}.expert_count`, u32(spec.experts)], [`${a}.expert_used_count`, u32(spec.expertsUsed)]);
  if (a === "qwen3moe") {
    kv.push(
      [`${a}.attention.key_length`, u32(headSize)],
      [`${a}.attention.value_length`, u32(headSize)],
      [`${a}.expert_feed_forward_length`, u32(spec.feedForward)],
    );
  }
  kv.push(["conclave.generator_version", u32(GENERATOR_VERSION)], ["conclave.seed", u32(spec.seed >>> 0)]);
  return [...kv, ...vocabularyKv(vocabulary, spec.chatTemplate === "qwen2.5" ? QWEN25_TEMPLATE : CHATML_TEMPLATE)];
}

function describe(path: string, bytes: number, spec: ResolvedSpec, tensors: TensorSource[]): TestModelInfo {
  const parameters = tensors.reduce((sum, t) => sum + t.dims.reduce((a, b) => a * b, 1), 0);
  const idleExperts = spec.experts - spec.expertsUsed;
  const activeParameters = parameters - spec.layers * idleExperts * 3 * spec.embedding * spec.feedForward;
  return {
    path,
    bytes,
    parameters,
    activeParameters,
    architecture: spec.architecture,
    expertCount: spec.experts,
    expertUsedCount: spec.expertsUsed,
    spec,
  };
}

export async function writeTestModel(path: string, spec: TestModelSpec = {}): Promise<TestModelInfo> {
  const resolved = resolveSpec(spec);
  const vocabulary = buildVocabulary();
  const tensors = layout(resolved, vocabulary);
  await mkdir(dirname(path), { recursive: true });
  const bytes = await writeGguf(path, { kv: metadata(resolved, vocabulary), tensors });
  return describe(path, bytes, resolved, tensors);
}

/**
 * Writes `<dir>/<id>.gguf` for each spec, next to a `<id>.gguf.json` record of what was written.
 * A file whose record matches its spec and size is kept: the demo pool and benchmarks reuse them.
 */
export async function writeTestModelSet(dir: string, specs: Record<string, TestModelSpec>): Promise<Record<string, TestModelInfo>> {
  const written: Record<string, TestModelInfo> = {};
  for (const [id, spec] of Object.entries(specs)) {
    const path = join(dir, `${id}.gguf`);
    const record = `${path}.json`;
    const key = JSON.stringify({ version: GENERATOR_VERSION, spec: resolveSpec(spec) });
    const existing = await readFile(record, "utf8").then((text) => JSON.parse(text) as { key: string; info: TestModelInfo }, () => undefined);
    const size = await stat(path).then((s) => s.size, () => -1);
    if (existing && existing.key === key && existing.info.bytes === size) {
      written[id] = { ...existing.info, path };
      continue;
    }
    const info = await writeTestModel(path, spec);
    await writeFile(record, JSON.stringify({ key, info }, null, 2));
    written[id] = info;
  }
  return written;
}
