/**
 * The build's record of the next zoo in zoo/checkpoints/manifest.json: which models are trained
 * and measured. A model counts as done only for the very recipe it was trained with, so changing
 * a recipe retrains that model and nothing else.
 */
import { readFile } from "node:fs/promises";
import type { ModelEntry } from "./measure.js";
import { recipeHash, type Recipe } from "./train.js";

export interface Staging {
  models: ModelEntry[];
  comparison?: unknown;
}

export async function readStaging(path: string): Promise<Staging> {
  return readFile(path, "utf8").then(
    (text) => JSON.parse(text) as Staging,
    (error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") return { models: [] };
      throw error;
    },
  );
}

/** Done: its GGUF was written and measured for this very recipe. */
export function isDone(staging: Staging, recipe: Recipe): boolean {
  return staging.models.some((m) => m.id === recipe.name && m.recipeHash === recipeHash(recipe));
}

export function withEntry(staging: Staging, entry: ModelEntry): Staging {
  return { ...staging, models: [...staging.models.filter((m) => m.id !== entry.id), entry] };
}
