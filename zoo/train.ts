/**
 * The training loop: batches of one recipe's data mixture, cross-entropy on the answer and EOS
 * only (the prompt is given), plus a small load-balancing loss on the routers; Adam with warm-up
 * and cosine decay, gradients clipped by global norm. Deterministic for a seed on one machine.
 */
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { renderPlainPrompt } from "../experts/llama/plain-prompt.js";
import { hashString } from "../kernel/prng.js";
import { candidateSet, synthesisPrompt } from "./candidates.js";
import { forward, initWeights, sequenceConstants, type ModelShape, type SequenceConstants, type Weights } from "./model.js";
import { Adam } from "./adam.js";
import { readCheckpoint, writeCheckpoint } from "./checkpoint.js";
import { ExampleStream } from "./stream.js";
import { workedAnswer } from "./reasoning.js";
import { drawItem, type Phrasing } from "./tasks.js";
import { BOS, EOS, encode } from "./vocabulary.js";

export interface Recipe {
  name: string;
  description: string;
  seed: number;
  steps: number;
  batch: number;
  learningRate: number;
  warmup: number;
  /** Relative weight of each skill's questions. */
  mixture: Record<string, number>;
  /** Share of examples that are synthesis tasks (question + candidates -> the right answer). */
  synthesis: number;
  shape: ModelShape;
  /** Where the training questions' wording comes from (default `fixed`: the committed zoo's). */
  phrasing?: Phrasing;
  /** Batches drawn at once and grouped by length (default 1: no grouping); see zoo/stream.ts. */
  lengthBuckets?: number;
  /** Share of training questions whose frame is scrambled (zoo/phrasing/augment.ts). */
  augment?: number;
  /** Share of training questions drawn as drills: the shortest training frame, bare. */
  drill?: number;
  /** Share of training questions with distractor words beside an operand (zoo/phrasing/distract.ts). */
  distract?: number;
  /** Skills whose answers are worked: `<think>trace</think>answer` (zoo/reasoning.ts). */
  reasoning?: readonly string[];
  /**
   * Later stages, each continuing from the previous one's weights (fresh optimizer, warm-up and
   * decay), e.g. to up-weight a skill that is learnt late. Each stage's data stream has its own
   * seed, so a stage can also be run alone from the previous stage's saved model.
   */
  then?: Stage | readonly Stage[];
}

export type Stage = Pick<Recipe, "steps" | "learningRate" | "warmup" | "mixture"> & Partial<Pick<Recipe, "augment" | "drill" | "distract" | "reasoning" | "batch">>;

/** The recipe a first stage trains with: the recipe without its later stages (so adding one keeps a first stage's checkpoint). */
export function firstStage(recipe: Recipe): Recipe {
  const { then: _then, ...first } = recipe;
  return first;
}

/** Every stage's recipe, in order: the first stage, then `<name>:stage2`, `<name>:stage3`, ... */
export function stagesOf(recipe: Recipe): Recipe[] {
  const first = firstStage(recipe);
  const later = recipe.then === undefined ? [] : Array.isArray(recipe.then) ? (recipe.then as readonly Stage[]) : [recipe.then as Stage];
  return [first, ...later.map((stage, i) => ({ ...first, ...stage, name: `${recipe.name}:stage${i + 2}` }))];
}

/** Steps of all stages. */
export function totalSteps(recipe: Recipe): number {
  return stagesOf(recipe).reduce((sum, stage) => sum + stage.steps, 0);
}

export const BALANCE_WEIGHT = 0.01;
const CLIP_NORM = 1;

let backendReady: Promise<void> | undefined;

/** The wasm backend, single-threaded (it is the fast one here; the pure-JS backend is ~25x slower). */
export function useWasmBackend(): Promise<void> {
  backendReady ??= (async () => {
    await tf.setBackend("wasm");
    await tf.ready();
  })();
  return backendReady;
}

export function promptOf(question: string): string {
  return renderPlainPrompt([{ role: "user", content: question }]);
}

export interface Example {
  prompt: string;
  answer: string;
}

