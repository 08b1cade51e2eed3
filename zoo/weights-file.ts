/**
 * Trained weights to GGUF and back. Training keeps matrices as [in, out]; GGUF stores a matrix
 * with ne = [in, out], i.e. row-major [out][in], so every matrix is written transposed. Expert
 * tensors are [in, out, expert] in ne order: one transposed block per expert.
 */
import * as tf from "@tensorflow/tfjs";
import { readFile } from "node:fs/promises";
import { readGgufFileInfo } from "node-llama-cpp";
import { writeGguf, type KvValue, type TensorSource } from "../experts/testmodels/gguf-writer.js";
import type { ModelShape, Weights } from "./model.js";
import { vocabularyKv } from "./vocabulary.js";

/** Row-major [rows, cols] -> row-major [cols, rows]. */
function transpose(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c]!;
  return out;
}

function source(name: string, dims: number[], data: Float32Array): TensorSource {
  const rowLength = dims[0]!;
  return { name, dims, type: "F32", fillRow: (row, out) => out.set(data.subarray(row * rowLength, (row + 1) * rowLength)) };
}

/**
 * Where each value of an expert tensor goes: `order[g]` is the index in the training matrix
 * ([D, X*F] for gate/up, [X*F, D] for down) of GGUF value g (ne [D, F, X] / [F, D, X]: one
 * transposed block per expert). One mapping serves writing and reading back.
 */
function expertOrder(shape: ModelShape, down: boolean): Uint32Array {
  const { embedding: D, experts: X, feedForward: F } = shape;
  const order = new Uint32Array(D * X * F);
  for (let e = 0; e < X; e++) {
    for (let f = 0; f < F; f++) {
      for (let i = 0; i < D; i++) {
        if (down) order[e * D * F + i * F + f] = (e * F + f) * D + i;
        else order[e * F * D + f * D + i] = i * X * F + e * F + f;
      }
    }
  }
  return order;
}

function toExpertBlocks(data: Float32Array, shape: ModelShape, down: boolean): Float32Array {
  const order = expertOrder(shape, down);
  return Float32Array.from(order, (from) => data[from]!);
}

function fromExpertBlocks(data: Float32Array, shape: ModelShape, down: boolean): Float32Array {
  const out = new Float32Array(data.length);
  expertOrder(shape, down).forEach((to, g) => (out[to] = data[g]!));
  return out;
}

function tensors(weights: Record<string, Float32Array>, shape: ModelShape): TensorSource[] {
  const { vocab: V, embedding: D, experts: X, feedForward: F } = shape;
  const get = (name: string) => weights[name]!;
  const list = [
    source("token_embd.weight", [D, V], get("tok")),
    source("output_norm.weight", [D], get("outNorm")),
    source("output.weight", [D, V], transpose(get("out"), D, V)),
  ];
  for (let l = 0; l < shape.layers; l++) {
    const p = `blk.${l}.`;
    list.push(
      source(`${p}attn_norm.weight`, [D], get(`attnNorm${l}`)),
      source(`${p}attn_q.weight`, [D, D], transpose(get(`q${l}`), D, D)),
      source(`${p}attn_k.weight`, [D, D], transpose(get(`k${l}`), D, D)),
      source(`${p}attn_v.weight`, [D, D], transpose(get(`v${l}`), D, D)),
      source(`${p}attn_output.weight`, [D, D], transpose(get(`o${l}`), D, D)),
      source(`${p}ffn_norm.weight`, [D], get(`ffnNorm${l}`)),
      source(`${p}ffn_gate_inp.weight`, [D, X], transpose(get(`router${l}`), D, X)),
      source(`${p}ffn_gate_exps.weight`, [D, F, X], toExpertBlocks(get(`gate${l}`), shape, false)),
      source(`${p}ffn_up_exps.weight`, [D, F, X], toExpertBlocks(get(`up${l}`), shape, false)),
      source(`${p}ffn_down_exps.weight`, [F, D, X], toExpertBlocks(get(`down${l}`), shape, true)),
    );
  }
  return list;
}

