import { describe, expect, it } from "vitest";
import { parseSkillCatalog } from "../../skills/catalog.js";
import { DEFAULT_CATALOG } from "../../skills/default-catalog.js";
import { LexicalTagger } from "../../skills/lexical-tagger.js";

const tagger = new LexicalTagger(DEFAULT_CATALOG);

// Written for this test, none taken from the catalog's examples: the tagger must generalise.
const UNSEEN: Array<[skill: string, category: string, question: string]> = [
  ["arithmetic", "math", "A shirt costs $40 and is on sale for 25 percent off. What is the new price?"],
  ["arithmetic", "math", "What do you get when you divide 144 by 12 and then multiply by 5?"],
  ["algebra", "math", "Solve for y: 5y - 3 = 2y + 9"],
  ["algebra", "math", "If 2^x = 32, what is x?"],
  ["statistics", "math", "If I flip a fair coin ten times, what is the probability of getting exactly three heads?"],
  ["statistics", "math", "What is the average of these test scores, and how spread out are they?"],
  ["python-programming", "code", "My Python script crashes with IndexError: list index out of range. How do I fix it?"],
  ["python-programming", "code", "What does the yield keyword do in a generator?"],
  ["sql", "code", "How do I delete duplicate rows from a MySQL table but keep one copy?"],
  ["sql", "code", "How do I add an index on the email column in PostgreSQL?"],
  ["contract-law", "humanities", "My contractor abandoned the job halfway. Can I sue him for breach and recover damages?"],
  ["contract-law", "humanities", "My tenant stopped paying rent; can I end the lease early?"],
  ["history", "humanities", "What led to the collapse of the Ottoman Empire after the First World War?"],
  ["history", "humanities", "Why did the United States enter the Vietnam War?"],
  ["biology", "science", "Why are antibiotics useless against a virus but effective against bacteria?"],
  ["biology", "science", "How are traits inherited from parents to children?"],
  ["chemistry", "science", "What happens to the electrons when sodium reacts with chlorine?"],
  ["chemistry", "science", "How many moles of carbon dioxide are produced when 2 moles of methane burn?"],
  ["creative-writing", "writing", "Invent a villain character for my fantasy story and sketch his backstory."],
  ["creative-writing", "writing", "Write a poem about the sea at night, in rhyming couplets."],
  ["summarization", "writing", "Can you condense this long email into a couple of sentences?"],
  ["summarization", "writing", "Please summarise the following report in five bullet points: ..."],
  ["translation", "writing", "Translate 'good morning, how are you?' into Italian."],
  ["translation", "writing", "How would a native speaker say 'I miss you' in Korean?"],
];

describe("LexicalTagger", () => {
  it("covers every catalog skill in the unseen questions", () => {
    expect(new Set(UNSEEN.map(([skill]) => skill))).toEqual(new Set(DEFAULT_CATALOG.skills.map((s) => s.id)));
  });

  it.each(UNSEEN)("tags %s first for an unseen question (%s)", (skill, _category, question) => {
    const tags = tagger.tagSync(question, { maxSkills: 3, minScore: 0.05 });
    expect(tags[0]?.skill).toBe(skill);
  });

  it.each(UNSEEN)("classifies a %s question as %s", (_skill, category, question) => {
    const result = tagger.classify(question);
    expect(result.category).toBe(category);
    expect(result.confidence).toBeGreaterThan(0.3);
    expect(result.confidence).toBeLessThanOrEqual(1);
  });

  it("scores every skill in 0..1, best first", () => {
    const scores = tagger.scores("Write a SQL query that joins two tables");
    expect(scores.map((s) => s.skill).sort()).toEqual(DEFAULT_CATALOG.skills.map((s) => s.id).sort());
    for (const [i, entry] of scores.entries()) {
      expect(entry.score).toBeGreaterThanOrEqual(0);
      expect(entry.score).toBeLessThanOrEqual(1);
      if (i > 0) expect(entry.score).toBeLessThanOrEqual(scores[i - 1]!.score);
    }
    expect(scores[0]?.score).toBeGreaterThan(0.2);
  });

  it("applies maxSkills and minScore", () => {
    const text = "Write a Python script that runs a SQL query and plots the average with a short poem as the title";
    const all = tagger.tagSync(text, { maxSkills: 12, minScore: 0 });
    expect(all.length).toBeGreaterThan(2);
    expect(tagger.tagSync(text, { maxSkills: 2, minScore: 0 })).toEqual(all.slice(0, 2));
    const cut = all[1]!.score;
    expect(tagger.tagSync(text, { maxSkills: 12, minScore: cut }).every((t) => t.score >= cut)).toBe(true);
    expect(tagger.tagSync(text, { maxSkills: 12, minScore: cut }).length).toBeLessThan(all.length);
    expect(tagger.tagSync(text, { maxSkills: 0, minScore: 0 })).toEqual([]);
  });

  it("tag() uses the limits given to the constructor", async () => {
    const text = "Write a Python script that runs a SQL query and plots the average";
    expect(await new LexicalTagger(DEFAULT_CATALOG, { maxSkills: 1 }).tag(text)).toHaveLength(1);
    const strict = await new LexicalTagger(DEFAULT_CATALOG, { minScore: 0.99 }).tag(text);
    expect(strict).toEqual([]);
    expect(await tagger.tag(text)).toEqual(tagger.tagSync(text, { maxSkills: 5, minScore: 0.05 }));
  });

  it("folds plurals and verb endings", () => {
    expect(tagger.scores("translating")[0]).toEqual(tagger.scores("translate")[0]);
    expect(tagger.scores("equations")[0]).toEqual(tagger.scores("equation")[0]);
  });

  it("gives nothing for empty, stop-word or unknown text", () => {
    for (const text of ["", "   ", "the of and what is", "zxqv blorf wibble"]) {
      expect(tagger.tagSync(text, { maxSkills: 5, minScore: 0 })).toEqual([]);
      const result = tagger.classify(text);
      expect(result.confidence).toBe(0);
      expect(result.category).toBe("math"); // the first skill's category
      expect(result.ranking).toHaveLength(5);
    }
  });

  it("is less confident about a vague question than a clear one", () => {
    const vague = tagger.classify("Is this table correct?");
    const clear = tagger.classify("Translate this sentence into German.");
    expect(clear.confidence).toBeGreaterThan(0.8);
    expect(vague.confidence).toBeLessThan(clear.confidence);
  });

  it("ranks categories by their best skill and falls back to ids without categories", () => {
    const catalog = parseSkillCatalog(
      {
        skills: [
          { id: "cooking", description: "Recipes and cooking techniques.", keywords: ["recipe", "bake", "oven"] },
          { id: "gardening", description: "Growing plants.", keywords: ["soil", "seeds", "prune"], category: "outdoors" },
          { id: "hiking", description: "Walking trails.", keywords: ["trail", "boots"], category: "outdoors" },
        ],
      },
      "test",
    );
    const small = new LexicalTagger(catalog);
    const result = small.classify("When should I prune my roses and what soil do they like?");
    expect(result.category).toBe("outdoors");
    expect(result.ranking.map((r) => r.category)).toEqual(["outdoors", "cooking"]);
    expect(result.ranking[0]?.score).toBe(small.scores("When should I prune my roses and what soil do they like?")[0]?.score);
    expect(small.classify("How long do I bake bread in the oven?").category).toBe("cooking");
  });
});
