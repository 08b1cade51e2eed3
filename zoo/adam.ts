/**
 * Adam as tfjs's AdamOptimizer computes it (same update, same bias correction by running products
 * of beta1 and beta2), with its whole state in the open: the moments by variable name and the two
 * running products, so a checkpoint can save and restore it exactly.
 */
import * as tf from "@tensorflow/tfjs";
import type { Weights } from "./model.js";

export interface AdamState {
  /** beta1^(t+1) and beta2^(t+1) after t steps, as the running products tfjs keeps. */
  beta1Power: number;
  beta2Power: number;
  firstMoment: Record<string, Float32Array>;
  secondMoment: Record<string, Float32Array>;
}

export class Adam {
  private readonly m: Record<string, tf.Variable> = {};
  private readonly v: Record<string, tf.Variable> = {};
  private readonly beta1Power: tf.Variable;
  private readonly beta2Power: tf.Variable;

  constructor(
    weights: Weights,
    private readonly beta1 = 0.9,
    private readonly beta2 = 0.98,
    private readonly epsilon = 1e-8,
    from?: AdamState,
  ) {
    for (const [name, w] of Object.entries(weights)) {
      const shape = w.shape;
      this.m[name] = tf.variable(from ? tf.tensor(from.firstMoment[name]!, shape) : tf.zerosLike(w), false);
      this.v[name] = tf.variable(from ? tf.tensor(from.secondMoment[name]!, shape) : tf.zerosLike(w), false);
    }
    this.beta1Power = tf.variable(tf.scalar(from?.beta1Power ?? beta1), false);
    this.beta2Power = tf.variable(tf.scalar(from?.beta2Power ?? beta2), false);
  }

  apply(weights: Weights, grads: Record<string, tf.Tensor>, learningRate: number): void {
    tf.tidy(() => {
      const oneMinusBeta1Power = tf.sub(1, this.beta1Power);
      const oneMinusBeta2Power = tf.sub(1, this.beta2Power);
      for (const [name, gradient] of Object.entries(grads)) {
        const m = this.m[name]!;
        const v = this.v[name]!;
        const newM = tf.add(tf.mul(m, this.beta1), tf.mul(gradient, 1 - this.beta1));
        const newV = tf.add(tf.mul(v, this.beta2), tf.mul(tf.square(gradient), 1 - this.beta2));
        const correctedM = tf.div(newM, oneMinusBeta1Power);
        const correctedV = tf.div(newV, oneMinusBeta2Power);
        m.assign(newM);
        v.assign(newV);
        const value = weights[name]!;
        value.assign(tf.add(tf.mul(tf.div(correctedM, tf.add(tf.sqrt(correctedV), this.epsilon)), -learningRate), value));
      }
      this.beta1Power.assign(tf.mul(this.beta1Power, this.beta1));
      this.beta2Power.assign(tf.mul(this.beta2Power, this.beta2));
    });
  }

  state(): AdamState {
    const read = (moments: Record<string, tf.Variable>) => Object.fromEntries(Object.entries(moments).map(([name, t]) => [name, t.dataSync() as Float32Array]));
    return { beta1Power: this.beta1Power.dataSync()[0]!, beta2Power: this.beta2Power.dataSync()[0]!, firstMoment: read(this.m), secondMoment: read(this.v) };
  }

  dispose(): void {
    for (const t of [...Object.values(this.m), ...Object.values(this.v), this.beta1Power, this.beta2Power]) t.dispose();
  }
}
