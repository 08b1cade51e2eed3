/**
 * Inference with the trainer's own forward pass: next-token probabilities and greedy answers.
 * Used to check that llama.cpp computes what was trained (the parity test) and by the trainer's
 * quick evaluations. No KV cache: the prompts are a few dozen tokens.
 */
import * as tf from "@tensorflow/tfjs";
import { forward, sequenceConstants, type ModelShape, type Weights } from "./model.js";
import { BOS, EOS, decode, encode } from "./vocabulary.js";

/** Probabilities of the token after [BOS] + prompt, one row per prompt. */
export function nextTokenProbabilities(w: Weights, shape: ModelShape, prompts: readonly string[]): Float32Array[] {
  return prompts.map((prompt) =>
    tf.tidy(() => {
      const ids = [BOS, ...encode(prompt)];
      const c = sequenceConstants(shape, ids.length);
      const { logits } = forward(w, shape, tf.oneHot(tf.tensor1d(ids, "int32"), shape.vocab), 1, ids.length, c);
      const last = tf.slice(logits, [ids.length - 1, 0], [1, shape.vocab]);
      return tf.softmax(last).dataSync() as Float32Array;
    }),
  );
}

/** Greedy answers: prompts of equal token length run together, one token per step until EOS. */
export function greedyAnswers(w: Weights, shape: ModelShape, prompts: readonly string[], maxTokens = 16): string[] {
  const answers: string[] = new Array(prompts.length).fill("");
  const groups = new Map<number, number[]>();
  prompts.forEach((prompt, index) => {
    const length = encode(prompt).length;
    groups.set(length, [...(groups.get(length) ?? []), index]);
  });
  for (const indices of groups.values()) {
    const sequences = indices.map((i) => [BOS, ...encode(prompts[i]!)]);
    const generated: number[][] = indices.map(() => []);
    const done = indices.map(() => false);
    for (let step = 0; step < maxTokens && done.some((d) => !d); step++) {
      const length = sequences[0]!.length;
      const next = tf.tidy(() => {
        const flat = sequences.flat();
        const c = sequenceConstants(shape, length);
        const { logits } = forward(w, shape, tf.oneHot(tf.tensor1d(flat, "int32"), shape.vocab), sequences.length, length, c);
        const last = tf.gather(tf.reshape(logits, [sequences.length, length, shape.vocab]), [length - 1], 1);
        return tf.argMax(tf.reshape(last, [sequences.length, shape.vocab]), -1).dataSync() as Int32Array;
      });
      sequences.forEach((sequence, j) => {
        const token = next[j]!;
        sequence.push(token);
        if (done[j]) return;
        if (token === EOS) done[j] = true;
        else generated[j]!.push(token);
      });
    }
    indices.forEach((index, j) => (answers[index] = decode(generated[j]!)));
  }
  return answers;
}
