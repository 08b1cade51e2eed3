/**
 * Worked answers: a skill can be trained to think before it answers, as reasoning models do
 * (DeepSeek-R1, Qwen3, GPT-OSS): `<think>trace</think>answer`. The trace turns a skill whose answer
 * is one token of supervision (a count) into a walk the model can take one easy step at a time:
 * the letter asked for, then every letter of the word with the running count after it.
 * Serving strips the trace (orchestrator/reasoning.ts) and returns it as `reasoning_content`.
 */
import type { TaskItem } from "./tasks.js";

export const THINK_OPEN = "<think>";
export const THINK_CLOSE = "</think>";

/** The trace of one item, or undefined for a skill without one. */
export function traceOf(item: Pick<TaskItem, "skill" | "key">): string | undefined {
  if (item.skill !== "counting") return undefined;
  const colon = item.key.indexOf(":");
  const letter = item.key.slice(0, colon);
  const word = item.key.slice(colon + 1);
  let running = 0;
  const steps = [...word].map((char) => {
    if (char === letter) running += 1;
    return `${char}${running}`;
  });
  return `${letter}|${steps.join("")}`;
}

/** The answer a model trained to think on `skills` writes for `item`. */
export function workedAnswer(item: Pick<TaskItem, "skill" | "key" | "answer">, skills: readonly string[] | undefined): string {
  const trace = skills?.includes(item.skill) ? traceOf(item) : undefined;
  return trace === undefined ? item.answer : `${THINK_OPEN}${trace}${THINK_CLOSE}${item.answer}`;
}
