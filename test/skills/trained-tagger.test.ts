import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseSkillCatalog } from "../../skills/catalog.js";
import { labelCounts, parseLabelledExamples, readLabelledExamples } from "../../skills/labelled-examples.js";
import { TrainedTagger } from "../../skills/trained-tagger.js";

const line = (text: string, label: string) => JSON.stringify({ text, label });

/** A small hand-written set: three subjects, eight phrasings each. */
const SMALL_SET = [
  ...[
    "Solve for x in the equation 3x + 5 = 20",
    "Factor the quadratic polynomial x^2 - 5x + 6",
    "What is the derivative of x^3 with respect to x?",
    "Find the integral of 2x from 0 to 3",
    "Simplify the fraction 12/18 to lowest terms",
    "Compute the determinant of a 2x2 matrix",
    "How many solutions does the equation x^2 = 9 have?",
    "Evaluate the limit of 1/n as n goes to infinity",
  ].map((text) => line(text, "math")),
  ...[
    "Which enzyme breaks down starch in the mouth?",
    "Describe how mitochondria produce ATP in cells",
    "What is the function of ribosomes in protein synthesis?",
    "How do plant cells perform photosynthesis in chloroplasts?",
    "Explain the role of DNA polymerase during replication",
    "What organelle contains the genetic material of eukaryotic cells?",
    "How does natural selection change allele frequencies in a population?",
    "Which blood cells fight infections in the immune system?",
  ].map((text) => line(text, "biology")),
  ...[
    "Write a SQL query that joins orders and customers tables",
    "Select all rows from the users table where age is over 30",
    "How do I create an index on a database column?",
    "Group sales by region and count rows with SQL",
    "Write a query to delete duplicate records from a table",
    "What is a foreign key constraint in a relational database?",
    "Update the price column in the products table",
    "Explain an inner join versus a left join in SQL queries",
  ].map((text) => line(text, "sql")),
].join("\n");

const HELD_OUT: Array<[string, string]> = [
  ["Solve the equation 2x - 4 = 10 for x", "math"],
  ["What is the integral of x^2?", "math"],
  ["How do mitochondria and chloroplasts make energy for the cell?", "biology"],
  ["Which enzyme copies DNA during cell division?", "biology"],
  ["Write a query joining the customers table with the invoices table", "sql"],
  ["Count rows per group in a SQL table", "sql"],
];

