/**
 * Cost-aware Symbolic recruitment (`routing.costWeight` λ > 0): every available expert scores
 *   quality − λ x cost / max cost
 * where quality is its suitability (suitability x competence, symbolic.ts) divided by the best
 * suitability, or, without usable evidence, its competence divided by the best competence; both
 * terms lie in [0, 1]. λ = 0 ranks by quality alone; λ = 1 lets going from the dearest expert to a
 * free one outweigh the whole quality gap between the best expert and a useless one. The k best
 * scores are recruited, weighted by score (shifted as in weights.ts). Experts of unknown cost count
 * as free, and the reason says so. Pure.
 */
import type { Recruitment, SkillTag } from "../../kernel/contracts.js";
import type { Profile } from "../profile/format.js";
import { missingEvidence, noExpertAvailable, suitability, explain } from "./symbolic.js";
import { fixed, suitabilityWeights } from "./weights.js";

export interface CostWeightSettings {
  k: number;
  costWeight: number;
}

export function recruitCostWeighted(
  skills: readonly SkillTag[],
  profile: Profile | undefined,
  available: readonly string[],
  costs: Readonly<Record<string, number>>,
  settings: CostWeightSettings,
): Recruitment {
  const ranked = suitability(skills, profile, available);
  if (ranked.length === 0) throw noExpertAvailable("symbolic");
  const why = missingEvidence(skills, profile, ranked);
  const raw = ranked.map((row) => (why ? row.competence : row.suitability));
  const best = Math.max(...raw.map(Math.abs));
  const maxCost = Math.max(0, ...ranked.map((row) => costs[row.expertId] ?? 0));
  const scored = ranked.map((row, i) => {
    const quality = best > 0 ? raw[i]! / best : 0;
    const cost = costs[row.expertId];
    const normCost = cost === undefined || maxCost === 0 ? 0 : cost / maxCost;
    return { row, quality, cost, score: quality - settings.costWeight * normCost, normCost };
  });
  scored.sort((a, b) => b.score - a.score || (a.cost ?? 0) - (b.cost ?? 0) || (a.row.expertId < b.row.expertId ? -1 : 1));
  const k = Math.min(Math.max(1, Math.floor(settings.k)), scored.length);
  const chosen = scored.slice(0, k);
  const weights = suitabilityWeights(chosen.map((s) => s.score));
  const price = (s: (typeof scored)[number]) => (s.cost === undefined ? "cost unknown (counted as free)" : `cost $${s.cost.toPrecision(3)} (${fixed(s.normCost)} of the dearest)`);
  return {
    strategy: "symbolic",
    recruits: chosen.map((s, i) => ({
      expertId: s.row.expertId,
      weight: weights[i]!,
      reason: `${why ? `competence ${fixed(s.row.competence)}` : explain(s.row)}; quality ${fixed(s.quality)} − λ ${fixed(settings.costWeight)} x ${price(s)} → ${fixed(s.score)}`,
    })),
    ...(why ? { fallback: `${why}; quality = competence` } : {}),
  };
}
