/**
 * A zoo model measured for its manifest entry: file facts, training record, accuracy per skill on
 * a test split (node-llama-cpp, greedy, plain prompts), and how the entries of two zoos compare.
 */
import { createHash } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import { evaluateModel, type SkillAccuracy, type SynthesisAccuracy } from "./evaluate.js";
import type { TaskItem } from "./tasks.js";
import { recipeHash, type Recipe } from "./train.js";

export interface ModelEntry {
  id: string;
  description: string;
  file: string;
  bytes: number;
  sha256: string;
  recipeHash?: number;
  training: Record<string, unknown>;
  heldOutAccuracy: SkillAccuracy;
  synthesis?: SynthesisAccuracy;
}

async function sha256(path: string): Promise<string> {
  return createHash("sha256").update(await readFile(path)).digest("hex");
}

/** Measures `<dir>/<name>.gguf`, trained by `recipe` (its `.train.json` beside it). */
export async function measureModel(dir: string, recipe: Recipe, test: readonly TaskItem[]): Promise<ModelEntry> {
  const file = join(dir, `${recipe.name}.gguf`);
  const record = JSON.parse(await readFile(join(dir, `${recipe.name}.train.json`), "utf8")) as { seconds: number; losses: Array<{ step: number; loss: number }> };
  const measured = await evaluateModel(file, test, recipe.synthesis > 0);
  const { name, description, shape: _shape, ...training } = recipe;
  return {
    id: name,
    description,
    file: `models/${basename(file)}`,
    bytes: (await stat(file)).size,
    sha256: await sha256(file),
    recipeHash: recipeHash(recipe),
    training: { ...training, seconds: Math.round(record.seconds), finalLoss: record.losses.at(-1)?.loss },
    heldOutAccuracy: measured.direct,
    ...(measured.synthesis ? { synthesis: measured.synthesis } : {}),
  };
}

/** Per answering model, its mean accuracy on its own skills (the generalist's are all six). */
export function ownSkillAccuracy(entries: readonly Pick<ModelEntry, "id" | "heldOutAccuracy">[], recipes: readonly Recipe[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const entry of entries) {
    const recipe = recipes.find((r) => r.name === entry.id);
    if (!recipe || recipe.synthesis > 0) continue;
    const skills = Object.keys(recipe.mixture);
    out[entry.id] = Math.round((skills.reduce((sum, s) => sum + (entry.heldOutAccuracy.perSkill[s] ?? 0), 0) / skills.length) * 1000) / 1000;
  }
  return out;
}

export function mean(values: readonly number[]): number {
  return values.length === 0 ? 0 : Math.round((values.reduce((a, b) => a + b, 0) / values.length) * 1000) / 1000;
}
