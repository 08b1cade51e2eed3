/**
 * Measures the zoo as users run it: node-llama-cpp, greedy, the plain prompt format. Per model,
 * accuracy per skill on the held-out test split; for the aggregator also its accuracy on synthetic
 * candidate sets next to a majority vote over the same sets (it has to beat the vote where the
 * candidates disagree).
 */
import { getLlama } from "node-llama-cpp";
import { hashString, mulberry32 } from "../kernel/prng.js";
import { splitReasoning } from "../kernel/reasoning.js";
import { candidateSet, synthesisPrompt } from "./candidates.js";
import { llamaGreedyAnswers } from "./llama-side.js";
import type { TaskItem } from "./tasks.js";
import { promptOf } from "./train.js";

export interface SkillAccuracy {
  overall: number;
  perSkill: Record<string, number>;
}

/** Right: the answer (after any thinking, zoo/reasoning.ts) is exactly the expected string. */
export function isRight(answer: string, expected: string): boolean {
  return splitReasoning(answer).content.trim() === expected;
}

/** Share right overall and per skill (skills in the order they first appear), rounded to 0.001. */
export function accuracyOf(skills: readonly string[], right: readonly boolean[]): SkillAccuracy {
  const perSkill: Record<string, number> = {};
  for (const skill of new Set(skills)) {
    const indices = skills.map((s, i) => (s === skill ? i : -1)).filter((i) => i >= 0);
    perSkill[skill] = round(indices.filter((i) => right[i]).length / indices.length);
  }
  return { overall: round(right.filter(Boolean).length / right.length), perSkill };
}

export function accuracyBySkill(items: readonly TaskItem[], answers: readonly string[]): SkillAccuracy {
  return accuracyOf(
    items.map((item) => item.skill),
    items.map((item, i) => isRight(answers[i]!, item.answer)),
  );
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

/** The most common candidate (first seen wins ties), as a vote over exact strings would pick. */
export function majority(candidates: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const c of candidates) counts.set(c, (counts.get(c) ?? 0) + 1);
  let best = candidates[0]!;
  for (const c of candidates) if (counts.get(c)! > counts.get(best)!) best = c;
  return best;
}

export interface SynthesisAccuracy {
  sets: number;
  aggregator: number;
  vote: number;
  /** Only the sets whose candidates disagree. */
  disagreeing: { sets: number; aggregator: number; vote: number };
}

export async function evaluateModel(path: string, items: readonly TaskItem[], withSynthesis: boolean): Promise<{ direct: SkillAccuracy; synthesis?: SynthesisAccuracy }> {
  const llama = await getLlama({ gpu: false });
  const model = await llama.loadModel({ modelPath: path, gpuLayers: 0 });
  try {
    const direct = accuracyBySkill(items, await llamaGreedyAnswers(model, items.map((item) => promptOf(item.question))));
    if (!withSynthesis) return { direct };
    const random = mulberry32(hashString("zoo-synthesis-eval"));
    const sets = items.map((item) => candidateSet(item.answer, 3, random));
    const answers = await llamaGreedyAnswers(model, items.map((item, i) => synthesisPrompt(item.question, sets[i]!)));
    const right = (i: number, text: string) => isRight(text, items[i]!.answer);
    const disagreeing = sets.map((set, i) => (new Set(set).size > 1 ? i : -1)).filter((i) => i >= 0);
    const share = (indices: number[], pick: (i: number) => string) => round(indices.filter((i) => right(i, pick(i))).length / Math.max(1, indices.length));
    const all = items.map((_, i) => i);
    return {
      direct,
      synthesis: {
        sets: sets.length,
        aggregator: share(all, (i) => answers[i]!),
        vote: share(all, (i) => majority(sets[i]!)),
        disagreeing: { sets: disagreeing.length, aggregator: share(disagreeing, (i) => answers[i]!), vote: share(disagreeing, (i) => majority(sets[i]!)) },
      },
    };
  } finally {
    await model.dispose();
  }
}
