import { describe, expect, it } from "vitest";
import { recruitFixed } from "../../../orchestrator/recruit/fixed.js";

describe("recruitFixed", () => {
  it("recruits the listed experts in order with equal weights", () => {
    const recruitment = recruitFixed(["b", "a", "b"], ["a", "b", "c"]);
    expect(recruitment).toEqual({
      strategy: "fixed",
      recruits: [
        { expertId: "b", weight: 0.5, reason: "listed in routing.fixed" },
        { expertId: "a", weight: 0.5, reason: "listed in routing.fixed" },
      ],
    });
  });

  it("skips unavailable experts and says so", () => {
    const recruitment = recruitFixed(["a", "gone", "c", "lost"], ["a", "b", "c"]);
    expect(recruitment.recruits.map((r) => [r.expertId, r.weight])).toEqual([
      ["a", 0.5],
      ["c", 0.5],
    ]);
    expect(recruitment.fallback).toBe("skipped unavailable: gone, lost");
  });

  it("throws NO_EXPERT_AVAILABLE when none is left", () => {
    expect(() => recruitFixed(["gone"], ["a"])).toThrowError(expect.objectContaining({ code: "NO_EXPERT_AVAILABLE", message: expect.stringContaining("gone") }));
    expect(() => recruitFixed([], ["a"])).toThrowError(/lists no experts/);
  });
});
