import { describe, expect, it } from "vitest";
import { DEFAULT_CATALOG } from "../../skills/default-catalog.js";

const CATEGORIES: Record<string, string> = {
  arithmetic: "math",
  algebra: "math",
  statistics: "math",
  "python-programming": "code",
  sql: "code",
  "contract-law": "humanities",
  history: "humanities",
  biology: "science",
  chemistry: "science",
  "creative-writing": "writing",
  summarization: "writing",
  translation: "writing",
};

describe("DEFAULT_CATALOG", () => {
  it("has exactly the twelve skills with their categories", () => {
    expect(Object.fromEntries(DEFAULT_CATALOG.skills.map((s) => [s.id, s.category]))).toEqual(CATEGORIES);
    expect(DEFAULT_CATALOG.skills).toHaveLength(12);
  });

  it("gives every skill a description, 10-20 distinct keywords and 4-6 examples", () => {
    for (const skill of DEFAULT_CATALOG.skills) {
      expect(skill.description.length, skill.id).toBeGreaterThan(20);
      expect(skill.keywords.length, skill.id).toBeGreaterThanOrEqual(10);
      expect(skill.keywords.length, skill.id).toBeLessThanOrEqual(20);
      expect(new Set(skill.keywords).size, skill.id).toBe(skill.keywords.length);
      expect(skill.examples.length, skill.id).toBeGreaterThanOrEqual(4);
      expect(skill.examples.length, skill.id).toBeLessThanOrEqual(6);
    }
  });

  it("is frozen so no caller can change routing for everyone", () => {
    expect(Object.isFrozen(DEFAULT_CATALOG.skills[0]!.keywords)).toBe(true);
    expect(() => (DEFAULT_CATALOG.skills as unknown[]).push({})).toThrow(TypeError);
  });
});