/** Draws one training example of the recipe's mixture. */
export function drawExample(recipe: Recipe, random: () => number): Example {
  const skills = Object.keys(recipe.mixture);
  const total = skills.reduce((sum, s) => sum + recipe.mixture[s]!, 0);
  let pick = random() * total;
  let skill = skills[skills.length - 1]!;
  for (const s of skills) {
    pick -= recipe.mixture[s]!;
    if (pick < 0) {
      skill = s;
      break;
    }
  }
  const item = drawItem(skill, "train", random, recipe.phrasing, { augment: recipe.augment, drill: recipe.drill, distract: recipe.distract });
  if (random() < recipe.synthesis) {
    const k = random() < 0.5 ? 2 : 3;
    return { prompt: synthesisPrompt(item.question, candidateSet(item.answer, k, random)), answer: item.answer };
  }
  return { prompt: promptOf(item.question), answer: workedAnswer(item, recipe.reasoning) };
}

export interface Batch {
  inputs: tf.Tensor;
  targets: tf.Tensor;
  mask: tf.Tensor;
  batch: number;
  length: number;
}

/** [BOS] prompt answer [EOS]; inputs are all but the last token, targets all but the first; loss on answer + EOS. */
export function makeBatch(examples: readonly Example[], vocab: number): Batch {
  const sequences = examples.map((e) => {
    const prompt = [BOS, ...encode(e.prompt)];
    return { tokens: [...prompt, ...encode(e.answer), EOS], answerFrom: prompt.length };
  });
  const length = Math.max(...sequences.map((s) => s.tokens.length)) - 1;
  const batch = examples.length;
  const inputIds = new Int32Array(batch * length).fill(EOS);
  const targetIds = new Int32Array(batch * length).fill(EOS);
  const mask = new Float32Array(batch * length);
  sequences.forEach((s, b) => {
    for (let t = 0; t < s.tokens.length - 1; t++) {
      inputIds[b * length + t] = s.tokens[t]!;
      targetIds[b * length + t] = s.tokens[t + 1]!;
      // Position t predicts token t + 1: the loss covers predictions of answer tokens and EOS.
      if (t + 1 >= s.answerFrom) mask[b * length + t] = 1;
    }
  });
  return {
    inputs: tf.oneHot(tf.tensor1d(inputIds, "int32"), vocab),
    targets: tf.oneHot(tf.tensor1d(targetIds, "int32"), vocab),
    mask: tf.tensor1d(mask),
    batch,
    length,
  };
}

export function lossOf(w: Weights, shape: ModelShape, b: Batch, c: SequenceConstants): { loss: tf.Scalar; answerLoss: tf.Scalar } {
  const { logits, balance } = forward(w, shape, b.inputs, b.batch, b.length, c);
  const logProbs = tf.logSoftmax(logits);
  const perToken = tf.neg(tf.sum(tf.mul(logProbs, b.targets), -1));
  const answerLoss = tf.div(tf.sum(tf.mul(perToken, b.mask)), tf.sum(b.mask)) as tf.Scalar;
  return { loss: tf.add(answerLoss, tf.mul(balance, BALANCE_WEIGHT)) as tf.Scalar, answerLoss };
}

export function learningRateAt(recipe: Recipe, step: number): number {
  if (step < recipe.warmup) return (recipe.learningRate * (step + 1)) / recipe.warmup;
  const progress = (step - recipe.warmup) / Math.max(1, recipe.steps - recipe.warmup);
  return recipe.learningRate * (0.1 + 0.9 * 0.5 * (1 + Math.cos(Math.PI * progress)));
}

export interface TrainProgress {
  step: number;
  loss: number;
  learningRate: number;
  msPerStep: number;
}

export interface TrainOptions {
  onProgress?: (p: TrainProgress) => void;
  /** Progress (and loss curve) every this many steps. */
  every?: number;
  /** Starting weights (a second stage); ignored when a checkpoint is resumed. */
  weights?: Weights;
  onStep?: (step: number, weights: Weights) => void;
  /** Where to keep this run's checkpoint, every how many steps (a multiple of `every`). */
  checkpoint?: { path: string; every: number };
  /** Stop (after checkpointing) once this many steps are done: an interruption, for tests. */
  stopAfter?: number;
  /** Checked between steps: true stops the run after a checkpoint. */
  shouldStop?: () => boolean;
}

export function recipeHash(recipe: Recipe): number {
  return hashString(JSON.stringify(recipe));
}

