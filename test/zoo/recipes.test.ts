import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { NEXT_RECIPES } from "../../zoo/recipes.js";
import { recipeHash, stagesOf } from "../../zoo/train.js";
import { drawItem, SKILL_IDS } from "../../zoo/tasks.js";
import { traceOf } from "../../zoo/reasoning.js";
import { mulberry32 } from "../../kernel/prng.js";

const committed = JSON.parse(readFileSync(join(import.meta.dirname, "../../zoo/manifest.json"), "utf8")) as {
  models: Array<{ id: string; recipeHash: number }>;
};

describe("the zoo's recipes", () => {
  it("are what the committed models were trained from (so `npm run zoo:build` rebuilds this zoo)", () => {
    for (const recipe of NEXT_RECIPES) {
      const model = committed.models.find((m) => m.id === recipe.name);
      expect(model?.recipeHash, recipe.name).toBe(recipeHash(recipe));
    }
  });

  it("think only on skills a model is trained on, and only on skills that have a trace", () => {
    const random = mulberry32(1);
    for (const recipe of NEXT_RECIPES) {
      for (const stage of stagesOf(recipe)) {
        for (const skill of stage.reasoning ?? []) {
          expect(SKILL_IDS).toContain(skill);
          expect(traceOf(drawItem(skill, "train", random, "grammar")), `${stage.name} ${skill}`).toBeDefined();
          expect(Object.keys(stage.mixture), `${stage.name} ${skill}`).toContain(skill);
        }
      }
    }
  });

  it("keep a single later stage as an object, multi-stage chains as a list", () => {
    for (const recipe of NEXT_RECIPES) {
      const later = stagesOf(recipe).length - 1;
      if (later === 1) expect(Array.isArray(recipe.then), recipe.name).toBe(false);
      if (later > 1) expect(Array.isArray(recipe.then), recipe.name).toBe(true);
    }
  });
});
