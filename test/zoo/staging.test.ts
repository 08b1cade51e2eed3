import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { ModelEntry } from "../../zoo/measure.js";
import { NEXT_RECIPES } from "../../zoo/recipes.js";
import { isDone, readStaging, withEntry } from "../../zoo/staging.js";
import { recipeHash } from "../../zoo/train.js";

const recipe = NEXT_RECIPES[0]!;

function entry(id: string, hash: number): ModelEntry {
  return { id, description: "", file: `models/${id}.gguf`, bytes: 1, sha256: "", recipeHash: hash, training: {}, heldOutAccuracy: { overall: 0, perSkill: {} } };
}

describe("the build's staging record", () => {
  it("counts a model done only when measured for the same recipe", () => {
    expect(isDone({ models: [] }, recipe)).toBe(false);
    expect(isDone({ models: [entry(recipe.name, recipeHash(recipe))] }, recipe)).toBe(true);
    expect(isDone({ models: [entry(recipe.name, recipeHash({ ...recipe, steps: recipe.steps + 1 }))] }, recipe)).toBe(false);
    expect(isDone({ models: [entry("other", recipeHash(recipe))] }, recipe)).toBe(false);
  });

  it("replaces a model's entry and reads a missing record as empty", async () => {
    const staging = withEntry(withEntry({ models: [] }, entry("a", 1)), entry("a", 2));
    expect(staging.models.map((m) => m.recipeHash)).toEqual([2]);
    const dir = await mkdtemp(join(tmpdir(), "conclave-zoo-staging-"));
    try {
      expect(await readStaging(join(dir, "manifest.json"))).toEqual({ models: [] });
      await writeFile(join(dir, "manifest.json"), JSON.stringify(staging));
      expect(await readStaging(join(dir, "manifest.json"))).toEqual(staging);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
