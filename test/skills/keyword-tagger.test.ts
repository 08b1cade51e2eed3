import { describe, expect, it } from "vitest";
import type { ChatMessage } from "../../kernel/contracts.js";
import { ConclaveError } from "../../kernel/errors.js";
import { DEFAULT_CATALOG } from "../../skills/default-catalog.js";
import { type AskModel, KeywordTagger, parseKeywords } from "../../skills/keyword-tagger.js";
import { LexicalTagger } from "../../skills/lexical-tagger.js";

const lexical = new LexicalTagger(DEFAULT_CATALOG);
const LIMITS = { maxSkills: 3, minScore: 0.05 };

function tagger(ask: AskModel, extra: Partial<ConstructorParameters<typeof KeywordTagger>[0]> = {}): KeywordTagger {
  return new KeywordTagger({ catalog: DEFAULT_CATALOG, lexical, ask, minKeywords: 2, maxKeywords: 4, matchThreshold: 0.1, ...LIMITS, ...extra });
}

const reply = (text: string): AskModel => async () => text;

describe("parseKeywords", () => {
  it.each([
    ["comma line", "algebra, Word Problems, arithmetic", ["algebra", "word problems", "arithmetic"]],
    ["JSON array", '["Algebra", "linear equations"]', ["algebra", "linear equations"]],
    ["fenced JSON", '```json\n["sql", "joins"]\n```', ["sql", "joins"]],
    ["JSON object", '{"keywords": ["history", "ww2"]}', ["history", "ww2"]],
    ["JSON objects", '[{"keyword": "poetry"}, {"keyword": "rhyme"}]', ["poetry", "rhyme"]],
    ["bullets", "- algebra\n* geometry\n• sql", ["algebra", "geometry", "sql"]],
    ["numbered", "1. algebra\n2) statistics\n3. **python**", ["algebra", "statistics", "python"]],
    ["labelled, quoted", "Keywords: \"algebra\", 'statistics', `newton's laws`.", ["algebra", "statistics", "newton's laws"]],
    ["keyword: explanation", "algebra: solving for x\ngeometry: areas of triangles", ["algebra", "geometry"]],
    ["think block", "<think>The user wants math, maybe sql, who knows</think>\nalgebra; arithmetic", ["algebra", "arithmetic"]],
    ["chatter lines", "Sure! Here are the keywords you asked for today\nbiology, genetics", ["biology", "genetics"]],
    ["duplicates", "Algebra, algebra, ALGEBRA, sql", ["algebra", "sql"]],
    ["a sentence", "I am sorry but I cannot answer this question for you today.", []],
    ["empty", "  \n ", []],
  ])("reads a %s reply", (_name, text, expected) => {
    expect(parseKeywords(text, 5)).toEqual(expected);
  });

  it("caps to maxKeywords after deduplication", () => {
    expect(parseKeywords("a1, A1, b2, c3, d4", 2)).toEqual(["a1", "b2"]);
    expect(parseKeywords('["x1", "y2", "z3"]', 1)).toEqual(["x1"]);
  });
});

describe("KeywordTagger", () => {
  it("asks with a system and user prompt naming the bounds, the question and the catalog ids", async () => {
    let seen: ChatMessage[] = [];
    let seenSignal: AbortSignal | undefined;
    const controller = new AbortController();
    await tagger(async (messages, signal) => {
      seen = messages;
      seenSignal = signal;
      return "biology";
    }).tag("How do bees find flowers?", controller.signal);
    expect(seen.map((m) => m.role)).toEqual(["system", "user"]);
    const user = seen[1]!.content;
    expect(user).toContain("between 2 and 4");
    expect(user).toContain("comma-separated");
    expect(user).toContain("How do bees find flowers?");
    for (const skill of DEFAULT_CATALOG.skills) expect(user).toContain(skill.id);
    expect(seenSignal).toBe(controller.signal);
  });

  it("maps keywords onto skills, keeping each skill's best keyword", async () => {
    const tags = await tagger(reply("coin tosses, probability, photosynthesis, biology")).tag("anything");
    expect(tags).toEqual([
      { skill: "statistics", score: 1, keyword: "probability" },
      { skill: "biology", score: 1, keyword: "photosynthesis" },
    ]);
  });

  it("omits the keyword when it is the skill id, and sorts fuzzy matches below exact ones", async () => {
    const tags = await tagger(reply("ionic bonding, sql")).tag("anything");
    expect(tags[0]).toEqual({ skill: "sql", score: 1 });
    expect(tags[1]).toMatchObject({ skill: "chemistry", keyword: "ionic bonding" });
    expect(tags[1]!.score).toBeLessThan(1);
    expect(tags[1]!.score).toBeGreaterThan(0.1);
  });

  it("keeps at most maxSkills and respects the keyword cap", async () => {
    const five = reply("sql, history, biology, chemistry, algebra");
    expect((await tagger(five, { maxSkills: 2 }).tag("q")).map((t) => t.skill)).toEqual(["sql", "history"]);
    expect((await tagger(five, { maxSkills: 10, maxKeywords: 3 }).tag("q")).map((t) => t.skill)).toEqual(["sql", "history", "biology"]);
  });

  it("uses the embedder for keywords outside the catalog when given one", async () => {
    const embed = async (texts: string[]) => texts.map((t) => [/geometry|algebra/i.test(t) ? 1 : 0, /python/i.test(t) ? 1 : 0]);
    const tags = await tagger(reply("geometry"), { embed, matchThreshold: 0.9 }).tag("Area of a triangle with sides 3, 4, 5?");
    expect(tags).toEqual([{ skill: "algebra", score: 1, keyword: "geometry" }]);
  });

  it("falls back to the lexical tagger when the model fails", async () => {
    const question = "Translate 'see you tomorrow' into Spanish.";
    const tags = await tagger(async () => {
      throw new Error("model crashed");
    }).tag(question);
    expect(tags).toEqual(lexical.tagSync(question, LIMITS));
    expect(tags[0]?.skill).toBe("translation");
    expect(tags.every((t) => t.keyword === undefined)).toBe(true);
  });

  it.each([["chatter", "I am not able to help with this request, sorry."], ["unknown words", "zxqv, blorf"], ["nothing", ""]])(
    "falls back to the lexical tagger when the reply is %s",
    async (_name, text) => {
      const question = "What is the median of 4, 8, 15, 16 and 23?";
      const tags = await tagger(reply(text)).tag(question);
      expect(tags).toEqual(lexical.tagSync(question, LIMITS));
      expect(tags[0]?.skill).toBe("statistics");
    },
  );

  it("propagates aborts instead of falling back", async () => {
    const abort = new DOMException("stopped", "AbortError");
    await expect(tagger(async () => Promise.reject(abort)).tag("What is 2 + 2?")).rejects.toBe(abort);
    const aborted = new ConclaveError("ABORTED", "client went away");
    await expect(tagger(async () => Promise.reject(aborted)).tag("What is 2 + 2?")).rejects.toBe(aborted);

    let asked = false;
    const controller = new AbortController();
    controller.abort();
    const pending = tagger(async () => {
      asked = true;
      return "arithmetic";
    }).tag("What is 2 + 2?", controller.signal);
    await expect(pending).rejects.toMatchObject({ name: "AbortError" });
    expect(asked).toBe(false);
  });

  it("does not ask about empty text", async () => {
    let asked = false;
    const tags = await tagger(async () => {
      asked = true;
      return "sql";
    }).tag("   ");
    expect(tags).toEqual([]);
    expect(asked).toBe(false);
  });
});
