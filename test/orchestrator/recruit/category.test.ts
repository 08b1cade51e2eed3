import { describe, expect, it } from "vitest";
import { recruitCategory, type CategorySettings } from "../../../orchestrator/recruit/category.js";

const settings: CategorySettings = { map: { math: ["m1", "m2"], code: "coder", law: ["lawyer"] }, generalist: "general", threshold: 0.5 };
const available = ["m1", "m2", "coder", "general"];
const ask = (category: string, confidence: number, s: CategorySettings = settings, a = available) => recruitCategory({ category, confidence }, s, a);

describe("recruitCategory", () => {
  it("sends a confident, mapped category to its experts with equal weights", () => {
    const math = ask("math", 0.9);
    expect(math.strategy).toBe("category");
    expect(math.fallback).toBeUndefined();
    expect(math.recruits.map((r) => [r.expertId, r.weight])).toEqual([
      ["m1", 0.5],
      ["m2", 0.5],
    ]);
    expect(math.recruits[0]!.reason).toBe('category "math" (confidence 0.90 ≥ 0.50)');
    expect(ask("code", 0.5).recruits.map((r) => [r.expertId, r.weight])).toEqual([["coder", 1]]);
  });

  it("falls back to the generalist below the threshold", () => {
    const low = ask("math", 0.3);
    expect(low.recruits.map((r) => [r.expertId, r.weight])).toEqual([["general", 1]]);
    expect(low.fallback).toBe('low confidence 0.30 < 0.50 for "math" → generalist general');
  });

  it("falls back for an unmapped category and for unavailable experts", () => {
    expect(ask("poetry", 0.99).fallback).toBe('unmapped category "poetry" → generalist general');
    const law = ask("law", 0.99);
    expect(law.recruits.map((r) => r.expertId)).toEqual(["general"]);
    expect(law.fallback).toBe('experts for "law" unavailable: lawyer → generalist general');
  });

  it("uses the mapped experts that are available and notes the rest", () => {
    const partial = ask("math", 0.9, settings, ["m2", "general"]);
    expect(partial.recruits.map((r) => [r.expertId, r.weight])).toEqual([["m2", 1]]);
    expect(partial.fallback).toBe('skipped unavailable experts for "math": m1');
  });

  it("throws NO_EXPERT_AVAILABLE without a usable generalist", () => {
    const noGeneralist: CategorySettings = { map: settings.map, threshold: 0.5 };
    expect(() => ask("poetry", 0.9, noGeneralist)).toThrowError(
      expect.objectContaining({ code: "NO_EXPERT_AVAILABLE", message: 'category routing: unmapped category "poetry", and no routing.category.generalist is configured' }),
    );
    expect(() => ask("math", 0.1, settings, ["m1"])).toThrowError(/the generalist "general" is unavailable/);
  });
});
