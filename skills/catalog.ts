/**
 * The skill catalog: the vocabulary of skills that taggers emit and expert profiles score.
 *
 * Input: a YAML/JSON file or an already-parsed object. Output: a validated `SkillCatalog`.
 * Failure: CATALOG_INVALID naming the source and each bad key as `key.path: reason`.
 */
import { readFile } from "node:fs/promises";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { ConclaveError } from "../kernel/errors.js";

export interface SkillDefinition {
  id: string;
  description: string;
  keywords: string[];
  examples: string[];
  category?: string;
}

export interface SkillCatalog {
  version: 1;
  skills: SkillDefinition[];
}

/** Ids travel through configs, profiles and traces, so keep them slug-like. */
const SKILL_ID = /^[a-z0-9][a-z0-9-]*$/;

// "required" reads better than zod's "expected string, received undefined" for a missing key.
const text = () =>
  z.string({ error: (issue) => (issue.input === undefined ? "required" : "must be a string") }).trim().min(1, "must not be empty");

const skillSchema = z.strictObject({
  id: text().regex(SKILL_ID, "must be lowercase letters, digits and dashes, starting with a letter or digit"),
  description: text(),
  keywords: z.array(text()).default([]),
  examples: z.array(text()).default([]),
  category: text().optional(),
});

const catalogSchema = z
  .strictObject({
    // Optional so a hand-written catalog can omit it; only version 1 exists.
    version: z.literal(1).default(1),
    skills: z.array(skillSchema).min(1, "at least one skill is required"),
  })
  .superRefine((catalog, ctx) => {
    const seen = new Set<string>();
    catalog.skills.forEach((skill, index) => {
      if (seen.has(skill.id)) ctx.addIssue({ code: "custom", path: ["skills", index, "id"], message: `duplicate skill id "${skill.id}"` });
      seen.add(skill.id);
    });
  });

function formatIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.map(String).join(".");
  return `${path || "(root)"}: ${issue.message}`;
}

/** Validates a catalog object; `source` (a path or a label) prefixes every error. */
export function parseSkillCatalog(input: unknown, source: string): SkillCatalog {
  const parsed = catalogSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(formatIssue);
    throw new ConclaveError("CATALOG_INVALID", `${source}: ${problems.join("; ")}`, { param: parsed.error.issues[0]?.path.map(String).join(".") });
  }
  const skills = parsed.data.skills.map(({ category, ...rest }) => (category === undefined ? rest : { ...rest, category }));
  return { version: 1, skills };
}

/** Loads a catalog file; the YAML parser also accepts JSON, so one path serves both. */
export async function loadSkillCatalog(path: string): Promise<SkillCatalog> {
  let raw: string;
  try {
    raw = await readFile(path, "utf8");
  } catch (cause) {
    const missing = (cause as NodeJS.ErrnoException).code === "ENOENT";
    const message = missing ? `skill catalog ${path} not found` : `cannot read skill catalog ${path}: ${(cause as Error).message}`;
    throw new ConclaveError("CATALOG_INVALID", message, { cause });
  }
  let input: unknown;
  try {
    input = parseYaml(raw);
  } catch (cause) {
    throw new ConclaveError("CATALOG_INVALID", `${path}: not valid YAML or JSON: ${(cause as Error).message}`, { cause });
  }
  return parseSkillCatalog(input, path);
}
