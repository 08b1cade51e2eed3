/**
 * The systems `conclave eval` compares, each a way of configuring the same orchestrator:
 *
 *   single:<expert>     one expert, always (routing.strategy fixed)
 *   random              a uniformly drawn expert per question (seeded by the question)
 *   oracle              per question, the cheapest expert whose recorded answer is correct (else the
 *                       cheapest): an upper bound no router can reach, for scale
 *   symbolic-vote       Symbolic-MoE top-k, competence-weighted vote
 *   symbolic-vote-recruit  the same with the recruitment weights (aggregation.weighting recruit)
 *   symbolic-synthesis  Symbolic-MoE top-k, the profile's aggregator synthesises (see below)
 *   category            CoE: the classifier's category -> the expert the profile scores best on that
 *                       category's skills; low confidence -> the most competent expert
 *   adaptive            top-p adaptive k, vote
 *   cascade             cheapest adequate tier first, escalate on disagreement
 *   cascade-fitted      the cascade whose first tier was fitted on a train split under a cost
 *                       budget (fit-cascade.ts; `conclave eval --train`)
 *   cost:<λ>            Symbolic top-1 ranked by quality − λ x normalised cost
 *
 * Families (`single`, `cost`) expand to every expert / every λ of `lambdas`. Synthesis over replay
 * experts: a replay aggregator has no recording of a synthesis prompt (nobody ever asked it), so its
 * call fails with REPLAY_UNKNOWN_PROMPT and the pipeline's documented fallback, a vote, answers; the
 * row is measured as it really runs and labelled so, never credited with an invented synthesis.
 * When every answer agrees the aggregator is skipped anyway (`agree`).
 */
import { ConclaveError } from "../../kernel/errors.js";
import { seededRandom } from "../../kernel/prng.js";
import type { SkillCatalog } from "../../skills/catalog.js";
import type { Profile } from "../profile/format.js";
import { competenceOf } from "../profile/format.js";
import type { EvalItem } from "./dataset.js";

export interface SystemSpec {
  name: string;
  family: string;
  /** Merged over the base config (routing, aggregation). */
  overrides?: Record<string, unknown>;
  /** Bypass routing: the expert to ask for each question (random, oracle). */
  pick?: (item: EvalItem) => string;
  note?: string;
}

export interface SystemContext {
  /** Expert id -> the recorded model it replays. */
  experts: ReadonlyArray<{ id: string; model: string }>;
  profile: Profile | undefined;
  catalog: SkillCatalog;
  k: number;
  seed: number;
  lambdas: readonly number[];
  /** Tiers fitted on train (fit-cascade.ts), for the cascade-fitted system. */
  fittedTiers?: string[][];
}

/** λ values for the cost-weighted sweep: 0 and a 1-2-5 grid over four decades, not tuned to any task. */
export const DEFAULT_LAMBDAS = [0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50] as const;

export const DEFAULT_SYSTEMS = ["single", "random", "oracle", "symbolic-vote", "symbolic-vote-recruit", "symbolic-synthesis", "category", "adaptive", "cascade", "cost"] as const;

function recordedCost(item: EvalItem, model: string): number {
  return item.answers[model]?.cost ?? Number.POSITIVE_INFINITY;
}

/** CoE's category map from the profile: per catalog category, the expert with the best summed score on its skills. */
export function categoryMap(profile: Profile | undefined, catalog: SkillCatalog, ids: readonly string[]): { map: Record<string, string>; generalist: string } {
  const byCompetence = [...ids].sort((a, b) => (profile ? competenceOf(profile, b) - competenceOf(profile, a) : 0));
  const generalist = byCompetence[0]!;
  const map: Record<string, string> = {};
  const categories = new Map<string, string[]>();
  for (const skill of catalog.skills) {
    const category = skill.category ?? skill.id;
    categories.set(category, [...(categories.get(category) ?? []), skill.id]);
  }
  for (const [category, skills] of categories) {
    let best = generalist;
    let bestScore = Number.NEGATIVE_INFINITY;
    for (const id of byCompetence) {
      const scores = profile?.experts[id]?.skills ?? {};
      const known = skills.filter((s) => Object.hasOwn(scores, s));
      if (known.length === 0) continue;
      const score = known.reduce((sum, s) => sum + scores[s]!, 0);
      if (score > bestScore) {
        best = id;
        bestScore = score;
      }
    }
    map[category] = best;
  }
  return { map, generalist };
}

