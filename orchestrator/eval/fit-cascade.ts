/**
 * Fits a cascade on a graded train split, as FrugalGPT learns its cascade on train data under a
 * budget: the strongest expert is the most accurate on train; every set of `sizes` (2 or 3) cheaper
 * experts is tried as the first tier by replaying the cascade on the train questions from their
 * recorded answers (stop when the tier's answers all extract to the same value, vote.ts's reading;
 * otherwise the strongest answers, which is what the competence-weighted final vote gives when the
 * strongest's odds outweigh the tier's); the most accurate plan whose mean cost is at most `budget` x
 * the strongest's wins (ties: cheaper). The plan becomes `routing.cascade.tiers`, and the test split
 * then runs through the real pipeline. Pure; sees only the train items it is given.
 */
import { answersAgree } from "../aggregate/vote.js";
import type { EvalItem } from "./dataset.js";

export interface FittedCascade {
  tiers: string[][];
  train: { accuracy: number; costShare: number; strongestAccuracy: number };
}

function combinations<T>(items: readonly T[], size: number): T[][] {
  if (size === 0) return [[]];
  return items.flatMap((item, i) => combinations(items.slice(i + 1), size - 1).map((rest) => [item, ...rest]));
}

export function fitCascade(
  train: readonly EvalItem[],
  experts: ReadonlyArray<{ id: string; model: string }>,
  options: { budget: number; sizes?: readonly number[] },
): FittedCascade | undefined {
  if (train.length === 0 || experts.length < 2) return undefined;
  const mean = (model: string, field: "correct" | "cost") => train.reduce((sum, item) => sum + (item.answers[model]?.[field] ?? 0), 0) / train.length;
  const stats = experts.map((e) => ({ ...e, accuracy: mean(e.model, "correct"), cost: mean(e.model, "cost") }));
  const strongest = stats.reduce((best, e) => (e.accuracy > best.accuracy || (e.accuracy === best.accuracy && e.cost < best.cost) ? e : best));
  const cheaper = stats.filter((e) => e !== strongest && e.cost < strongest.cost);
  let best: { tier: string[]; accuracy: number; cost: number } | undefined;
  for (const size of options.sizes ?? [2, 3]) {
    for (const tier of combinations(cheaper, size)) {
      let correct = 0;
      let cost = 0;
      for (const item of train) {
        const answers = tier.map((e) => item.answers[e.model]);
        cost += answers.reduce((sum, a) => sum + (a?.cost ?? 0), 0);
        if (answers.every((a) => a !== undefined) && answersAgree(answers.map((a) => a!.text), "auto")) correct += answers[0]!.correct ?? 0;
        else {
          cost += item.answers[strongest.model]?.cost ?? 0;
          correct += item.answers[strongest.model]?.correct ?? 0;
        }
      }
      const accuracy = correct / train.length;
      const meanCost = cost / train.length;
      if (meanCost > options.budget * strongest.cost) continue;
      if (!best || accuracy > best.accuracy || (accuracy === best.accuracy && meanCost < best.cost)) best = { tier: tier.map((e) => e.id), accuracy, cost: meanCost };
    }
  }
  if (!best) return undefined;
  return {
    tiers: [best.tier, [strongest.id]],
    train: { accuracy: best.accuracy, costShare: best.cost / strongest.cost, strongestAccuracy: strongest.accuracy },
  };
}
