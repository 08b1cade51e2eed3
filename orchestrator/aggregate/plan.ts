/**
 * Chooses how to turn the recruits' answers into one: pure, so every branch is unit-tested.
 *
 * - one answer: `single` (nothing to aggregate);
 * - `vote`: weighted majority over extracted answers (choice letter, number, short text); when
 *   nothing can be extracted, the highest-weight answer;
 * - `synthesize`: the aggregator model writes the answer, unless every answer extracts to the same
 *   value and `skipWhenAgree` is on (`agree`: the aggregator would only repeat it);
 * - `single` method: the highest-weight answer.
 */
import type { AggregationMethod } from "../../kernel/contracts.js";
import { answersAgree, majorityVote } from "./vote.js";

export interface WeightedAnswer {
  expertId: string;
  text: string;
  weight: number;
}

export interface AggregationSettings {
  method: "synthesize" | "vote" | "single";
  skipWhenAgree: boolean;
  voteKind: "auto" | "choice" | "number" | "text";
  /** The aggregator expert; synthesis without one degrades to a vote. */
  aggregator: string | undefined;
}

export type AggregationPlan =
  | { method: Exclude<AggregationMethod, "synthesize">; text: string; expertIds: string[]; reason: string }
  | { method: "synthesize"; aggregator: string; reason: string };

function strongest(answers: readonly WeightedAnswer[]): WeightedAnswer {
  return answers.reduce((best, answer) => (answer.weight > best.weight ? answer : best));
}

export function planAggregation(answers: readonly WeightedAnswer[], settings: AggregationSettings): AggregationPlan {
  if (answers.length === 0) throw new Error("planAggregation needs at least one answer");
  if (answers.length === 1) {
    const only = answers[0]!;
    return { method: "single", text: only.text, expertIds: [only.expertId], reason: "one answer: nothing to aggregate" };
  }
  if (settings.method === "single") {
    const best = strongest(answers);
    return { method: "single", text: best.text, expertIds: [best.expertId], reason: "aggregation.method single: highest-weight answer" };
  }
  const texts = answers.map((answer) => answer.text);
  if (settings.method === "synthesize" && settings.aggregator) {
    if (settings.skipWhenAgree && answersAgree(texts, settings.voteKind)) {
      const best = strongest(answers);
      return {
        method: "agree",
        text: best.text,
        expertIds: answers.map((answer) => answer.expertId),
        reason: `all ${answers.length} answers agree: aggregator skipped`,
      };
    }
    return { method: "synthesize", aggregator: settings.aggregator, reason: `${settings.aggregator} synthesises ${answers.length} answers` };
  }
  const vote = majorityVote(answers, settings.voteKind);
  const prefix = settings.method === "synthesize" ? "no aggregator configured: " : "";
  if (!vote) {
    const best = strongest(answers);
    return { method: "vote", text: best.text, expertIds: [best.expertId], reason: `${prefix}no extractable answer: highest-weight answer` };
  }
  return {
    method: "vote",
    text: vote.winner.text,
    expertIds: vote.winner.expertIds,
    reason: `${prefix}majority vote for ${JSON.stringify(vote.winner.value)} (agreement ${vote.agreement.toFixed(2)})`,
  };
}
