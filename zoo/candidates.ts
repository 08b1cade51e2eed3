/**
 * Candidate answers of mixed quality for training and choosing an aggregator: the right answer and
 * plausible wrong ones (off by one or ten, a swapped or dropped letter), as small experts get them
 * wrong. Sets put the right answer in the minority often, so copying the majority is not enough.
 */
import { buildSynthesisMessages } from "../orchestrator/aggregate/synthesize.js";
import { renderPlainPrompt } from "../experts/llama/plain-prompt.js";

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

/** A wrong answer close to `answer`; never equal to it. */
export function corrupt(answer: string, random: () => number): string {
  for (let attempt = 0; attempt < 20; attempt++) {
    const wrong = /^\d+$/.test(answer) ? corruptNumber(answer, random) : corruptText(answer, random);
    if (wrong !== answer && wrong.length > 0) return wrong;
  }
  return `${answer}${answer.slice(-1)}`;
}

function corruptNumber(answer: string, random: () => number): string {
  const value = Number(answer);
  const edits = [
    () => value + 1,
    () => Math.max(0, value - 1),
    () => value + 10,
    () => Math.max(0, value - 10),
    () => Number([...answer].reverse().join("")),
    () => Number(answer.slice(0, -1) || "0"),
  ];
  return String(pick(random, edits)());
}

function corruptText(answer: string, random: () => number): string {
  const chars = [...answer];
  const i = Math.floor(random() * chars.length);
  const edits = [
    () => {
      const j = Math.min(chars.length - 1, i + 1);
      [chars[i], chars[j]] = [chars[j]!, chars[i]!];
    },
    () => chars.splice(i, 1),
    () => chars.splice(i, 0, chars[i]!),
    () => {
      const letter = chars[i]!;
      const alphabet = letter === letter.toUpperCase() ? "ABCDEFGHIJKLMNOPQRSTUVWXYZ" : "abcdefghijklmnopqrstuvwxyz";
      chars[i] = pick(random, [...alphabet]);
    },
  ];
  pick(random, edits)();
  return chars.join("");
}

/** k candidates, each right with probability `pRight` (drawn per set), in random order. */
export function candidateSet(answer: string, k: number, random: () => number): string[] {
  const pRight = 0.15 + 0.7 * random();
  const set = Array.from({ length: k }, () => (random() < pRight ? answer : corrupt(answer, random)));
  // Two wrong answers are often the same wrong answer in practice (shared mistakes), which is what beats a vote.
  if (k >= 3 && random() < 0.3) set[1] = set[0]!;
  for (let i = set.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [set[i], set[j]] = [set[j]!, set[i]!];
  }
  return set;
}

/** The prompt an aggregator sees in the compact synthesis format, rendered as the plain format does. */
export function synthesisPrompt(question: string, candidates: readonly string[]): string {
  return renderPlainPrompt(buildSynthesisMessages(question, candidates.map((text, i) => ({ expertId: `${i}`, text })), 600, "compact"));
}
