/**
 * The recruitment entry point: picks the configured strategy. Every strategy is a pure function of
 * its inputs, so the same request, profile and seed always recruit the same experts.
 */
import type { Config } from "../config/schema.js";
import type { Recruitment, SkillTag } from "../../kernel/contracts.js";
import type { Profile } from "../profile/format.js";
import { abstainRecruitment } from "./abstain.js";
import { recruitAdaptive } from "./adaptive.js";
import { recruitCategory, type Classification } from "./category.js";
import { recruitFixed } from "./fixed.js";
import type { ResidencyView } from "./residency.js";
import { recruitSymbolic } from "./symbolic.js";
import { recruitCascade } from "./cascade.js";
import { recruitCostWeighted } from "./cost-weight.js";

export { abstainRecruitment, defaultAbstainMessage, type AbstainSettings, type SkillSummary } from "./abstain.js";
export { recruitAdaptive, type AdaptiveSettings } from "./adaptive.js";
export { recruitCategory, type CategorySettings, type Classification } from "./category.js";
export { recruitFixed } from "./fixed.js";
export { preferWarm, residencyFromStats, residencyOf, warmth, type ExpertResidency, type ResidencySwap, type ResidencyView } from "./residency.js";
export { cascadeTiers, recruitCascade, type CascadeSettings } from "./cascade.js";
export { recruitCostWeighted, type CostWeightSettings } from "./cost-weight.js";
export { recruitSymbolic, suitability, type SkillContribution, type Suitability, type SymbolicOptions } from "./symbolic.js";

export interface RecruitInput {
  skills: SkillTag[];
  /** The question text: the sampling key, so each question draws reproducibly. */
  text: string;
  profile: Profile | undefined;
  available: string[];
  /** Called only by the category strategy, so other strategies never pay for classification. */
  classify: () => Classification;
  /** Expected US dollars per call of each expert whose cost is known (cost-aware and cascade routing). */
  costs?: Readonly<Record<string, number>>;
  /**
   * Which experts are warm, read only by the strategies that rank (symbolic top, adaptive) and only
   * when routing.residencyMargin > 0: close candidates then prefer the warm one (residency.ts).
   */
  residency?: () => ResidencyView;
}

export function recruit(routing: Readonly<Config["routing"]>, input: RecruitInput): Recruitment {
  const strategy = routing.strategy;
  // Before any strategy: when no skill is scored high enough, no profile or category can be trusted.
  const abstained = abstainRecruitment(strategy, input.skills, routing.abstain, input.available);
  if (abstained) return abstained;
  const margin = routing.residencyMargin;
  // A thunk: the view is read only when a close candidate could change the choice.
  const residency = margin > 0 ? input.residency : undefined;
  switch (strategy) {
    case "symbolic":
      if (routing.costWeight > 0) {
        return recruitCostWeighted(input.skills, input.profile, input.available, input.costs ?? {}, { k: routing.k, costWeight: routing.costWeight });
      }
      return recruitSymbolic(input.skills, input.profile, input.available, {
        k: routing.k,
        selection: routing.selection,
        seed: routing.seed,
        sampleKey: input.text,
        ...(residency ? { residency, residencyMargin: margin } : {}),
      });
    case "adaptive":
      return recruitAdaptive(input.skills, input.profile, input.available, routing.adaptive, residency ? { view: residency, margin } : undefined);
    case "category":
      return recruitCategory(input.classify(), routing.category, input.available);
    case "fixed":
      return recruitFixed(routing.fixed, input.available);
    case "cascade":
      return recruitCascade(input.profile, input.available, input.costs ?? {}, routing.cascade);
    default: {
      const unknown: never = strategy;
      throw new Error(`unknown routing strategy ${String(unknown)}`);
    }
  }
}
