/**
 * The synthesis prompt: the question and the k candidate answers, for the aggregator model to turn
 * into one answer (Symbolic-MoE / MoA style). Candidates are clipped so that k answers from small
 * models still fit a small context; the instruction stays short for the same reason.
 */
import type { ChatMessage } from "../contracts.js";

export interface Candidate {
  expertId: string;
  text: string;
}

export const SYNTHESIS_SYSTEM_PROMPT =
  "You are given a question and answers from several experts. Some may be wrong. Write the single best answer.";

export function buildSynthesisMessages(question: string, candidates: readonly Candidate[], maxCharsPerAnswer: number): ChatMessage[] {
  const listed = candidates
    .map((candidate, index) => {
      const text = candidate.text.trim();
      const clipped = text.length > maxCharsPerAnswer ? `${text.slice(0, maxCharsPerAnswer)}...` : text;
      return `Answer ${index + 1}: ${clipped}`;
    })
    .join("\n");
  return [
    { role: "system", content: SYNTHESIS_SYSTEM_PROMPT },
    { role: "user", content: `Question: ${question}\n${listed}\nBest answer:` },
  ];
}
