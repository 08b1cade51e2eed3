/**
 * Accuracy floors of the committed zoo, measured as users run it (node-llama-cpp, greedy, plain
 * prompts) on 30 held-out test questions per skill: each specialist answers its own skills and not
 * the others (different, overlapping mixtures), the generalist spreads thinner, and the aggregator
 * does better than a majority vote where candidate answers disagree. Floors sit ~0.1 under the
 * figures in zoo/manifest.json.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { evaluateModel } from "../../zoo/evaluate.js";
import { committedPhrasing } from "../../zoo/manifest.js";
import { ZOO_RECIPES } from "../../zoo/recipes.js";
import { evaluationSet } from "../../zoo/tasks.js";

const MODELS = join(import.meta.dirname, "../../zoo/models");
const items = evaluationSet("test", 30, 0, committedPhrasing());

/** Per model: floors on its focus skills; every other skill must stay near zero. */
const FLOORS: Record<string, Record<string, number>> = {
  "zoo-numbers": { addition: 0.25, subtraction: 0.3, counting: 0.3 },
  "zoo-letters": { reversal: 0.3, sorting: 0.5, uppercase: 0.4 },
  "zoo-add-spell": { addition: 0.45, reversal: 0.2, uppercase: 0.3 },
  "zoo-sub-sort": { subtraction: 0.1, counting: 0.35, sorting: 0.3 },
  "zoo-generalist": { counting: 0.3, reversal: 0.3, sorting: 0.3, uppercase: 0.4 },
};

describe("the committed zoo", () => {
  it.each(Object.entries(FLOORS))("%s answers its own skills", async (name, floors) => {
    const { direct } = await evaluateModel(join(MODELS, `${name}.gguf`), items, false);
    for (const [skill, floor] of Object.entries(floors)) expect(direct.perSkill[skill], `${name} ${skill}`).toBeGreaterThanOrEqual(floor);
    const mixture = ZOO_RECIPES.find((r) => r.name === name)!.mixture;
    if (name !== "zoo-generalist") {
      for (const [skill, accuracy] of Object.entries(direct.perSkill)) if (!(skill in mixture)) expect(accuracy, `${name} ${skill}`).toBeLessThanOrEqual(0.1);
    }
  });

  it("has an aggregator that beats a majority vote where the candidates disagree", async () => {
    const { synthesis } = await evaluateModel(join(MODELS, "zoo-aggregator.gguf"), items, true);
    expect(synthesis!.disagreeing.sets).toBeGreaterThan(50);
    expect(synthesis!.disagreeing.aggregator).toBeGreaterThan(synthesis!.disagreeing.vote);
  });
});
