import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isConclaveError } from "../../../kernel/errors.js";
import { buildProfile, competenceOf, COMPETENCE_FLOOR, loadProfile, parseProfile, type Profile } from "../../../orchestrator/profile/format.js";

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    return isConclaveError(error) ? error.code : "not a ConclaveError";
  }
  return undefined;
}

describe("profile format", () => {
  it("parses a valid profile", () => {
    const profile = parseProfile({ version: 1, experts: { a: { skills: { algebra: 3 }, competence: 0.5 } }, aggregator: { expertId: "a" } }, "p.json");
    expect(profile.experts.a).toEqual({ skills: { algebra: 3 }, competence: 0.5 });
    expect(profile.aggregator?.expertId).toBe("a");
  });

  it("names the source and the key path of every problem", () => {
    const bad = () => parseProfile({ version: 1, experts: { x: { skills: { y: "lots" } }, z: { skills: {}, competence: 2 } }, extra: 1 }, "p.json");
    expect(codeOf(bad)).toBe("PROFILE_INVALID");
    expect(bad).toThrowError(/^p\.json: /);
    expect(bad).toThrowError(/experts\.x\.skills\.y: .*number/);
    expect(bad).toThrowError(/experts\.z\.competence: /);
    expect(bad).toThrowError(/Unrecognized key: "extra"/);
    expect(() => parseProfile({ version: 2, experts: {} }, "v")).toThrowError(/v: version: /);
  });

  it("loads from a file and reports a missing file or bad JSON by path", async () => {
    const dir = await mkdtemp(join(tmpdir(), "conclave-profile-"));
    const good = join(dir, "good.json");
    await writeFile(good, JSON.stringify({ version: 1, source: "unit", experts: { a: { skills: { s: -1 } } } }));
    expect((await loadProfile(good)).experts.a?.skills.s).toBe(-1);

    const broken = join(dir, "broken.json");
    await writeFile(broken, "{ not json");
    await expect(loadProfile(broken)).rejects.toMatchObject({ code: "PROFILE_INVALID", message: expect.stringContaining(broken) });
    await expect(loadProfile(broken)).rejects.toThrowError(/not valid JSON/);
    const missing = join(dir, "missing.json");
    await expect(loadProfile(missing)).rejects.toMatchObject({ code: "PROFILE_INVALID", message: `${missing}: cannot read the profile: no such file` });
  });

  it("builds a profile: +1/-1 per skill, accuracy, competence = accuracy / best accuracy", () => {
    const profile = buildProfile(
      [
        { expertId: "a", skills: ["algebra", "statistics"], correct: true },
        { expertId: "a", skills: ["algebra"], correct: true },
        { expertId: "a", skills: ["algebra", "algebra"], correct: false },
        { expertId: "a", skills: ["history"], correct: true },
        { expertId: "b", skills: ["algebra"], correct: false },
        { expertId: "b", skills: ["history"], correct: true },
      ],
      { createdAt: "2025-01-01", source: "unit" },
    );
    // a: algebra +1 +1 -1 = 1 (the duplicate tag counts once), statistics +1, history +1; 3/4 right.
    // b: algebra -1, history +1; 1/2 right. Best accuracy 0.75 -> competences 1 and 0.5/0.75.
    expect(profile.experts.a).toEqual({ skills: { algebra: 1, statistics: 1, history: 1 }, competence: 1, accuracy: 0.75, answered: 4 });
    expect(profile.experts.b?.skills).toEqual({ algebra: -1, history: 1 });
    expect(profile.experts.b?.competence).toBeCloseTo(2 / 3, 10);
    expect([profile.version, profile.createdAt, profile.source]).toEqual([1, "2025-01-01", "unit"]);
    // What buildProfile writes, parseProfile accepts.
    expect(parseProfile(JSON.parse(JSON.stringify(profile)), "round trip")).toEqual(profile);
  });

  it("gives every expert competence 1 when nobody answered correctly", () => {
    const profile = buildProfile([
      { expertId: "a", skills: ["x"], correct: false },
      { expertId: "b", skills: ["x"], correct: false },
    ]);
    expect([profile.experts.a?.competence, profile.experts.b?.competence]).toEqual([1, 1]);
  });

  describe("competenceOf", () => {
    const profile: Profile = {
      version: 1,
      experts: {
        // Totals 6, -2 and 2: min -2, max 6, spread 8.
        a: { skills: { x: 4, y: 2 } },
        b: { skills: { x: -2 } },
        c: { skills: { x: 2 } },
        d: { skills: { x: -9 }, competence: 0.3 },
      },
    };

    it("uses an explicit competence as is", () => {
      expect(competenceOf(profile, "d")).toBe(0.3);
    });

    it("maps total skill scores linearly onto [floor, 1]", () => {
      // d's explicit competence does not take it out of the totals: -9 is the minimum. Spread 15.
      expect(competenceOf(profile, "a")).toBeCloseTo(COMPETENCE_FLOOR + (1 - COMPETENCE_FLOOR) * (15 / 15), 10);
      expect(competenceOf(profile, "b")).toBeCloseTo(0.05 + 0.95 * (7 / 15), 10);
      expect(competenceOf(profile, "c")).toBeCloseTo(0.05 + 0.95 * (11 / 15), 10);
    });

    it("gives an unknown expert the median competence and an empty profile 1", () => {
      // Known: a 1, b 0.4933, c 0.7467, d 0.3 -> median (0.4933 + 0.7467) / 2 = 0.62.
      expect(competenceOf(profile, "zzz")).toBeCloseTo((0.05 + 0.95 * (7 / 15) + 0.05 + 0.95 * (11 / 15)) / 2, 10);
      expect(competenceOf({ version: 1, experts: {} }, "anyone")).toBe(1);
      expect(competenceOf({ version: 1, experts: { a: { skills: { x: 1 } } } }, "toString")).toBe(1);
    });

    it("normalises accuracy by the best accuracy when there is no explicit competence", () => {
      const byAccuracy: Profile = { version: 1, experts: { a: { skills: {}, accuracy: 0.4 }, b: { skills: {}, accuracy: 0.8 } } };
      expect(competenceOf(byAccuracy, "a")).toBeCloseTo(0.5, 10);
      expect(competenceOf(byAccuracy, "b")).toBe(1);
    });

    it("gives 1 to all when every total is equal", () => {
      expect(competenceOf({ version: 1, experts: { a: { skills: { x: 2 } }, b: { skills: { y: 2 } } } }, "a")).toBe(1);
    });
  });
});
