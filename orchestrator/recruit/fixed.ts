/** Fixed routing: always the listed experts, equally weighted; unavailable ones are skipped. */
import type { Recruitment } from "../../kernel/contracts.js";
import { ConclaveError } from "../../kernel/errors.js";
import { distinct, equalWeights } from "./weights.js";

export function recruitFixed(ids: readonly string[], available: readonly string[]): Recruitment {
  const ready = new Set(available);
  const listed = distinct(ids);
  const usable = listed.filter((id) => ready.has(id));
  const missing = listed.filter((id) => !ready.has(id));
  if (usable.length === 0) {
    const detail = listed.length === 0 ? "routing.fixed lists no experts" : `none of routing.fixed is available (${missing.join(", ")})`;
    throw new ConclaveError("NO_EXPERT_AVAILABLE", `fixed routing: ${detail}`);
  }
  const weights = equalWeights(usable.length);
  return {
    strategy: "fixed",
    recruits: usable.map((expertId, i) => ({ expertId, weight: weights[i]!, reason: "listed in routing.fixed" })),
    ...(missing.length > 0 ? { fallback: `skipped unavailable: ${missing.join(", ")}` } : {}),
  };
}