export function buildSystems(names: readonly string[], context: SystemContext): SystemSpec[] {
  const ids = context.experts.map((e) => e.id);
  const modelOf = new Map(context.experts.map((e) => [e.id, e.model]));
  const systems: SystemSpec[] = [];
  const fixed = (id: string): SystemSpec => ({ name: `single:${id}`, family: "single", overrides: { routing: { strategy: "fixed", fixed: [id] } } });
  const cost = (lambda: number): SystemSpec => ({
    name: `cost:${lambda}`,
    family: "cost-weighted",
    overrides: { routing: { strategy: "symbolic", k: 1, costWeight: lambda } },
  });
  for (const name of names) {
    if (name === "single") systems.push(...ids.map(fixed));
    else if (name.startsWith("single:")) {
      const id = name.slice("single:".length);
      if (!modelOf.has(id)) throw new ConclaveError("EVAL_INVALID", `--strategies: no expert "${id}" (known: ${ids.join(", ")})`);
      systems.push(fixed(id));
    } else if (name === "cost") systems.push(...context.lambdas.map(cost));
    else if (name.startsWith("cost:")) {
      const lambda = Number(name.slice("cost:".length));
      if (!Number.isFinite(lambda) || lambda < 0) throw new ConclaveError("EVAL_INVALID", `--strategies: ${name}: λ must be a number >= 0`);
      systems.push(cost(lambda));
    } else if (name === "random") {
      systems.push({
        name,
        family: "random",
        pick: (item) => ids[Math.floor(seededRandom(context.seed, item.id)() * ids.length)]!,
      });
    } else if (name === "oracle") {
      systems.push({
        name,
        family: "oracle",
        note: "knows the answers: an upper bound, not a router",
        pick: (item) => {
          const byCost = [...ids].sort((a, b) => recordedCost(item, modelOf.get(a)!) - recordedCost(item, modelOf.get(b)!));
          return byCost.find((id) => (item.answers[modelOf.get(id)!]?.correct ?? 0) >= 0.5) ?? byCost[0]!;
        },
      });
    } else if (name === "symbolic-vote") {
      systems.push({ name, family: "symbolic", overrides: { routing: { strategy: "symbolic", k: context.k }, aggregation: { method: "vote", weighting: "competence" } } });
    } else if (name === "symbolic-vote-recruit") {
      systems.push({
        name,
        family: "symbolic (recruit-weighted vote)",
        note: "aggregation.weighting recruit (the schema default; replay configs use competence)",
        overrides: { routing: { strategy: "symbolic", k: context.k }, aggregation: { method: "vote", weighting: "recruit" } },
      });
    } else if (name === "symbolic-synthesis") {
      systems.push({
        name,
        family: "symbolic",
        note: "replay aggregators cannot synthesise new prompts: disagreements fall back to the vote",
        overrides: { routing: { strategy: "symbolic", k: context.k }, aggregation: { method: "synthesize" } },
      });
    } else if (name === "category") {
      const { map, generalist } = categoryMap(context.profile, context.catalog, ids);
      systems.push({ name, family: "category", overrides: { routing: { strategy: "category", category: { map, generalist } } } });
    } else if (name === "adaptive") {
      systems.push({ name, family: "adaptive", overrides: { routing: { strategy: "adaptive" }, aggregation: { method: "vote" } } });
    } else if (name === "cascade-fitted") {
      if (!context.fittedTiers) throw new ConclaveError("EVAL_INVALID", "--strategies cascade-fitted needs --train (a graded train split to fit it on) and a plan within the budget");
      systems.push({
        name,
        family: "cascade (fitted on train)",
        overrides: { routing: { strategy: "cascade", cascade: { tiers: context.fittedTiers } }, aggregation: { method: "vote" } },
      });
    } else if (name === "cascade") {
      systems.push({ name, family: "cascade", overrides: { routing: { strategy: "cascade" }, aggregation: { method: "vote" } } });
    } else {
      throw new ConclaveError("EVAL_INVALID", `--strategies: unknown system "${name}" (known: ${DEFAULT_SYSTEMS.join(", ")}, single:<expert>, cost:<λ>)`);
    }
  }
  return systems;
}
