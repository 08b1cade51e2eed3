/**
 * The trainer's model: exactly the forward pass llama.cpp runs for `general.architecture = "llama"`
 * with a sparse MoE feed-forward (Mixtral layout), written in tfjs so it can be trained:
 * RMSNorm, causal attention scaled by 1/sqrt(head_dim), RoPE rotating adjacent pairs, and a router
 * whose softmax is cut to the top k and renormalised. Weights are kept as [in, out].
 *
 * Speed notes (tfjs-backend-wasm, measured here): matrix products with transpose flags are ~10x
 * slower than plain ones, so `mm` spells its backward pass with explicit transposes; the experts
 * of a layer run as one wide product and are weighted by the router before the down projection.
 */
import * as tf from "@tensorflow/tfjs";

export interface ModelShape {
  vocab: number;
  embedding: number;
  layers: number;
  heads: number;
  experts: number;
  expertsUsed: number;
  feedForward: number;
  contextLength: number;
  ropeBase: number;
  rmsEps: number;
}

export type Weights = Record<string, tf.Variable>;

/** All parameters, and those one token uses (shared ones plus `expertsUsed` experts per layer). */
export function parameterCounts(shape: ModelShape): { parameters: number; activeParameters: number } {
  const { vocab: V, embedding: D, layers: L, experts: X, expertsUsed: K, feedForward: F } = shape;
  const perLayerShared = 4 * D * D + 2 * D + D * X;
  const perExpert = 3 * D * F;
  const shared = 2 * V * D + D + L * perLayerShared;
  return { parameters: shared + L * X * perExpert, activeParameters: shared + L * K * perExpert };
}

