/**
 * skills.tagger.kind: trained from a config file: the path resolves against the config's folder, the
 * router tags with the trained tagger, and the category strategy classifies with it, its probability
 * feeding the fallback threshold.
 */
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig, parseConfig } from "../../orchestrator/config/load.js";
import { buildRouter } from "../../orchestrator/router.js";
import type { Scheduler } from "../../orchestrator/scheduler/scheduler.js";
import { DEFAULT_CATALOG } from "../../skills/default-catalog.js";
import { parseLabelledExamples } from "../../skills/labelled-examples.js";
import { TrainedTagger } from "../../skills/trained-tagger.js";

const EXAMPLES = [
  ...["Solve for x in 3x + 5 = 20", "Factor the polynomial x^2 - 5x + 6", "What is the derivative of x^3?", "Find the integral of 2x dx", "Simplify the fraction 12/18"].map(
    (text) => ({ text, label: "math" }),
  ),
  ...["Write a SQL query joining orders and customers", "Select rows from the users table", "Create an index on a database column", "Group sales by region in SQL", "Delete duplicate rows from a table"].map(
    (text) => ({ text, label: "sql" }),
  ),
]
  .map((row) => JSON.stringify(row))
  .join("\n");

const remote = (id: string) => ({ id, backend: "remote", baseUrl: "http://127.0.0.1:9/v1", model: id });
// The trained tagger never calls the scheduler; anything it touched would throw.
const noScheduler = {} as Scheduler;

describe("trained tagger from config", () => {
  it("loads kind: trained with a path relative to the config file, tags and routes with it", async () => {
    const dir = await mkdtemp(join(tmpdir(), "conclave-trained-config-"));
    await TrainedTagger.fit(parseLabelledExamples(EXAMPLES, "examples")).save(join(dir, "tagger.json"));
    const yaml = [
      "experts:",
      ...["algebra-expert", "sql-expert", "generalist"].map((id) => `  - { id: ${id}, backend: remote, baseUrl: "http://127.0.0.1:9/v1", model: ${id} }`),
      "skills:",
      "  tagger: { kind: trained, path: tagger.json, maxSkills: 2 }",
      "routing:",
      "  strategy: category",
      "  category: { map: { math: algebra-expert, sql: sql-expert }, generalist: generalist, threshold: 0.6 }",
    ].join("\n");
    await writeFile(join(dir, "conclave.yaml"), yaml);
    const config = await loadConfig(join(dir, "conclave.yaml"));
    expect(config.skills.tagger.kind).toBe("trained");
    expect(config.skills.tagger.path).toBe(join(dir, "tagger.json"));

    const router = buildRouter({ config, catalog: DEFAULT_CATALOG, profile: undefined, available: ["algebra-expert", "sql-expert", "generalist"], scheduler: noScheduler });
    const mathText = "Solve the equation 2x + 3 = 7 for x";
    const tags = await router.tag(mathText);
    expect(tags[0]?.skill).toBe("math");
    expect(tags.length).toBeLessThanOrEqual(2);

    const routed = router.recruit(tags, mathText);
    expect(routed.recruits.map((r) => r.expertId)).toEqual(["algebra-expert"]);
    expect(routed.recruits[0]?.reason).toMatch(/category "math" \(confidence 0\.\d+ ≥ 0\.60\)/);
    const sqlText = "Write a SQL query that selects rows from the orders table";
    expect(router.recruit(await router.tag(sqlText), sqlText).recruits.map((r) => r.expertId)).toEqual(["sql-expert"]);

    // Text the tagger has no features for gets confidence 0: the generalist answers and says why.
    const unknown = router.recruit([], "");
    expect(unknown.recruits.map((r) => r.expertId)).toEqual(["generalist"]);
    expect(unknown.fallback).toMatch(/low confidence 0\.00 < 0\.60/);
  });

  it("uses the trained tagger's confidence against the threshold", async () => {
    const trainedTagger = TrainedTagger.fit(parseLabelledExamples(EXAMPLES, "examples"));
    const text = "Solve the equation 2x + 3 = 7 for x";
    const confidence = trainedTagger.classify(text).confidence;
    const route = (threshold: number) => {
      const config = parseConfig(
        {
          experts: [remote("algebra-expert"), remote("generalist")],
          skills: { tagger: { kind: "trained", path: "unused.json" } },
          routing: { strategy: "category", category: { map: { math: "algebra-expert" }, generalist: "generalist", threshold } },
        },
        "/",
      );
      return buildRouter({ config, catalog: DEFAULT_CATALOG, profile: undefined, available: ["algebra-expert", "generalist"], scheduler: noScheduler, trainedTagger }).recruit([], text);
    };
    expect(route(Math.max(0, confidence - 0.01)).recruits[0]?.expertId).toBe("algebra-expert");
    expect(route(Math.min(1, confidence + 0.01)).recruits[0]?.expertId).toBe("generalist");
  });

  it("requires a path for kind: trained and reports a missing file at start-up", () => {
    // Experts are configured so the embedded zoo preset (which brings its own tagger) stays out.
    const experts = [remote("a")];
    expect(() => parseConfig({ experts, skills: { tagger: { kind: "trained" } } }, "/")).toThrowError(/skills\.tagger\.path: required when kind is trained/);
    const config = parseConfig({ experts, skills: { tagger: { kind: "trained", path: "nowhere/tagger.json" } } }, "/base");
    expect(() => buildRouter({ config, catalog: DEFAULT_CATALOG, profile: undefined, available: [], scheduler: noScheduler })).toThrowError(
      /trained tagger \/base\/nowhere\/tagger\.json not found/,
    );
    // The default stays lexical.
    expect(parseConfig({ experts }, "/").skills.tagger.kind).toBe("lexical");
  });
});
