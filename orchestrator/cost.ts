/**
 * What expert calls cost, in US dollars. A call's cost is the expert's declared price when the config
 * gives one (`cost: {perCall}` or `{perKPromptTokens, perKCompletionTokens}` times the call's token
 * usage), else what the backend reported (a replay expert's recorded cost), else unknown. The expected
 * cost per call, which cost-aware routing ranks by, is the declared per-call price, else the backend's
 * own expectation (a replay expert's mean recorded cost), else the per-token prices applied to a
 * nominal call of NOMINAL_PROMPT_TOKENS prompt tokens and `generation.maxTokens` completion tokens.
 * Pure, except `expectedCosts`, which asks the backends.
 */
import type { TokenUsage } from "../kernel/contracts.js";
import type { ExpertBackend } from "../experts/spec.js";
import type { ExpertCost, ExpertConfig } from "./config/schema.js";

/** The prompt a nominal call is priced at when only per-token prices are known. */
export const NOMINAL_PROMPT_TOKENS = 1000;

export function priceOf(cost: ExpertCost, usage: TokenUsage): number {
  if ("perCall" in cost) return cost.perCall;
  return (usage.promptTokens * cost.perKPromptTokens + usage.completionTokens * cost.perKCompletionTokens) / 1000;
}

/** One call's cost: the declared price, else the reported one, else undefined (unknown). */
export function callCost(declared: ExpertCost | undefined, usage: TokenUsage, reported: number | undefined): number | undefined {
  return declared ? priceOf(declared, usage) : reported;
}

interface CostAware {
  expectedCost?: () => Promise<number | undefined>;
}

/** Expected US dollars per call of every expert whose cost is known. */
export async function expectedCosts(
  configs: readonly ExpertConfig[],
  experts: ReadonlyMap<string, ExpertBackend>,
  maxTokens: number,
): Promise<Record<string, number>> {
  const costs: Record<string, number> = {};
  for (const config of configs) {
    const declared = config.cost;
    let expected: number | undefined;
    if (declared && "perCall" in declared) expected = declared.perCall;
    else {
      const backend = experts.get(config.id) as (ExpertBackend & CostAware) | undefined;
      expected = await backend?.expectedCost?.().catch(() => undefined);
      if (expected === undefined && declared) expected = priceOf(declared, { promptTokens: NOMINAL_PROMPT_TOKENS, completionTokens: maxTokens });
    }
    if (expected !== undefined) costs[config.id] = expected;
  }
  return costs;
}

/** US dollars spent per expert since start-up: what /metrics and batch summaries report. */
export class CostLedger {
  private readonly spent = new Map<string, number>();

  add(expertId: string, usd: number | undefined): void {
    if (usd !== undefined && usd > 0) this.spent.set(expertId, (this.spent.get(expertId) ?? 0) + usd);
  }

  byExpert(): Record<string, number> {
    return Object.fromEntries(this.spent);
  }

  total(): number {
    let sum = 0;
    for (const usd of this.spent.values()) sum += usd;
    return sum;
  }
}

/** A profile expert's vote weight in a competence-weighted vote, when the profile measured its accuracy. */
export function profileVoteWeight(
  experts: Readonly<Record<string, { accuracy?: number; answered?: number }>> | undefined,
  expertId: string,
  weight: (accuracy: number, answered: number) => number,
): number | undefined {
  const entry = experts && Object.hasOwn(experts, expertId) ? experts[expertId] : undefined;
  return entry?.accuracy === undefined ? undefined : weight(entry.accuracy, entry.answered ?? 0);
}