describe("trained tagger", () => {
  const tagger = TrainedTagger.fit(parseLabelledExamples(SMALL_SET, "small.jsonl"));

  it("classifies held-out phrasings of each subject", () => {
    for (const [text, label] of HELD_OUT) expect(tagger.classify(text).category, text).toBe(label);
  });

  it("tags with label probabilities sorted best first, summing to at most 1", async () => {
    const tags = await tagger.tag("Solve for y in the equation 4y + 2 = 10");
    expect(tags[0]?.skill).toBe("math");
    expect(tags.map((t) => t.score)).toEqual([...tags.map((t) => t.score)].sort((a, b) => b - a));
    expect(tags.reduce((sum, t) => sum + t.score, 0)).toBeLessThanOrEqual(1 + 1e-9);
    const { confidence, ranking } = tagger.classify("Solve for y in the equation 4y + 2 = 10");
    expect(confidence).toBe(ranking[0]?.score);
    expect(confidence).toBeGreaterThan(ranking[1]!.score);
  });

  it("gives no tags and zero confidence for text it has no features for", async () => {
    expect(await tagger.tag("")).toEqual([]);
    expect(tagger.classify("").confidence).toBe(0);
  });

  it("is deterministic and survives a save/load round trip unchanged", async () => {
    const again = TrainedTagger.fit(parseLabelledExamples(SMALL_SET, "small.jsonl"));
    expect(again.toJSON()).toEqual(tagger.toJSON());
    const dir = await mkdtemp(join(tmpdir(), "conclave-tagger-"));
    const path = join(dir, "tagger.json");
    await tagger.save(path);
    const loaded = await TrainedTagger.load(path);
    expect(loaded.toJSON()).toEqual(tagger.toJSON());
    for (const [text] of HELD_OUT) expect(loaded.classify(text)).toEqual(tagger.classify(text));
    expect(loaded.settings).toEqual(tagger.settings);
  });

  it("counts multi-label lines towards each label", () => {
    const examples = parseLabelledExamples(
      [SMALL_SET, JSON.stringify({ text: "Store the results of the regression in a SQL table", skills: ["math", "sql"] })].join("\n"),
      "multi.jsonl",
    );
    expect(labelCounts(examples)).toEqual([
      { label: "math", count: 9 },
      { label: "sql", count: 9 },
      { label: "biology", count: 8 },
    ]);
    const multi = TrainedTagger.fit(examples);
    expect(multi.labels).toEqual(["biology", "math", "sql"]);
    const top2 = multi.probabilities("Store the results of the regression in a SQL table").slice(0, 2).map((p) => p.label);
    expect(top2.sort()).toEqual(["math", "sql"]);
  });

  it("maps skills to catalog categories for classify", () => {
    const catalog = parseSkillCatalog(
      {
        skills: [
          { id: "math", description: "maths", category: "stem" },
          { id: "biology", description: "life", category: "stem" },
          { id: "sql", description: "databases", category: "code" },
        ],
      },
      "catalog",
    );
    const mapped = TrainedTagger.fit(parseLabelledExamples(SMALL_SET, "small.jsonl"), { catalog });
    const result = mapped.classify("Which enzyme breaks down proteins?");
    expect(result.category).toBe("stem");
    expect(result.ranking.map((r) => r.category).sort()).toEqual(["code", "stem"]);
    expect(result.confidence).toBeCloseTo(mapped.probabilities("Which enzyme breaks down proteins?").filter((p) => p.label !== "sql").reduce((s, p) => s + p.probability, 0), 12);
  });

  it("refuses to fit fewer than two labels", () => {
    expect(() => TrainedTagger.fit(parseLabelledExamples(line("only one", "math"), "one.jsonl"), { source: "one.jsonl" })).toThrowError(
      /one\.jsonl: needs at least 2 labels/,
    );
  });

  it("reports a bad tagger file through the error catalogue", async () => {
    const dir = await mkdtemp(join(tmpdir(), "conclave-tagger-"));
    const bad = join(dir, "bad.json");
    await writeFile(bad, "{not json");
    await expect(TrainedTagger.load(bad)).rejects.toMatchObject({ code: "CONFIG_INVALID", message: expect.stringMatching(/bad\.json: not valid JSON/) });
    await writeFile(bad, JSON.stringify({ ...tagger.toJSON(), version: 99 }));
    await expect(TrainedTagger.load(bad)).rejects.toThrowError(/version 99 is not supported/);
    await writeFile(bad, JSON.stringify({ ...tagger.toJSON(), weights: "AAAA" }));
    await expect(TrainedTagger.load(bad)).rejects.toThrowError(/weights holds 3 bytes, expected \d+ float32 numbers/);
    await writeFile(bad, JSON.stringify({ profile: true }));
    await expect(TrainedTagger.load(bad)).rejects.toThrowError(/not a trained tagger/);
    await expect(TrainedTagger.load(join(dir, "missing.json"))).rejects.toThrowError(/missing\.json not found/);
  });

  it("names the file and line of a bad example", async () => {
    const dir = await mkdtemp(join(tmpdir(), "conclave-tagger-"));
    const path = join(dir, "bad.jsonl");
    await writeFile(path, `${line("fine", "a")}\n\n{"text": "no label"}\n`);
    await expect(readLabelledExamples(path)).rejects.toMatchObject({ code: "INVALID_REQUEST", message: expect.stringMatching(/bad\.jsonl:3: missing "label"/) });
    expect(() => parseLabelledExamples('{"text": "x", "skills": []}', "f")).toThrowError(/f:1: "skills" must not be empty/);
    expect(() => parseLabelledExamples('{"text": "x", "label": "a", "skills": ["b"]}', "f")).toThrowError(/f:1: give "label" or "skills"/);
    expect(() => parseLabelledExamples("[1]", "f")).toThrowError(/f:1: expected a JSON object/);
    expect(() => parseLabelledExamples('{"label": "a"}', "f")).toThrowError(/f:1: "text" must be a non-empty string/);
  });
});