/** Matrix product whose gradient uses explicit transposes (see the speed note above). */
export const mm = tf.customGrad(((a: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
  save([a, b]);
  return {
    value: tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sa, sb] = saved as [tf.Tensor2D, tf.Tensor2D];
      const perm = (t: tf.Tensor) => (t.rank === 3 ? tf.transpose(t, [0, 2, 1]) : tf.transpose(t));
      return [tf.matMul(dy as tf.Tensor2D, perm(sb) as tf.Tensor2D), tf.matMul(perm(sa) as tf.Tensor2D, dy as tf.Tensor2D)];
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as (a: tf.Tensor, b: tf.Tensor) => tf.Tensor;

export function initWeights(shape: ModelShape, seed: number): Weights {
  const { vocab: V, embedding: D, layers, experts: X, feedForward: F } = shape;
  let counter = 0;
  const normal = (dims: number[], std: number, name: string) =>
    tf.variable(tf.randomNormal(dims, 0, std, "float32", seed * 1000 + counter++), true);
  const ones = (dims: number[], name: string) => tf.variable(tf.ones(dims), true);
  const w: Weights = {
    tok: normal([V, D], 1 / Math.sqrt(D), "tok"),
    outNorm: ones([D], "outNorm"),
    out: normal([D, V], 1 / Math.sqrt(D), "out"),
  };
  const residualScale = 1 / Math.sqrt(2 * layers);
  for (let l = 0; l < layers; l++) {
    w[`attnNorm${l}`] = ones([D], `attnNorm${l}`);
    w[`q${l}`] = normal([D, D], 1 / Math.sqrt(D), `q${l}`);
    w[`k${l}`] = normal([D, D], 1 / Math.sqrt(D), `k${l}`);
    w[`v${l}`] = normal([D, D], 1 / Math.sqrt(D), `v${l}`);
    w[`o${l}`] = normal([D, D], residualScale / Math.sqrt(D), `o${l}`);
    w[`ffnNorm${l}`] = ones([D], `ffnNorm${l}`);
    w[`router${l}`] = normal([D, X], 1 / Math.sqrt(D), `router${l}`);
    w[`gate${l}`] = normal([D, X * F], 1 / Math.sqrt(D), `gate${l}`);
    w[`up${l}`] = normal([D, X * F], 1 / Math.sqrt(D), `up${l}`);
    w[`down${l}`] = normal([X * F, D], residualScale / Math.sqrt(F), `down${l}`);
  }
  return w;
}

function rmsNorm(x: tf.Tensor, gain: tf.Tensor, eps: number): tf.Tensor {
  const meanSquare = tf.mean(tf.square(x), -1, true);
  return tf.mul(tf.mul(x, tf.rsqrt(tf.add(meanSquare, eps))), gain);
}

/** Constants that depend only on the sequence length: RoPE tables, the pair-rotation matrix, the causal mask. */
export interface SequenceConstants {
  cos: tf.Tensor;
  sin: tf.Tensor;
  rotate: tf.Tensor;
  causal: tf.Tensor;
}

export function sequenceConstants(shape: ModelShape, length: number): SequenceConstants {
  const headDim = shape.embedding / shape.heads;
  const cos = new Float32Array(length * headDim);
  const sin = new Float32Array(length * headDim);
  for (let pos = 0; pos < length; pos++) {
    for (let i = 0; i < headDim / 2; i++) {
      const angle = pos * Math.pow(shape.ropeBase, (-2 * i) / headDim);
      cos[pos * headDim + 2 * i] = cos[pos * headDim + 2 * i + 1] = Math.cos(angle);
      sin[pos * headDim + 2 * i] = sin[pos * headDim + 2 * i + 1] = Math.sin(angle);
    }
  }
  // x @ rotate maps each adjacent pair (x0, x1) to (-x1, x0): RoPE "NORM", as llama.cpp rotates.
  const rotate = new Float32Array(headDim * headDim);
  for (let i = 0; i < headDim / 2; i++) {
    rotate[(2 * i + 1) * headDim + 2 * i] = -1;
    rotate[2 * i * headDim + 2 * i + 1] = 1;
  }
  const causal = new Float32Array(length * length);
  for (let i = 0; i < length; i++) for (let j = i + 1; j < length; j++) causal[i * length + j] = -1e9;
  return {
    cos: tf.tensor(cos, [1, length, 1, headDim]),
    sin: tf.tensor(sin, [1, length, 1, headDim]),
    rotate: tf.tensor(rotate, [headDim, headDim]),
    causal: tf.tensor(causal, [1, length, length]),
  };
}

function rope(x: tf.Tensor, batch: number, length: number, shape: ModelShape, c: SequenceConstants): tf.Tensor {
  const headDim = shape.embedding / shape.heads;
  const rows = tf.reshape(x, [batch * length * shape.heads, headDim]);
  const rotated = tf.reshape(mm(rows, c.rotate), [batch, length, shape.heads, headDim]);
  const plain = tf.reshape(x, [batch, length, shape.heads, headDim]);
  return tf.add(tf.mul(plain, c.cos), tf.mul(rotated, c.sin));
}

/** [batch, length, heads, headDim] -> [batch * heads, length, headDim] */
function headsFirst(x: tf.Tensor, batch: number, length: number, shape: ModelShape): tf.Tensor {
  const headDim = shape.embedding / shape.heads;
  return tf.reshape(tf.transpose(x, [0, 2, 1, 3]), [batch * shape.heads, length, headDim]);
}

/** The router's top-k selection as a constant 0/1 mask: selection is not differentiated, as in llama.cpp. */
function topKMask(probs: Float32Array | Int32Array | Uint8Array, rows: number, experts: number, k: number): tf.Tensor {
  const mask = new Float32Array(rows * experts);
  for (let r = 0; r < rows; r++) {
    const order = Array.from({ length: experts }, (_, e) => e).sort((a, b) => probs[r * experts + b]! - probs[r * experts + a]! || a - b);
    for (let i = 0; i < k; i++) mask[r * experts + order[i]!] = 1;
  }
  return tf.tensor(mask, [rows, experts]);
}

export interface ForwardResult {
  /** [batch * length, vocab] */
  logits: tf.Tensor;
  /** Load-balancing loss (Switch style), averaged over layers. */
  balance: tf.Tensor;
}

/** `inputs` is a one-hot [batch * length, vocab] matrix (a product, not a gather: cheaper to differentiate here). */
export function forward(w: Weights, shape: ModelShape, inputs: tf.Tensor, batch: number, length: number, c: SequenceConstants): ForwardResult {
  const { embedding: D, heads: H, experts: X, expertsUsed: K, feedForward: F, rmsEps: eps } = shape;
  const headDim = D / H;
  const rows = batch * length;
  let x = mm(inputs, w.tok!);
  let balance: tf.Tensor = tf.scalar(0);
  for (let l = 0; l < shape.layers; l++) {
    const h = rmsNorm(x, w[`attnNorm${l}`]!, eps);
    const q = headsFirst(rope(mm(h, w[`q${l}`]!), batch, length, shape, c), batch, length, shape);
    const k = headsFirst(rope(mm(h, w[`k${l}`]!), batch, length, shape, c), batch, length, shape);
    const v = headsFirst(tf.reshape(mm(h, w[`v${l}`]!), [batch, length, H, headDim]), batch, length, shape);
    const scores = tf.add(tf.mul(mm(q, tf.transpose(k, [0, 2, 1])), 1 / Math.sqrt(headDim)), c.causal);
    const attended = mm(tf.softmax(scores), v); // [batch * H, length, headDim]
    const merged = tf.reshape(tf.transpose(tf.reshape(attended, [batch, H, length, headDim]), [0, 2, 1, 3]), [rows, D]);
    x = tf.add(x, mm(merged, w[`o${l}`]!));

    const g = rmsNorm(x, w[`ffnNorm${l}`]!, eps);
    const probs = tf.softmax(mm(g, w[`router${l}`]!));
    const mask = topKMask(probs.dataSync() as Float32Array, rows, X, K);
    const chosen = tf.mul(probs, mask);
    const weights = tf.div(chosen, tf.sum(chosen, -1, true));
    const gate = mm(g, w[`gate${l}`]!);
    const activated = tf.mul(tf.sigmoid(gate), gate); // SiLU
    const hidden = tf.mul(activated, mm(g, w[`up${l}`]!));
    const weighted = tf.reshape(tf.mul(tf.reshape(hidden, [rows, X, F]), tf.reshape(weights, [rows, X, 1])), [rows, X * F]);
    x = tf.add(x, mm(weighted, w[`down${l}`]!));
    // fraction routed to each expert (constant) x mean router probability, times X: 1 when balanced.
    const fraction = tf.mean(mask, 0);
    balance = tf.add(balance, tf.mul(tf.sum(tf.mul(fraction, tf.mean(probs, 0))), X / shape.layers));
  }
  const logits = mm(rmsNorm(x, w.outNorm!, eps), w.out!);
  return { logits, balance };
}
