import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { ZOO_CONFIG_PATH, parseConfig } from "../../../orchestrator/config/load.js";

const zoo = dirname(ZOO_CONFIG_PATH);

describe("the embedded default", () => {
  it("serves the zoo with its catalog, tagger, profile and settings when no experts are configured", () => {
    const config = parseConfig({}, "/somewhere/else");
    expect(config.experts.map((e) => e.id)).toEqual(["zoo-numbers", "zoo-letters", "zoo-add-spell", "zoo-sub-sort", "zoo-generalist", "zoo-aggregator"]);
    for (const expert of config.experts) {
      expect(expert.backend).toBe("llama");
      if (expert.backend === "llama") {
        expect(dirname(expert.model)).toBe(join(zoo, "models"));
        expect(expert.promptFormat).toBe("plain");
      }
    }
    expect(config.skills.catalog).toBe(join(zoo, "catalog.yaml"));
    expect(config.skills.tagger).toMatchObject({ kind: "trained", path: join(zoo, "tagger.json") });
    expect(config.routing.profile).toBe(join(zoo, "profiles.json"));
    expect(config.aggregation.synthesisPrompt).toBe("compact");
    expect(config.generation.temperature).toBe(0);
    // Out-of-skill questions are refused on the zoo (the threshold is measured by `npm run bench -- abstain`).
    expect(config.routing.abstain.threshold).toBeGreaterThan(0);
    // Everything else keeps the schema's defaults, anchored where the caller's config lives.
    expect(config.models.dir).toBe("/somewhere/else/models");
  });

  it("lets the config's own settings win over the zoo's", () => {
    const config = parseConfig({ experts: [], generation: { temperature: 0.5 }, routing: { strategy: "category" } }, "/x");
    expect(config.experts).toHaveLength(6);
    expect(config.generation.temperature).toBe(0.5);
    expect(config.generation.maxTokens).toBe(48);
    expect(config.routing.strategy).toBe("category");
    expect(config.routing.category.generalist).toBe("zoo-generalist");
  });

  it("stays out of a config that lists experts", () => {
    const config = parseConfig({ experts: [{ id: "mine", backend: "llama", model: "m.gguf" }] }, "/x");
    expect(config.experts.map((e) => e.id)).toEqual(["mine"]);
    expect(config.skills.catalog).toBe("default");
    expect(config.skills.tagger.kind).toBe("lexical");
    expect(config.generation.temperature).toBe(0.7);
  });

  it("leaves a config that is not an object for the schema to refuse", () => {
    expect(() => parseConfig("experts: none", "/x")).toThrowError(/invalid config/);
  });

  it("gives the synthetic pool (no experts, built-in catalog) when asked", () => {
    const config = parseConfig({ models: { embedded: "synthetic" } }, "/x");
    expect(config.experts).toEqual([]);
    expect(config.skills.catalog).toBe("default");
  });
});