export function modelKv(shape: ModelShape, name: string, description: string, extra: Array<readonly [string, KvValue]> = []): Array<readonly [string, KvValue]> {
  const u32 = (value: number): KvValue => ({ type: "u32", value });
  const f32 = (value: number): KvValue => ({ type: "f32", value });
  return [
    ["general.architecture", { type: "string", value: "llama" }],
    ["general.name", { type: "string", value: name }],
    ["general.description", { type: "string", value: description }],
    ["general.file_type", u32(0)],
    ["llama.context_length", u32(shape.contextLength)],
    ["llama.embedding_length", u32(shape.embedding)],
    ["llama.block_count", u32(shape.layers)],
    ["llama.feed_forward_length", u32(shape.feedForward)],
    ["llama.attention.head_count", u32(shape.heads)],
    ["llama.attention.head_count_kv", u32(shape.heads)],
    ["llama.attention.layer_norm_rms_epsilon", f32(shape.rmsEps)],
    ["llama.rope.freq_base", f32(shape.ropeBase)],
    ["llama.rope.dimension_count", u32(shape.embedding / shape.heads)],
    ["llama.vocab_size", u32(shape.vocab)],
    ["llama.expert_count", u32(shape.experts)],
    ["llama.expert_used_count", u32(shape.expertsUsed)],
    ...extra,
    ...vocabularyKv(),
  ];
}

export async function writeWeights(path: string, weights: Weights, shape: ModelShape, kv: Array<readonly [string, KvValue]>): Promise<number> {
  const data: Record<string, Float32Array> = {};
  for (const [name, variable] of Object.entries(weights)) data[name] = variable.dataSync() as Float32Array;
  return writeGguf(path, { kv, tensors: tensors(data, shape) });
}

/** Reads a zoo GGUF back into training weights (for the parity check and fine-tuning). */
export async function readWeights(path: string, shape: ModelShape): Promise<Weights> {
  const info = await readGgufFileInfo(path, { readTensorInfo: true });
  const bytes = await readFile(path);
  const raw: Record<string, Float32Array> = {};
  for (const tensor of info.fullTensorInfo ?? info.tensorInfo ?? []) {
    const count = tensor.dimensions.reduce<number>((a, b) => a * Number(b), 1);
    const offset = Number(tensor.fileOffset);
    raw[tensor.name] = new Float32Array(bytes.buffer.slice(bytes.byteOffset + offset, bytes.byteOffset + offset + count * 4));
  }
  const { vocab: V, embedding: D, experts: X, feedForward: F } = shape;
  const need = (name: string) => {
    const data = raw[name];
    if (!data) throw new Error(`${path}: tensor ${name} is missing`);
    return data;
  };
  const w: Weights = {};
  const put = (name: string, data: Float32Array, dims: number[]) => (w[name] = tf.variable(tf.tensor(data, dims), true));
  put("tok", need("token_embd.weight"), [V, D]);
  put("outNorm", need("output_norm.weight"), [D]);
  put("out", transpose(need("output.weight"), V, D), [D, V]);
  for (let l = 0; l < shape.layers; l++) {
    const p = `blk.${l}.`;
    put(`attnNorm${l}`, need(`${p}attn_norm.weight`), [D]);
    for (const [key, name] of [["q", "attn_q"], ["k", "attn_k"], ["v", "attn_v"], ["o", "attn_output"]] as const) {
      put(`${key}${l}`, transpose(need(`${p}${name}.weight`), D, D), [D, D]);
    }
    put(`ffnNorm${l}`, need(`${p}ffn_norm.weight`), [D]);
    put(`router${l}`, transpose(need(`${p}ffn_gate_inp.weight`), X, D), [D, X]);
    put(`gate${l}`, fromExpertBlocks(need(`${p}ffn_gate_exps.weight`), shape, false), [D, X * F]);
    put(`up${l}`, fromExpertBlocks(need(`${p}ffn_up_exps.weight`), shape, false), [D, X * F]);
    put(`down${l}`, fromExpertBlocks(need(`${p}ffn_down_exps.weight`), shape, true), [X * F, D]);
  }
  return w;
}
