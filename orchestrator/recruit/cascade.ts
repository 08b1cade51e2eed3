/**
 * Cascade recruitment (FrugalGPT / AutoMix at model level): the experts to ask, in escalation tiers,
 * cheapest first. Pure; the pipeline's cascade stage (pipeline.ts `runCascade`) asks tier after tier
 * and stops as soon as the answers so far agree enough.
 *
 * Tiers, unless `tiers` lists them explicitly:
 * 1. the strongest expert is the one with the highest competence (ties: the cheaper); it is the last
 *    tier, alone;
 * 2. the others are adequate when their competence (accuracy / best accuracy) is at least
 *    `minCompetence` and they cost less than the strongest;
 * 3. of those, only the cost-competence Pareto frontier is kept (an expert that is no better than a
 *    cheaper one adds cost but no information);
 * 4. the frontier, cheapest first, is cut into tiers of `tierSize`; experts left over that cannot
 *    fill a tier are left out (a tier of one cannot measure agreement, and one that merely joined a
 *    cheaper tier would make every question pay for it), so a frontier smaller than a tier leaves
 *    the strongest to answer alone.
 * Without a profile competence is unknown: every expert is adequate and the dearest is the strongest.
 * Experts of unknown cost count as the dearest. Weights are competences, normalised.
 */
import type { Recruitment } from "../../kernel/contracts.js";
import { competenceOf, type Profile } from "../profile/format.js";
import { noExpertAvailable } from "./symbolic.js";
import { distinct, fixed } from "./weights.js";

export interface CascadeSettings {
  threshold: number;
  tierSize: number;
  minCompetence: number;
  tiers?: ReadonlyArray<readonly string[]> | undefined;
}

interface Candidate {
  expertId: string;
  competence: number;
  cost: number;
}

export function cascadeTiers(
  profile: Profile | undefined,
  available: readonly string[],
  costs: Readonly<Record<string, number>>,
  settings: CascadeSettings,
): string[][] {
  const ready = distinct(available);
  if (settings.tiers) {
    const usable = new Set(ready);
    return settings.tiers.map((tier) => distinct(tier).filter((id) => usable.has(id))).filter((tier) => tier.length > 0);
  }
  const candidates: Candidate[] = ready.map((expertId) => ({
    expertId,
    competence: profile ? competenceOf(profile, expertId) : 1,
    cost: costs[expertId] ?? Number.POSITIVE_INFINITY,
  }));
  if (candidates.length === 0) return [];
  // With a profile: most competent, ties to the cheaper. Without one: the dearest (price as the only signal).
  const stronger = (c: Candidate, best: Candidate) =>
    profile ? c.competence > best.competence || (c.competence === best.competence && c.cost < best.cost) : c.cost > best.cost;
  const strongest = candidates.reduce((best, c) => (stronger(c, best) ? c : best));
  const adequate = candidates.filter((c) => c !== strongest && c.competence >= settings.minCompetence && c.cost < strongest.cost);
  // Without a profile every competence is the same unknown: no expert can dominate another.
  const dominated = (c: Candidate) =>
    profile !== undefined && adequate.some((o) => o !== c && o.cost <= c.cost && o.competence >= c.competence && (o.cost < c.cost || o.competence > c.competence));
  const frontier = adequate
    .filter((c) => !dominated(c))
    .sort((a, b) => a.cost - b.cost || b.competence - a.competence);
  const tiers: string[][] = [];
  for (let i = 0; i + settings.tierSize <= frontier.length; i += settings.tierSize) {
    tiers.push(frontier.slice(i, i + settings.tierSize).map((c) => c.expertId));
  }
  tiers.push([strongest.expertId]);
  return tiers;
}

export function recruitCascade(
  profile: Profile | undefined,
  available: readonly string[],
  costs: Readonly<Record<string, number>>,
  settings: CascadeSettings,
): Recruitment {
  const tiers = cascadeTiers(profile, available, costs, settings);
  if (tiers.length === 0) throw noExpertAvailable("cascade");
  const flat = tiers.flatMap((tier, index) => tier.map((expertId) => ({ expertId, tier: index })));
  const competence = flat.map(({ expertId }) => (profile ? competenceOf(profile, expertId) : 1));
  const total = competence.reduce((a, b) => a + b, 0);
  const price = (id: string) => (costs[id] === undefined ? "cost unknown" : `cost $${costs[id]!.toPrecision(3)}`);
  return {
    strategy: "cascade",
    recruits: flat.map(({ expertId, tier }, i) => ({
      expertId,
      tier,
      weight: total > 0 ? competence[i]! / total : 1 / flat.length,
      reason: `tier ${tier + 1}/${tiers.length}${tier === tiers.length - 1 ? " (strongest)" : ""}: competence ${fixed(competence[i]!)}, ${price(expertId)}`,
    })),
  };
}
