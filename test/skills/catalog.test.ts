import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isConclaveError } from "../../kernel/errors.js";
import { loadSkillCatalog, parseSkillCatalog } from "../../skills/catalog.js";

const skill = (id: string, extra: Record<string, unknown> = {}) => ({ id, description: `about ${id}`, ...extra });

/** The thrown error, checked to be a CATALOG_INVALID ConclaveError. */
async function failure(run: () => unknown): Promise<string> {
  try {
    await run();
  } catch (error) {
    if (!isConclaveError(error)) throw error;
    expect(error.code).toBe("CATALOG_INVALID");
    return error.message;
  }
  throw new Error("expected a CATALOG_INVALID error");
}

describe("parseSkillCatalog", () => {
  it("accepts a valid catalog and fills defaults", () => {
    const catalog = parseSkillCatalog({ skills: [skill("algebra", { keywords: ["equation"], category: "math" }), skill("sql-2")] }, "test");
    expect(catalog).toEqual({
      version: 1,
      skills: [
        { id: "algebra", description: "about algebra", keywords: ["equation"], examples: [], category: "math" },
        { id: "sql-2", description: "about sql-2", keywords: [], examples: [] },
      ],
    });
    expect("category" in catalog.skills[1]!).toBe(false);
  });

  it("names the key path of a duplicate id", async () => {
    const message = await failure(() => parseSkillCatalog({ version: 1, skills: [skill("a"), skill("b"), skill("c"), skill("a")] }, "cat.yaml"));
    expect(message).toBe('cat.yaml: skills.3.id: duplicate skill id "a"');
  });

  it("rejects ids that are not slugs", async () => {
    for (const id of ["Algebra", "-algebra", "python programming", "c++"]) {
      expect(await failure(() => parseSkillCatalog({ skills: [skill("ok"), skill(id)] }, "src"))).toMatch(/^src: skills\.1\.id: must be lowercase/);
    }
  });

  it("reports a missing description as required", async () => {
    expect(await failure(() => parseSkillCatalog({ skills: [{ id: "a" }] }, "src"))).toBe("src: skills.0.description: required");
  });

  it("is strict about unknown keys, the version and an empty list", async () => {
    expect(await failure(() => parseSkillCatalog({ skills: [skill("a", { colour: "red" })] }, "src"))).toMatch(/^src: skills\.0: .*colour/);
    expect(await failure(() => parseSkillCatalog({ version: 2, skills: [skill("a")] }, "src"))).toMatch(/^src: version: /);
    expect(await failure(() => parseSkillCatalog({ skills: [] }, "src"))).toBe("src: skills: at least one skill is required");
    expect(await failure(() => parseSkillCatalog(null, "src"))).toMatch(/^src: \(root\): /);
  });

  it("lists every problem, not just the first", async () => {
    const message = await failure(() => parseSkillCatalog({ skills: [{ id: "Bad" }, skill("x", { keywords: [3] })] }, "src"));
    expect(message).toContain("skills.0.id:");
    expect(message).toContain("skills.0.description: required");
    expect(message).toContain("skills.1.keywords.0: must be a string");
  });
});

describe("loadSkillCatalog", () => {
  it("loads YAML and JSON files", async () => {
    const dir = await mkdtemp(join(tmpdir(), "conclave-catalog-"));
    const yamlPath = join(dir, "skills.yaml");
    await writeFile(
      yamlPath,
      ["version: 1", "skills:", "  - id: poetry", "    description: Writing poems.", "    keywords: [poem, rhyme]", "    category: writing", ""].join("\n"),
    );
    const jsonPath = join(dir, "skills.json");
    await writeFile(jsonPath, JSON.stringify({ skills: [skill("geo", { examples: ["Where is Peru?"] })] }));

    expect(await loadSkillCatalog(yamlPath)).toEqual({
      version: 1,
      skills: [{ id: "poetry", description: "Writing poems.", keywords: ["poem", "rhyme"], examples: [], category: "writing" }],
    });
    expect((await loadSkillCatalog(jsonPath)).skills[0]?.examples).toEqual(["Where is Peru?"]);
  });

  it("names the file in validation errors", async () => {
    const dir = await mkdtemp(join(tmpdir(), "conclave-catalog-"));
    const path = join(dir, "bad.yaml");
    await writeFile(path, "skills:\n  - id: UPPER\n    description: x\n");
    expect(await failure(() => loadSkillCatalog(path))).toMatch(new RegExp(`^${path.replace(/[.\\/]/g, "\\$&")}: skills\\.0\\.id: `));
    const broken = join(dir, "broken.yaml");
    await writeFile(broken, "skills: [unclosed\n");
    expect(await failure(() => loadSkillCatalog(broken))).toContain(`${broken}: not valid YAML`);
  });

  it("reports a missing file", async () => {
    const path = join(tmpdir(), "conclave-no-such-dir", "skills.yaml");
    expect(await failure(() => loadSkillCatalog(path))).toBe(`skill catalog ${path} not found`);
  });
});
