/**
 * The training data stream with a position that can be saved: a mulberry32 generator whose state
 * is readable (the same numbers as kernel/prng's mulberry32 for the same seed), and batches drawn
 * from it. With `lengthBuckets` > 1 it draws that many batches at once, sorts the examples by length
 * and serves them as batches of similar length in shuffled order: padding is what a batch of mixed
 * lengths mostly computes. Its position is the generator's state where the current pool began and
 * how many of its batches were served, so a resumed run draws the same batches.
 */
import { drawExample, type Example, type Recipe } from "./train.js";
import { BOS, EOS, encode } from "./vocabulary.js";

export class SeededRandom {
  constructor(public state: number) {}

  readonly next = (): number => {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface StreamPosition {
  poolState: number;
  served: number;
}

function tokenLength(example: Example): number {
  return [BOS, ...encode(example.prompt), ...encode(example.answer), EOS].length;
}

export class ExampleStream {
  private readonly random: SeededRandom;
  private pool: Example[][] = [];
  private poolState: number;
  private served = 0;

  constructor(
    private readonly recipe: Recipe,
    seed: number,
    from?: StreamPosition,
  ) {
    this.random = new SeededRandom(from?.poolState ?? seed);
    this.poolState = this.random.state;
    if (from) {
      this.refill();
      this.served = from.served;
    }
  }

  position(): StreamPosition {
    return { poolState: this.poolState, served: this.served };
  }

  nextBatch(): Example[] {
    if (this.served >= this.pool.length) {
      this.poolState = this.random.state;
      this.refill();
      this.served = 0;
    }
    return this.pool[this.served++]!;
  }

  private refill(): void {
    const buckets = this.recipe.lengthBuckets ?? 1;
    const { batch } = this.recipe;
    const examples = Array.from({ length: batch * buckets }, () => drawExample(this.recipe, this.random.next));
    if (buckets === 1) {
      this.pool = [examples];
      return;
    }
    const sorted = examples.map((example, index) => ({ example, index, length: tokenLength(example) })).sort((a, b) => a.length - b.length || a.index - b.index);
    const pool = Array.from({ length: buckets }, (_, i) => sorted.slice(i * batch, (i + 1) * batch).map((s) => s.example));
    for (let i = pool.length - 1; i > 0; i--) {
      const j = Math.floor(this.random.next() * (i + 1));
      [pool[i], pool[j]] = [pool[j]!, pool[i]!];
    }
    this.pool = pool;
  }
}
