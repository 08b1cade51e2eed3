/**
 * Adaptive k: rank by suitability, normalise the positive suitabilities to a distribution, and recruit
 * the smallest best-first prefix holding at least mass p, clamped to [kMin, kMax]. A clear specialist
 * is asked alone; a question spread over several skills recruits more experts.
 */
import type { Recruitment, SkillTag } from "../../kernel/contracts.js";
import type { Profile } from "../profile/format.js";
import { preferWarm, type ResidencyView } from "./residency.js";
import { competenceFallback, explain, missingEvidence, noExpertAvailable, suitability, swapNote } from "./symbolic.js";
import { fixed, suitabilityWeights } from "./weights.js";

export interface AdaptiveSettings {
  p: number;
  kMin: number;
  kMax: number;
}

export function recruitAdaptive(
  skills: readonly SkillTag[],
  profile: Profile | undefined,
  available: readonly string[],
  settings: AdaptiveSettings,
  residency?: { view: (() => ResidencyView) | undefined; margin: number },
): Recruitment {
  const ranked = suitability(skills, profile, available);
  if (ranked.length === 0) throw noExpertAvailable("adaptive");
  // kMin wins if the two conflict; both are limited by the experts there are.
  const lo = Math.min(Math.max(1, settings.kMin), ranked.length);
  const hi = Math.max(lo, Math.min(settings.kMax, ranked.length));
  const why = missingEvidence(skills, profile, ranked);
  if (why) return competenceFallback("adaptive", ranked, available, lo, why);

  const positive = ranked.reduce((sum, row) => sum + Math.max(0, row.suitability), 0);
  const mass = ranked.map((row) => Math.max(0, row.suitability) / positive);
  const cumulative: number[] = [];
  mass.reduce((sum, m, i) => (cumulative[i] = sum + m), 0);
  // Tolerance: masses like 0.3 + 0.5 must reach p = 0.8 despite floating-point rounding.
  const reached = cumulative.findIndex((c) => c >= settings.p - 1e-9) + 1;
  const k = Math.min(Math.max(reached, lo), hi);
  // k comes from the ranking's mass; residency may then swap close candidates within it.
  const { chosen, swaps } = preferWarm(ranked, k, residency?.view, residency?.margin ?? 0);
  const weights = suitabilityWeights(chosen.map((row) => row.suitability));
  const last = cumulative[k - 1]!;
  const clamp = k > reached ? ` (raised to kMin ${lo})` : k < reached ? ` (capped at kMax ${hi})` : "";
  const summary = `; ${last >= settings.p - 1e-9 ? "≥" : "<"} p ${fixed(settings.p)}${clamp}`;
  return {
    strategy: "adaptive",
    recruits: chosen.map((row, i) => {
      const at = ranked.indexOf(row);
      return {
        expertId: row.expertId,
        weight: weights[i]!,
        reason: `${explain(row)}; mass ${fixed(mass[at]!)}, cumulative ${fixed(cumulative[at]!)}${i === k - 1 ? summary : ""}${swapNote(swaps, row.expertId)}`,
      };
    }),
    ...(swaps.length > 0 ? { residencySwaps: swaps.map(({ expertId, over }) => ({ expertId, over })) } : {}),
  };
}
