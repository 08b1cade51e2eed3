/**
 * Renders one question from a phrasing family: the family's frame with its word choices expanded,
 * then the modifiers every family shares (politeness, filler, casing, punctuation, quoting of the
 * operands), then the operands. Casing applies to the frame only: operands are what the answer is
 * computed from, so they are never re-cased.
 */
import { expand, fillSlots } from "./expand.js";
import type { Family, Form } from "./families.js";

/** Operands of one question: numbers as digits, a word and a letter unquoted. */
export interface Operands {
  a?: string;
  b?: string;
  w?: string;
  c?: string;
}

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

/** Openings by form; a question-like opening ("Could you") turns a command into a question. */
const OPENINGS: Record<Form, readonly string[]> = {
  command: ["", "", "", "Please ", "Could you ", "Can you ", "Would you ", "Kindly ", "Now ", "Okay, ", "Hey, ", "I need you to ", "Quick: ", "Could you please ", "Please just "],
  question: ["", "", "", "Hey, ", "Quick question: ", "So, ", "Okay, ", "Tell me, ", "Please tell me: ", "Hi! ", "I wonder: "],
  bare: ["", "", "", "Compute: ", "Quick: ", "Hey, ", "Solve: "],
};
const ASKING = /^(Could|Can|Would)/;
const CLOSINGS = ["", "", "", "", " please", ", please", " for me", " for me, please", " thanks", ", thank you"];
const QUOTES = ["", "", "'", '"'];

/** The letter's plural as people write it: e's, es, "e"s. */
function plural(letter: string, quote: string, random: () => number): string {
  return quote ? `${quote}${letter}${quote}s` : pick(random, [`${letter}'s`, `${letter}s`]);
}

/** How a training question departs from its family's own phrasing (zoo/phrasing/augment.ts). */
export interface PhraseOptions {
  /** Rewrites the expanded frame (slots in place) before the modifiers are applied. */
  frame?: (frame: string) => string;
  /** The bare frame and operands: no opening, closing, casing or quotes (a drill). */
  plain?: boolean;
}

export function phrase(family: Family, operands: Operands, random: () => number, options: PhraseOptions = {}): string {
  let frame = expand(family.template, random);
  if (options.frame) frame = options.frame(frame);
  if (options.plain) return fillSlots(frame, plainValues(operands));
  const opening = pick(random, OPENINGS[family.form]);
  const asking = ASKING.test(opening) || family.form === "question";
  const closing = family.form === "bare" ? "" : pick(random, CLOSINGS);
  const end = asking ? pick(random, ["?", "?", "?", ""]) : family.form === "bare" ? pick(random, ["", "", "?"]) : pick(random, [".", ".", ".", "!", ""]);
  // After an opening the frame continues the sentence: "Could you add ..." not "Could you Add ...".
  if (opening && /^[A-Z][a-z]/.test(frame) && !frame.startsWith("I ")) frame = frame[0]!.toLowerCase() + frame.slice(1);
  let text = `${opening}${frame}${closing}${end}`;
  if (random() < 0.2) text = text.toLowerCase();
  else if (random() < 0.05) text = text.toUpperCase().replace(/\{(\w+)\}/g, (_, name: string) => `{${name.toLowerCase()}}`);
  const quote = pick(random, QUOTES);
  const values: Record<string, string> = {};
  if (operands.a !== undefined) values.a = operands.a;
  if (operands.b !== undefined) values.b = operands.b;
  if (operands.w !== undefined) values.w = `${quote}${operands.w}${quote}`;
  if (operands.c !== undefined) {
    const letterQuote = pick(random, QUOTES);
    values.c = `${letterQuote}${operands.c}${letterQuote}`;
    values.cs = plural(operands.c, letterQuote, random);
  }
  return fillSlots(text, values);
}

function plainValues(operands: Operands): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [name, value] of Object.entries(operands)) if (value !== undefined) values[name] = value;
  if (operands.c !== undefined) values.cs = `${operands.c}'s`;
  return values;
}
