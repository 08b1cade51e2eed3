/**
 * Choosing the aggregator (Symbolic-MoE): every candidate synthesises the same sets of experts'
 * answers to validation questions, and the one whose syntheses are right most often wins. Pure.
 *
 * Sets are of mixed quality on purpose. Where a question has both right and wrong answers, a
 * question's sets alternate between the right answer in the MINORITY (one right, the rest wrong)
 * and in the MAJORITY (one wrong), starting on a seeded coin: a candidate that copies the majority
 * fails the first kind, one that copies the odd one out fails the second, and only one that judges
 * the answers gets both. Where every answer is right (or wrong) the set is uniform: it still tells
 * whether a candidate keeps a right answer (or can fix a wrong one). Each set takes at most k answers,
 * each from a different expert, drawn and ordered with a PRNG seeded by (seed, question, set), so the
 * same inputs give the same sets on every run and machine, and position bias ("always copy Answer 1")
 * earns nothing systematic.
 */
import { seededRandom } from "../../kernel/prng.js";

export interface GradedAnswer {
  expertId: string;
  text: string;
  correct: boolean;
}

export type SetMix = "minority" | "majority" | "even" | "all-correct" | "all-wrong";

export interface SynthesisSet {
  index: number;
  candidates: GradedAnswer[];
  /** How many of the candidates are right. */
  correct: number;
  mix: SetMix;
}

export interface SetOptions {
  sets: number;
  k: number;
  seed: number;
  questionId: string;
}

/** `count` distinct items drawn with `random` (a partial Fisher-Yates shuffle). */
function draw<T>(items: readonly T[], count: number, random: () => number): T[] {
  const pool = [...items];
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(random() * (pool.length - i));
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  return pool.slice(0, count);
}

function mixOf(correct: number, size: number): SetMix {
  if (correct === size) return "all-correct";
  if (correct === 0) return "all-wrong";
  if (2 * correct < size) return "minority";
  return 2 * correct > size ? "majority" : "even";
}

const byExpert = (a: GradedAnswer, b: GradedAnswer) => (a.expertId < b.expertId ? -1 : a.expertId > b.expertId ? 1 : 0);

export function buildSynthesisSets(answers: readonly GradedAnswer[], options: SetOptions): SynthesisSet[] {
  // Sorted first: the sets must not depend on the order in which answers finished.
  const sorted = [...answers].sort(byExpert);
  const size = Math.min(options.k, sorted.length);
  if (size === 0 || options.sets < 1) return [];
  const right = sorted.filter((a) => a.correct);
  const wrong = sorted.filter((a) => !a.correct);
  const mixed = right.length > 0 && wrong.length > 0 && size >= 2;
  const firstKind = Math.floor(seededRandom(options.seed, `${options.questionId}\u0000kind`)() * 2);
  const sets: SynthesisSet[] = [];
  for (let index = 0; index < options.sets; index++) {
    const random = seededRandom(options.seed, `${options.questionId}\u0000${index}`);
    let chosen: GradedAnswer[];
    if (mixed) {
      const minority = (firstKind + index) % 2 === 0;
      // Right answers in the set: 1 (minority) or size - 1 (majority), within what exists, and
      // always at least one of each so the set stays mixed.
      const low = Math.max(1, size - wrong.length);
      const high = Math.min(right.length, size - 1);
      const correct = Math.min(high, Math.max(low, minority ? 1 : size - 1));
      chosen = [...draw(right, correct, random), ...draw(wrong, size - correct, random)];
    } else {
      chosen = draw(sorted, size, random);
    }
    const candidates = draw(chosen, chosen.length, random);
    const correct = candidates.filter((c) => c.correct).length;
    sets.push({ index, candidates, correct, mix: mixOf(correct, candidates.length) });
  }
  return sets;
}

export interface AggregatorScore {
  expertId: string;
  correct: number;
  total: number;
  accuracy: number;
  /** The candidate's own accuracy as an expert (phase 1), when it was profiled: the first tie-break. */
  answerAccuracy?: number;
}

/**
 * Candidates ranked best first: synthesis accuracy, then their own answering accuracy (a candidate
 * not profiled ranks below those that were), then id. Candidates that synthesised nothing are left
 * out: no evidence is not an accuracy of 0.
 */
export function rankAggregators(scores: readonly AggregatorScore[]): AggregatorScore[] {
  return scores
    .filter((s) => s.total > 0)
    .sort((a, b) => b.accuracy - a.accuracy || (b.answerAccuracy ?? -1) - (a.answerAccuracy ?? -1) || (a.expertId < b.expertId ? -1 : a.expertId > b.expertId ? 1 : 0));
}
