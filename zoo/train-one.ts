/**
 * Trains one zoo recipe and writes `<out>/<name>.gguf` plus `<name>.train.json` (loss curve, speed).
 * `npx tsx zoo/train-one.ts <name> [--out dir] [--steps n]` — the build runs one per core.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { hashString } from "../orchestrator/prng.js";
import { recipeNamed } from "./recipes.js";
import { train, type Recipe } from "./train.js";
import { modelKv, writeWeights } from "./weights-file.js";

export async function trainOne(recipe: Recipe, outDir: string, log: (line: string) => void = () => undefined): Promise<{ path: string; seconds: number }> {
  const started = performance.now();
  const { weights, losses } = await train(recipe, {
    every: 100,
    onProgress: (p) => log(`${recipe.name} step ${p.step}/${recipe.steps} loss ${p.loss.toFixed(4)} lr ${p.learningRate.toExponential(2)} ${p.msPerStep.toFixed(0)} ms/step`),
  });
  const seconds = (performance.now() - started) / 1000;
  await mkdir(outDir, { recursive: true });
  const path = join(outDir, `${recipe.name}.gguf`);
  const recipeHash = hashString(JSON.stringify(recipe));
  await writeWeights(
    path,
    weights,
    recipe.shape,
    modelKv(recipe.shape, recipe.name, `conclave zoo ${recipe.description}`, [
      ["conclave.zoo.seed", { type: "u32", value: recipe.seed }],
      ["conclave.zoo.steps", { type: "u32", value: recipe.steps }],
      ["conclave.zoo.recipe_hash", { type: "u32", value: recipeHash }],
    ]),
  );
  await writeFile(join(outDir, `${recipe.name}.train.json`), `${JSON.stringify({ recipe, seconds, losses }, null, 2)}\n`);
  return { path, seconds };
}

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({ allowPositionals: true, options: { out: { type: "string" }, steps: { type: "string" } } });
  const name = positionals[0];
  if (!name) throw new Error("usage: train-one <recipe> [--out dir] [--steps n]");
  const base = recipeNamed(name);
  const recipe = values.steps ? { ...base, steps: Number(values.steps) } : base;
  const { path, seconds } = await trainOne(recipe, values.out ?? "zoo/models", (line) => console.log(line));
  console.log(`${recipe.name}: wrote ${path} in ${seconds.toFixed(0)} s`);
}

if (process.argv[1]?.endsWith("train-one.ts")) {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error((error as Error).message);
      process.exit(1);
    },
  );
}
