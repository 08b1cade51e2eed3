/**
 * What node-llama-cpp computes on a zoo model: next-token probabilities after a prompt and greedy
 * answers, fed exactly as the plain prompt format feeds it ([BOS] + prompt), for the parity test
 * and the zoo's accuracy measurements.
 */
import { LlamaCompletion, type LlamaModel, type Token } from "node-llama-cpp";

export async function llamaNextTokenProbabilities(model: LlamaModel, prompts: readonly string[], vocab: number): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (const prompt of prompts) {
    const context = await model.createContext({ contextSize: 256, threads: 1 });
    try {
      const tokens = [model.tokens.bos!, ...model.tokenize(prompt)];
      const input = [...tokens.slice(0, -1), [tokens.at(-1)!, { generateNext: { probabilities: true } }] as [Token, { generateNext: { probabilities: boolean } }]];
      const result = await context.getSequence().controlledEvaluate(input);
      const probabilities = result.at(-1)?.next.probabilities ?? new Map<Token, number>();
      const row = new Float32Array(vocab);
      for (const [token, p] of probabilities) row[token] = p;
      out.push(row);
    } finally {
      await context.dispose();
    }
  }
  return out;
}

/** Room for a worked answer: the longest counting trace (an 11-letter word) is about 40 tokens. */
export const ZOO_ANSWER_TOKENS = 48;

export async function llamaGreedyAnswers(model: LlamaModel, prompts: readonly string[], maxTokens = ZOO_ANSWER_TOKENS): Promise<string[]> {
  const context = await model.createContext({ contextSize: 256, threads: 1 });
  const sequence = context.getSequence();
  const completion = new LlamaCompletion({ contextSequence: sequence });
  try {
    const answers: string[] = [];
    for (const prompt of prompts) {
      // The default repeat penalty corrupts answers such as "aab" or "1111".
      answers.push(await completion.generateCompletion(prompt, { maxTokens, temperature: 0, repeatPenalty: false }));
      await sequence.clearHistory();
    }
    return answers;
  } finally {
    completion.dispose();
    await context.dispose();
  }
}