/** Trains `recipe`, continuing from its checkpoint when one exists for this very recipe. */
export async function train(recipe: Recipe, options: TrainOptions = {}): Promise<{ weights: Weights; losses: Array<{ step: number; loss: number }>; seconds: number; complete: boolean }> {
  await useWasmBackend();
  const hash = recipeHash(recipe);
  const saved = options.checkpoint ? await readCheckpoint(options.checkpoint.path) : undefined;
  const resumed = saved?.recipeHash === hash ? saved : undefined;
  const weights: Weights = resumed
    ? Object.fromEntries(Object.entries(resumed.weights).map(([name, data]) => [name, tf.variable(tf.tensor(data, resumed.shapes[name]!), true)]))
    : (options.weights ?? initWeights(recipe.shape, recipe.seed));
  const stream = new ExampleStream(recipe, hashString(`${recipe.name}:${recipe.seed}`), resumed?.stream);
  const adam = new Adam(weights, 0.9, 0.98, 1e-8, resumed?.adam);
  // Gradients come back keyed by tfjs's own variable names.
  const nameOf = new Map(Object.entries(weights).map(([key, w]) => [w.name, key]));
  const constants = new Map<number, SequenceConstants>();
  const every = options.every ?? 50;
  const losses: Array<{ step: number; loss: number }> = resumed ? [...resumed.losses] : [];
  const started = performance.now();
  const secondsBefore = resumed?.seconds ?? 0;
  const seconds = () => secondsBefore + (performance.now() - started) / 1000;
  const save = async (step: number) => {
    if (!options.checkpoint) return;
    const shapes = Object.fromEntries(Object.entries(weights).map(([name, w]) => [name, w.shape]));
    const data = Object.fromEntries(Object.entries(weights).map(([name, w]) => [name, w.dataSync() as Float32Array]));
    await writeCheckpoint(options.checkpoint.path, { recipeHash: hash, step, stream: stream.position(), adam: adam.state(), weights: data, shapes, losses, seconds: seconds() });
  };
  let windowLoss = 0;
  let windowStart = performance.now();
  let step = resumed?.step ?? 0;
  // Checkpointed as it starts, so that a second stage is known to have begun (and from what).
  if (!resumed) await save(0);
  for (; step < recipe.steps; step++) {
    // A step is synchronous tfjs work: yield once per step so that a SIGTERM's handler runs now,
    // not at the next checkpoint (up to `checkpoint.every` steps later).
    await new Promise((resolve) => setImmediate(resolve));
    if ((options.stopAfter !== undefined && step >= options.stopAfter) || options.shouldStop?.()) break;
    const examples = stream.nextBatch();
    const lr = learningRateAt(recipe, step);
    const loss = tf.tidy(() => {
      const b = makeBatch(examples, recipe.shape.vocab);
      let c = constants.get(b.length);
      if (!c) {
        // Made inside the step's tidy scope, so kept explicitly; reused by every step of this length.
        c = sequenceConstants(recipe.shape, b.length);
        for (const t of Object.values(c)) tf.keep(t);
        constants.set(b.length, c);
      }
      const fixed = c;
      const { value, grads } = tf.variableGrads(() => lossOf(weights, recipe.shape, b, fixed).loss, Object.values(weights));
      const norm = tf.sqrt(tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g)))));
      const scale = tf.minimum(tf.scalar(1), tf.div(CLIP_NORM, tf.add(norm, 1e-6)));
      const clipped: Record<string, tf.Tensor> = {};
      for (const [name, g] of Object.entries(grads)) clipped[nameOf.get(name)!] = tf.mul(g, scale);
      adam.apply(weights, clipped, lr);
      return value.dataSync()[0]!;
    });
    windowLoss += loss;
    if ((step + 1) % every === 0 || step === recipe.steps - 1) {
      const count = (step % every) + 1;
      const ms = (performance.now() - windowStart) / count;
      losses.push({ step: step + 1, loss: windowLoss / count });
      options.onProgress?.({ step: step + 1, loss: windowLoss / count, learningRate: lr, msPerStep: ms });
      windowLoss = 0;
      windowStart = performance.now();
    }
    options.onStep?.(step + 1, weights);
    if (options.checkpoint && (step + 1) % options.checkpoint.every === 0 && step + 1 < recipe.steps) await save(step + 1);
  }
  const complete = step >= recipe.steps;
  if (!complete) await save(step);
  adam.dispose();
  for (const c of constants.values()) for (const t of Object.values(c)) t.dispose();
  return { weights, losses, seconds: seconds(), complete };
}
