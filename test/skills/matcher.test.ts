import { describe, expect, it } from "vitest";
import { DEFAULT_CATALOG } from "../../skills/default-catalog.js";
import { LexicalTagger } from "../../skills/lexical-tagger.js";
import { type Embed, SkillMatcher } from "../../skills/matcher.js";

const lexical = new LexicalTagger(DEFAULT_CATALOG);

/** A fake embedder with three concept axes; texts mentioning none embed to the zero vector. */
function fakeEmbed(): { embed: Embed; calls: string[][] } {
  const axes = [["algebra", "geometry", "triangle"], ["python", "recursion"], ["history", "pharaoh"]];
  const calls: string[][] = [];
  const embed: Embed = async (texts) => {
    calls.push(texts);
    return texts.map((text) => axes.map((words) => (words.some((w) => text.toLowerCase().includes(w)) ? 1 : 0)));
  };
  return { embed, calls };
}

describe("SkillMatcher", () => {
  const matcher = new SkillMatcher(DEFAULT_CATALOG, lexical, { threshold: 0.05 });

  it("scores an exact id 1, whatever its spelling", async () => {
    expect(await matcher.match("sql")).toEqual({ skill: "sql", score: 1 });
    expect(await matcher.match("Python Programming")).toEqual({ skill: "python-programming", score: 1 });
    expect(await matcher.match(" contract_law ")).toEqual({ skill: "contract-law", score: 1 });
  });

  it("scores a catalog keyword 1, folding case and plurals", async () => {
    expect(await matcher.match("photosynthesis")).toEqual({ skill: "biology", score: 1 });
    expect(await matcher.match("Stoichiometry")).toEqual({ skill: "chemistry", score: 1 });
    expect(await matcher.match("normal distributions")).toEqual({ skill: "statistics", score: 1 });
  });

  it("falls back to lexical scores for other keywords", async () => {
    const found = await matcher.match("coin tosses");
    expect(found?.skill).toBe("statistics");
    expect(found?.score).toBeLessThan(1);
    expect(found?.score).toBe(lexical.scores("coin tosses")[0]?.score);
    expect(await matcher.match("ionic bonding")).toMatchObject({ skill: "chemistry" });
  });

  it("returns undefined below the threshold or without any evidence", async () => {
    const score = (await matcher.match("coin tosses"))!.score;
    const strict = new SkillMatcher(DEFAULT_CATALOG, lexical, { threshold: score + 0.01 });
    expect(await strict.match("coin tosses")).toBeUndefined();
    expect(await strict.match("statistics")).toEqual({ skill: "statistics", score: 1 }); // exact hits ignore the threshold
    expect(await new SkillMatcher(DEFAULT_CATALOG, lexical, { threshold: 0 }).match("zxqv blorf")).toBeUndefined();
    expect(await matcher.match("")).toBeUndefined();
  });

  it("uses embeddings instead of lexical scores when given an embedder", async () => {
    const { embed, calls } = fakeEmbed();
    const embedded = new SkillMatcher(DEFAULT_CATALOG, lexical, { threshold: 0.5, embed });
    expect(calls).toHaveLength(0); // lazy: nothing embedded up front
    expect(await embedded.match("sql")).toEqual({ skill: "sql", score: 1 });
    expect(calls).toHaveLength(0); // exact hits need no embedding

    expect(await embedded.match("geometry")).toEqual({ skill: "algebra", score: 1 });
    expect(await embedded.match("recursion")).toEqual({ skill: "python-programming", score: 1 });
    expect(await embedded.match("pharaoh")).toEqual({ skill: "history", score: 1 });
    // Lexical scoring would say statistics; the embedder sees nothing, so nothing matches.
    expect(await embedded.match("coin tosses")).toBeUndefined();

    const skillBatches = calls.filter((texts) => texts.length === DEFAULT_CATALOG.skills.length);
    expect(skillBatches).toHaveLength(1); // skill embeddings computed once
    expect(skillBatches[0]?.[0]).toBe(`arithmetic: ${DEFAULT_CATALOG.skills[0]!.description}`);
  });

  it("applies the threshold to embedding cosines", async () => {
    const { embed } = fakeEmbed();
    // [1, 1, 0] against algebra's [1, 0, 0]: cosine 0.707.
    const loose = new SkillMatcher(DEFAULT_CATALOG, lexical, { threshold: 0.7, embed });
    expect((await loose.match("triangle recursion"))?.score).toBeCloseTo(Math.SQRT1_2, 6);
    const strict = new SkillMatcher(DEFAULT_CATALOG, lexical, { threshold: 0.75, embed });
    expect(await strict.match("triangle recursion")).toBeUndefined();
  });

  it("batches keywords into one embedding call and retries skill embeddings after a failure", async () => {
    const { embed, calls } = fakeEmbed();
    let fail = true;
    const flaky: Embed = async (texts) => {
      if (fail && texts.length === DEFAULT_CATALOG.skills.length) throw new Error("embedder down");
      return embed(texts);
    };
    const embedded = new SkillMatcher(DEFAULT_CATALOG, lexical, { threshold: 0.5, embed: flaky });
    await expect(embedded.match("geometry")).rejects.toThrow("embedder down");
    fail = false;
    calls.length = 0;
    const results = await embedded.matchAll(["geometry", "sql", "pharaoh"]);
    expect(results).toEqual([{ skill: "algebra", score: 1 }, { skill: "sql", score: 1 }, { skill: "history", score: 1 }]);
    expect(calls.filter((texts) => texts.length < DEFAULT_CATALOG.skills.length)).toEqual([["geometry", "pharaoh"]]);
  });
});
