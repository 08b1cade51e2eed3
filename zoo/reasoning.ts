/**
 * Worked answers: a skill can be trained to think before it answers, as reasoning models do
 * (DeepSeek-R1, Qwen3, GPT-OSS): `<think>trace</think>answer`. Each trace turns an answer that a
 * small model must get in one leap into steps it can take one at a time:
 * - counting: the letter asked for, then every letter of the word with the running count after it;
 * - addition and subtraction: both operands and the result written least significant digit first,
 *   padded to the same length (847 + 682: `748+286=9251`), so every result digit sits a fixed
 *   distance after the two digits it comes from and the carry or borrow comes from the step just
 *   before, as on paper; the answer then reads the result backwards;
 * - sorting: the word copied out of the question first, so that sorting works on its letters alone
 *   (without it, letters of the words around the operand leak in: "read" adds a `d`).
 * Serving strips the trace (orchestrator/reasoning.ts) and returns it as `reasoning_content`.
 */
import type { TaskItem } from "./tasks.js";

export const THINK_OPEN = "<think>";
export const THINK_CLOSE = "</think>";

const backwards = (text: string): string => [...text].reverse().join("");

function countingTrace(key: string): string {
  const colon = key.indexOf(":");
  const letter = key.slice(0, colon);
  let running = 0;
  const steps = [...key.slice(colon + 1)].map((char) => {
    if (char === letter) running += 1;
    return `${char}${running}`;
  });
  return `${letter}|${steps.join("")}`;
}

function columnTrace(key: string, operator: "+" | "-"): string {
  const [a, b] = key.split(operator) as [string, string];
  const width = Math.max(a.length, b.length);
  const result = operator === "+" ? Number(a) + Number(b) : Number(a) - Number(b);
  const column = (n: string) => backwards(n.padStart(width, "0"));
  return `${column(a)}${operator}${column(b)}=${column(`${result}`)}`;
}

/** The trace of one item, or undefined for a skill without one. */
export function traceOf(item: Pick<TaskItem, "skill" | "key">): string | undefined {
  switch (item.skill) {
    case "counting":
      return countingTrace(item.key);
    case "addition":
      return columnTrace(item.key, "+");
    case "subtraction":
      return columnTrace(item.key, "-");
    case "sorting":
      return item.key;
    default:
      return undefined;
  }
}

/** The answer a model trained to think on `skills` writes for `item`. */
export function workedAnswer(item: Pick<TaskItem, "skill" | "key" | "answer">, skills: readonly string[] | undefined): string {
  const trace = skills?.includes(item.skill) ? traceOf(item) : undefined;
  return trace === undefined ? item.answer : `${THINK_OPEN}${trace}${THINK_CLOSE}${item.answer}`;
}
