import { describe, expect, it } from "vitest";
import type { SkillTag } from "../../../kernel/contracts.js";
import { mulberry32 } from "../../../kernel/prng.js";
import { parseConfig } from "../../../orchestrator/config/load.js";
import type { Profile } from "../../../orchestrator/profile/format.js";
import { recruit } from "../../../orchestrator/recruit/index.js";
import { preferWarm, residencyFromStats, residencyOf, warmth } from "../../../orchestrator/recruit/residency.js";
import { explain, recruitSymbolic, suitability } from "../../../orchestrator/recruit/symbolic.js";
import { suitabilityWeights } from "../../../orchestrator/recruit/weights.js";

const rows = (...values: Array<[string, number]>) => values.map(([expertId, s]) => ({ expertId, suitability: s }));

describe("preferWarm", () => {
  it("takes the warm candidate within the margin and records the swap", () => {
    const ranked = rows(["a", 10], ["b", 9.7], ["c", 9]);
    const { chosen, swaps } = preferWarm(ranked, 1, () => residencyOf({ b: { resident: true } }), 0.05);
    expect(chosen.map((r) => r.expertId)).toEqual(["b"]);
    expect(swaps).toEqual([expect.objectContaining({ expertId: "b", over: "a" })]);
    expect(swaps[0]!.reason).toContain("97.0% of its suitability");
  });

  it("does not reach past the margin, and keeps the ranking without a view or with margin 0", () => {
    const ranked = rows(["a", 10], ["b", 9.7], ["c", 9]);
    expect(preferWarm(ranked, 1, () => residencyOf({ c: { resident: true } }), 0.05).chosen.map((r) => r.expertId)).toEqual(["a"]);
    expect(preferWarm(ranked, 2, () => residencyOf({ b: { resident: true } }), 0).chosen.map((r) => r.expertId)).toEqual(["a", "b"]);
    expect(preferWarm(ranked, 2, undefined, 0.05).swaps).toEqual([]);
  });

  it("ranks resident with a free slot > resident busy > pending > cold, and keeps ranked order", () => {
    expect([warmth({ resident: true }), warmth({ resident: true, idle: false }), warmth({ resident: false, pending: true }), warmth(undefined)]).toEqual([3, 2, 1, 0]);
    const ranked = rows(["a", 10], ["b", 9.9], ["c", 9.8], ["d", 9.7]);
    const view = () => residencyOf({ c: { resident: false, pending: true }, d: { resident: true, idle: false } });
    const { chosen, swaps } = preferWarm(ranked, 2, view, 0.05);
    expect(chosen.map((r) => r.expertId)).toEqual(["c", "d"]);
    expect(swaps.map((s) => `${s.expertId}>${s.over}`)).toEqual(["c>a", "d>b"]);
  });

  it("reads the view only when a candidate past the k-th is close, and reports no swap inside the top k", () => {
    let reads = 0;
    const view = () => {
      reads += 1;
      return residencyOf({ b: { resident: true } });
    };
    const ranked = rows(["a", 10], ["b", 9.9], ["c", 5]);
    expect(preferWarm(ranked, 2, view, 0.05)).toEqual({ chosen: ranked.slice(0, 2), swaps: [] });
    expect(reads).toBe(0);
    expect(preferWarm(ranked, 1, view, 0.05).chosen.map((r) => r.expertId)).toEqual(["b"]);
    expect(reads).toBe(1);
  });

  it("reads the scheduler's counters", () => {
    const view = residencyFromStats({
      experts: {
        a: { resident: true, inFlight: 4, backlog: 0, slots: 4 },
        b: { resident: false, inFlight: 0, backlog: 2, slots: 4 },
        c: { resident: false, inFlight: 0, backlog: 0, slots: 4 },
        d: { resident: false, loading: true, inFlight: 0, backlog: 0, slots: 4 },
      },
    });
    expect(["a", "b", "c", "d", "e"].map(view)).toEqual([
      { resident: true, pending: false, idle: false },
      { resident: false, pending: true, idle: true },
      { resident: false, pending: false, idle: true },
      { resident: false, pending: true, idle: true },
      undefined,
    ]);
  });
});

function randomProfile(seed: number, experts: number, skills: string[], negative = false): Profile {
  const random = mulberry32(seed);
  const profile: Profile = { version: 1, experts: {} } as Profile;
  for (let e = 0; e < experts; e++) {
    const scores: Record<string, number> = {};
    // Some skills missing, some ties (integers), all <= 0 when negative.
    for (const skill of skills) if (random() < 0.8) scores[skill] = Math.round((random() * 2 - (negative ? 2 : 1)) * 5);
    profile.experts[`x${String(e).padStart(2, "0")}`] = { skills: scores, ...(random() < 0.5 ? { accuracy: random() } : {}) };
  }
  return profile;
}

describe("symbolic top-k fast path", () => {
  it("recruits exactly what ranking every expert recruits (ids, weights, reasons)", () => {
    const skills = ["s1", "s2", "s3", "s4"];
    for (let seed = 1; seed <= 60; seed++) {
      const profile = randomProfile(seed, 3 + (seed % 25), skills, seed % 5 === 0);
      const random = mulberry32(seed * 7);
      const tags: SkillTag[] = skills.filter(() => random() < 0.6).map((skill) => ({ skill, score: Math.round(random() * 100) / 100 }));
      const available = [...Object.keys(profile.experts), "unknown-expert", "x00"];
      const k = 1 + (seed % 4);
      const got = recruitSymbolic(tags, profile, available, { k, selection: "top", seed: 0 });
      const ranked = suitability(tags, profile, available);
      if (got.fallback) continue; // the fallback path is the ranking itself
      const chosen = ranked.slice(0, k);
      const weights = suitabilityWeights(chosen.map((r) => r.suitability));
      expect(got.recruits).toEqual(chosen.map((r, i) => ({ expertId: r.expertId, weight: weights[i], reason: explain(r) })));
    }
  });

  it("through recruit(): swaps only with a margin and a warm candidate, and says so in the trace", () => {
    const profile = { version: 1, experts: { a: { skills: { math: 10 }, competence: 1 }, b: { skills: { math: 9.8 }, competence: 1 }, c: { skills: { math: 5 }, competence: 1 } } } as unknown as Profile;
    const tags = [{ skill: "math", score: 1 }];
    const input = { skills: tags, text: "q", profile, available: ["a", "b", "c"], classify: () => ({ category: "", confidence: 0, ranking: [] }), residency: () => residencyOf({ b: { resident: true } }) };
    const on = parseConfig({ routing: { strategy: "symbolic", k: 1 } }, process.cwd()).routing;
    const off = parseConfig({ routing: { strategy: "symbolic", k: 1, residencyMargin: 0 } }, process.cwd()).routing;
    expect(on.residencyMargin).toBe(0.05);
    const warm = recruit(on, input);
    expect(warm.recruits.map((r) => r.expertId)).toEqual(["b"]);
    expect(warm.residencySwaps).toEqual([{ expertId: "b", over: "a" }]);
    expect(warm.recruits[0]!.reason).toContain("residency: resident: taken over a");
    const plain = recruit(off, input);
    expect(plain.recruits.map((r) => r.expertId)).toEqual(["a"]);
    expect(plain.residencySwaps).toBeUndefined();
    const adaptive = recruit({ ...on, strategy: "adaptive", adaptive: { p: 0.3, kMin: 1, kMax: 1 } }, input);
    expect(adaptive.recruits.map((r) => r.expertId)).toEqual(["b"]);
    expect(adaptive.residencySwaps).toEqual([{ expertId: "b", over: "a" }]);
  });
});
