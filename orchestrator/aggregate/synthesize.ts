/**
 * The synthesis prompt: the question and the k candidate answers, for the aggregator model to turn
 * into one answer (Symbolic-MoE / MoA style). Candidates are clipped so that k answers from small
 * models still fit a small context; the instruction stays short for the same reason.
 *
 * Two formats (config `aggregation.synthesisPrompt`):
 * - `instructions`: a system instruction and labelled answers, for instruction-tuned aggregators;
 * - `compact`: the question, then one `- answer` line per candidate and no instruction, for small
 *   aggregators trained on exactly that layout (the zoo's), where every character costs context.
 */
import type { ChatMessage } from "../../kernel/contracts.js";

export interface Candidate {
  expertId: string;
  text: string;
}

export type SynthesisPrompt = "instructions" | "compact";

export const SYNTHESIS_SYSTEM_PROMPT =
  "You are given a question and answers from several experts. Some may be wrong. Write the single best answer.";

function clip(text: string, maxChars: number): string {
  const trimmed = text.trim();
  return trimmed.length > maxChars ? `${trimmed.slice(0, maxChars)}...` : trimmed;
}

export function buildSynthesisMessages(
  question: string,
  candidates: readonly Candidate[],
  maxCharsPerAnswer: number,
  format: SynthesisPrompt = "instructions",
): ChatMessage[] {
  if (format === "compact") {
    const lines = candidates.map((candidate) => `- ${clip(candidate.text, maxCharsPerAnswer)}`);
    return [{ role: "user", content: [question.trim(), ...lines].join("\n") }];
  }
  const listed = candidates.map((candidate, index) => `Answer ${index + 1}: ${clip(candidate.text, maxCharsPerAnswer)}`).join("\n");
  return [
    { role: "system", content: SYNTHESIS_SYSTEM_PROMPT },
    { role: "user", content: `Question: ${question}\n${listed}\nBest answer:` },
  ];
}
