/**
 * Category routing (Chain-of-Experts style): a classifier names the request's category with a
 * confidence; a confident, mapped category goes to its experts with equal weights; otherwise the
 * generalist answers, and `fallback` says why.
 */
import type { Recruitment } from "../../kernel/contracts.js";
import { ConclaveError } from "../../kernel/errors.js";
import { distinct, equalWeights, fixed } from "./weights.js";

export interface CategorySettings {
  map: Readonly<Record<string, string | readonly string[]>>;
  generalist?: string | undefined;
  threshold: number;
}

export interface Classification {
  category: string;
  confidence: number;
}

function toGeneralist(why: string, settings: CategorySettings, available: ReadonlySet<string>): Recruitment {
  const generalist = settings.generalist;
  if (generalist === undefined) {
    throw new ConclaveError("NO_EXPERT_AVAILABLE", `category routing: ${why}, and no routing.category.generalist is configured`);
  }
  if (!available.has(generalist)) {
    throw new ConclaveError("NO_EXPERT_AVAILABLE", `category routing: ${why}, and the generalist "${generalist}" is unavailable`);
  }
  return {
    strategy: "category",
    recruits: [{ expertId: generalist, weight: 1, reason: `generalist (${why})` }],
    fallback: `${why} → generalist ${generalist}`,
  };
}

export function recruitCategory(classification: Classification, settings: CategorySettings, available: readonly string[]): Recruitment {
  const { category, confidence } = classification;
  const ready = new Set(available);
  if (confidence < settings.threshold) {
    return toGeneralist(`low confidence ${fixed(confidence)} < ${fixed(settings.threshold)} for "${category}"`, settings, ready);
  }
  const target = Object.hasOwn(settings.map, category) ? settings.map[category] : undefined;
  if (target === undefined) return toGeneralist(`unmapped category "${category}"`, settings, ready);
  const mapped = distinct(typeof target === "string" ? [target] : target);
  const usable = mapped.filter((id) => ready.has(id));
  const missing = mapped.filter((id) => !ready.has(id));
  if (usable.length === 0) return toGeneralist(`experts for "${category}" unavailable: ${missing.join(", ")}`, settings, ready);
  const weights = equalWeights(usable.length);
  return {
    strategy: "category",
    recruits: usable.map((expertId, i) => ({
      expertId,
      weight: weights[i]!,
      reason: `category "${category}" (confidence ${fixed(confidence)} ≥ ${fixed(settings.threshold)})`,
    })),
    ...(missing.length > 0 ? { fallback: `skipped unavailable experts for "${category}": ${missing.join(", ")}` } : {}),
  };
}
