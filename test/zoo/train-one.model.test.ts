/**
 * A staged training stopped after its first stage keeps the first stage's model: a second
 * stage that is changed afterwards (as the next zoo's were, once the first stages were measured)
 * starts from it without training the first stage again, and ends where an uninterrupted run of
 * the changed recipe ends. A finished model whose recipe gains a stage trains only that stage.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ZOO_SHAPE } from "../../zoo/recipes.js";
import type { Recipe, Stage } from "../../zoo/train.js";
import { trainOne } from "../../zoo/train-one.js";

const ROOT = join(import.meta.dirname, "../..");
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "conclave-zoo-two-stage-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const recipe: Recipe = {
  name: "staged",
  description: "two-stage test",
  seed: 5,
  steps: 5,
  batch: 4,
  learningRate: 3e-3,
  warmup: 1,
  mixture: { addition: 1, reversal: 1 },
  synthesis: 0,
  shape: { ...ZOO_SHAPE, embedding: 16, layers: 1, heads: 2, experts: 2, feedForward: 16 },
  phrasing: "grammar",
  lengthBuckets: 2,
  then: { steps: 4, learningRate: 2e-3, warmup: 1, mixture: { addition: 1 } },
};
const changed: Recipe = { ...recipe, then: { steps: 3, learningRate: 1e-3, warmup: 1, mixture: { addition: 1, reversal: 1 }, augment: 0.5, drill: 0.5 } };

describe("two-stage zoo training", () => {
  it("reuses a finished first stage when the second stage changes", async () => {
    const stopped = join(dir, "stopped");
    const stage1Model = join(stopped, "staged.stage1.gguf");
    // Stops as soon as the first stage's model is written: the second stage has not taken a step.
    const first = await trainOne(recipe, stopped, { shouldStop: () => existsSync(stage1Model) });
    expect(first.path).toBeUndefined();
    expect(existsSync(stage1Model)).toBe(true);

    // Resumed in a fresh process, as the build does: nothing has set up tfjs's backend there yet.
    const script = join(dir, "resume.mts");
    await writeFile(script, `import { trainOne } from ${JSON.stringify(pathToFileURL(join(ROOT, "zoo/train-one.ts")).href)};\nawait trainOne(JSON.parse(process.argv[2]), process.argv[3], { log: (line) => console.log(line) });\n`);
    const lines = execFileSync(process.execPath, ["--import", "tsx", script, JSON.stringify(changed), stopped], { cwd: ROOT, encoding: "utf8" }).split("\n");
    const resumed = { path: join(stopped, "staged.gguf") };
    expect(existsSync(resumed.path)).toBe(true);
    expect(lines.some((line) => line.startsWith("staged step"))).toBe(false);
    expect(lines.some((line) => line.startsWith("staged:stage2 step 3/3"))).toBe(true);
    expect(existsSync(stage1Model)).toBe(false);

    const whole = await trainOne(changed, join(dir, "whole"));
    expect(await readFile(resumed.path!)).toEqual(await readFile(whole.path!));
    // The first recipe's second stage ends elsewhere: the comparison can fail.
    const other = await trainOne(recipe, join(dir, "other"));
    expect(await readFile(other.path!)).not.toEqual(await readFile(whole.path!));
  });

  it("extends a finished model with a stage added to its recipe, training only that stage", async () => {
    const extended: Recipe = { ...changed, then: [changed.then as Stage, { steps: 2, learningRate: 1e-3, warmup: 1, mixture: { counting: 1 }, reasoning: ["counting"] }] };
    const out = join(dir, "extended");
    await trainOne(changed, out);
    const lines: string[] = [];
    const result = await trainOne(extended, out, { log: (line) => lines.push(line) });
    expect(lines.filter((line) => !line.startsWith("staged:stage3 "))).toEqual([]);
    expect(lines.some((line) => line.startsWith("staged:stage3 step 2/2"))).toBe(true);
    const record = JSON.parse(await readFile(join(out, "staged.train.json"), "utf8")) as { recipe: Recipe; losses: Array<{ step: number }> };
    expect(record.recipe).toEqual(extended);
    expect(record.losses.at(-1)!.step).toBe(5 + 3 + 2);
    const whole = await trainOne(extended, join(dir, "extended-whole"));
    expect(await readFile(result.path!)).toEqual(await readFile(whole.path!));
  });
});
