/**
 * A stopped training resumed from its checkpoint ends with exactly the weights of an uninterrupted
 * run (tiny model, a few steps, length-bucketed grammar data, so the data stream's position and
 * Adam's state both have to survive), and a checkpoint of another recipe is not resumed.
 */
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readCheckpoint } from "../../zoo/checkpoint.js";
import type { Weights } from "../../zoo/model.js";
import { ZOO_SHAPE } from "../../zoo/recipes.js";
import { train, type Recipe } from "../../zoo/train.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "conclave-zoo-ckpt-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const recipe: Recipe = {
  name: "resume",
  description: "resume test",
  seed: 3,
  steps: 7,
  batch: 4,
  learningRate: 3e-3,
  warmup: 2,
  mixture: { addition: 1, reversal: 1 },
  synthesis: 0,
  shape: { ...ZOO_SHAPE, embedding: 16, layers: 1, heads: 2, experts: 2, feedForward: 16 },
  phrasing: "grammar",
  lengthBuckets: 3,
};

function values(weights: Weights): Record<string, number[]> {
  return Object.fromEntries(Object.entries(weights).map(([name, w]) => [name, Array.from(w.dataSync())]));
}

describe("zoo training checkpoints", () => {
  it("resumes a stopped run to the same weights as an uninterrupted one", async () => {
    const whole = await train(recipe, { every: 1 });
    expect(whole.complete).toBe(true);

    const path = join(dir, "resume.ckpt");
    const stopped = await train(recipe, { every: 1, checkpoint: { path, every: 2 }, stopAfter: 4 });
    expect(stopped.complete).toBe(false);
    expect((await readCheckpoint(path))!.step).toBe(4);
    const resumed = await train(recipe, { every: 1, checkpoint: { path, every: 2 } });
    expect(resumed.complete).toBe(true);

    expect(values(resumed.weights)).toEqual(values(whole.weights));
    expect(resumed.losses).toEqual(whole.losses);
    // The stopped run's weights differ: the comparison can fail.
    expect(values(stopped.weights)).not.toEqual(values(whole.weights));
  });

  it("does not resume a checkpoint of another recipe", async () => {
    const path = join(dir, "other.ckpt");
    await train(recipe, { every: 1, checkpoint: { path, every: 2 }, stopAfter: 2 });
    const changed = { ...recipe, learningRate: 1e-3 };
    const run = await train(changed, { every: 1, checkpoint: { path, every: 100 } });
    const fresh = await train(changed, { every: 1 });
    // Resumed, its second loss would be the first recipe's (taken after a step at another rate).
    expect(run.losses).toEqual(fresh.losses);
    expect(values(run.weights)).toEqual(values(fresh.weights));
    expect((await stat(path)).size).toBeGreaterThan(0);
  });

  it("lets other work run between steps, so a stop request (SIGTERM's handler) takes effect at the next step", async () => {
    const path = join(dir, "stop.ckpt");
    let stop = false;
    // Asked from a macrotask, as a signal handler runs; the checkpoint is written only every 100 steps.
    const run = await train(recipe, { every: 1, checkpoint: { path, every: 100 }, shouldStop: () => stop, onStep: (step) => step === 3 && setImmediate(() => (stop = true)) });
    expect(run.complete).toBe(false);
    expect((await readCheckpoint(path))!.step).toBe(3);
  });
});
