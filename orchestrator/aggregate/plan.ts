/**
 * Chooses how to turn the recruits' answers into one: pure, so every branch is unit-tested.
 *
 * - one answer: `single` (nothing to aggregate);
 * - `vote`: weighted majority over extracted answers (choice letter, number, short text); when
 *   nothing can be extracted, the highest-weight answer;
 * - `synthesize`: the aggregator model writes the answer, unless every answer extracts to the same
 *   value and `skipWhenAgree` is on (`agree`: the aggregator would only repeat it);
 * - `single` method: the highest-weight answer.
 *
 * With a JSON schema (structured output) a vote and the agreement check compare parsed values
 * (canonical JSON), and only answers that parse and match the schema can win; when none does, the
 * highest-weight answer stands and the reason says so. Every plan but `synthesize` carries the
 * finish reason of the answer it returns: a candidate that the token budget cut stays `length`.
 */
import type { AggregationMethod, FinishReason } from "../../kernel/contracts.js";
import { answersAgree, majorityVote } from "./vote.js";

export interface WeightedAnswer {
  expertId: string;
  text: string;
  weight: number;
  /** How the answer ended; "stop" when not given. */
  finishReason?: FinishReason;
}

export interface AggregationSettings {
  method: "synthesize" | "vote" | "single";
  skipWhenAgree: boolean;
  voteKind: "auto" | "choice" | "number" | "text";
  /** The aggregator expert; synthesis without one degrades to a vote. */
  aggregator: string | undefined;
  /** The request's JSON schema: answers are compared as parsed JSON values (see the header). */
  jsonSchema?: Record<string, unknown>;
}

export type AggregationPlan =
  | { method: Exclude<AggregationMethod, "synthesize">; text: string; finishReason: FinishReason; expertIds: string[]; reason: string }
  | { method: "synthesize"; aggregator: string; reason: string };

function strongest(answers: readonly WeightedAnswer[]): WeightedAnswer {
  return answers.reduce((best, answer) => (answer.weight > best.weight ? answer : best));
}

export function planAggregation(answers: readonly WeightedAnswer[], settings: AggregationSettings): AggregationPlan {
  if (answers.length === 0) throw new Error("planAggregation needs at least one answer");
  const finish = (answer: WeightedAnswer): FinishReason => answer.finishReason ?? "stop";
  if (answers.length === 1) {
    const only = answers[0]!;
    return { method: "single", text: only.text, finishReason: finish(only), expertIds: [only.expertId], reason: "one answer: nothing to aggregate" };
  }
  if (settings.method === "single") {
    const best = strongest(answers);
    return { method: "single", text: best.text, finishReason: finish(best), expertIds: [best.expertId], reason: "aggregation.method single: highest-weight answer" };
  }
  const texts = answers.map((answer) => answer.text);
  const { jsonSchema } = settings;
  if (settings.method === "synthesize" && settings.aggregator) {
    if (settings.skipWhenAgree && answersAgree(texts, settings.voteKind, jsonSchema)) {
      const best = strongest(answers);
      return {
        method: "agree",
        text: best.text,
        finishReason: finish(best),
        expertIds: answers.map((answer) => answer.expertId),
        reason: `all ${answers.length} answers agree: aggregator skipped`,
      };
    }
    return { method: "synthesize", aggregator: settings.aggregator, reason: `${settings.aggregator} synthesises ${answers.length} answers` };
  }
  const vote = majorityVote(answers, settings.voteKind, jsonSchema);
  const prefix = settings.method === "synthesize" ? "no aggregator configured: " : "";
  if (!vote) {
    const best = strongest(answers);
    const none = jsonSchema ? "no answer parses and matches the JSON schema" : "no extractable answer";
    return { method: "vote", text: best.text, finishReason: finish(best), expertIds: [best.expertId], reason: `${prefix}${none}: highest-weight answer` };
  }
  // A JSON value is shown as itself; an extracted answer in quotes.
  const shown = jsonSchema ? vote.winner.value : JSON.stringify(vote.winner.value);
  return {
    method: "vote",
    text: vote.winner.text,
    finishReason: finish(answers[vote.winner.index]!),
    expertIds: vote.winner.expertIds,
    reason: `${prefix}majority vote for ${shown} (agreement ${vote.agreement.toFixed(2)})`,
  };
}
