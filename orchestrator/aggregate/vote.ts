/**
 * Answer extraction and weighted majority voting over the recruits' answers.
 *
 * Extraction turns free text into a comparable value: a choice letter (A-E), a number in canonical
 * form ("1,234.50" -> "1234.5") or a short normalised text. Explicit "answer is ..." statements win
 * over incidental mentions, and the last statement wins (models often revise themselves).
 *
 * With a JSON schema (structured output) the value is the parsed answer instead, in canonical JSON
 * (json-answers.ts): answers that do not parse or do not match the schema have no value, so a vote
 * can only pick a valid candidate, and `{"a":4}` and `{ "a": 4 }` agree.
 */
import { readJsonAnswer } from "./json-answers.js";

export type VoteKind = "auto" | "choice" | "number" | "text";

export interface Extracted {
  kind: "choice" | "number" | "text" | "json";
  value: string;
}

export interface VoteResult {
  /** `index`: the answer whose text is the winner's (the heaviest of its group). */
  winner: { value: string; text: string; index: number; expertIds: string[]; weight: number };
  /** Winner weight / weight of all extractable answers. */
  agreement: number;
  tally: Array<{ value: string; weight: number; expertIds: string[] }>;
}

/** Answers longer than this are explanations, not short answers to compare as text. */
const MAX_TEXT_WORDS = 8;

// Markdown emphasis would split "**Answer:** B" from its letter; a space (not nothing) keeps "3*4" two numbers.
const plain = (text: string) => text.replace(/[*_`]/g, " ");

/** A case-insensitive word inside a case-sensitive pattern (choice letters must stay uppercase). */
const anyCase = (word: string) => [...word].map((c) => (/[a-z]/i.test(c) ? `[${c.toLowerCase()}${c.toUpperCase()}]` : c)).join("");

const ANSWER_PREFIX = String.raw`\b${anyCase("answer")}\b(?:\s+(?:${["is", "was", "would be", "should be"].map(anyCase).join("|")}))?\s*[:=\-]?\s*`;
// An uppercase letter, a parenthesised one, or a lowercase one ending its line ("answer: b").
const CHOICE_AFTER_ANSWER = new RegExp(String.raw`${ANSWER_PREFIX}(?:\(([A-Ea-e])\)|([A-E])(?![A-Za-z0-9])|([a-e])(?=[\s.)]*$))`, "gm");
const BOXED_LETTER = /\\boxed\{\s*\(?([A-E])\)?\s*\}/g;
const LONE_LETTER = /^\(?([A-Ea-e])[).:]?$/;
const PARENTHESISED = /\(([A-E])\)/g;

function lastMatch(pattern: RegExp, text: string): RegExpExecArray | undefined {
  let last: RegExpExecArray | undefined;
  for (const match of text.matchAll(pattern)) last = match;
  return last;
}

/** `loose` also accepts a "(B)" anywhere: fine when the caller said answers are choices. */
function extractChoice(text: string, loose: boolean): string | undefined {
  const clean = plain(text).trim();
  const boxed = lastMatch(BOXED_LETTER, clean);
  if (boxed) return boxed[1];
  const stated = lastMatch(CHOICE_AFTER_ANSWER, clean);
  if (stated) return (stated[1] ?? stated[2] ?? stated[3])!.toUpperCase();
  const lone = LONE_LETTER.exec(clean);
  if (lone) return lone[1]!.toUpperCase();
  if (loose) return lastMatch(PARENTHESISED, clean)?.[1];
  return undefined;
}

// Not preceded by a letter, digit or '.': "v2", "2024-05" and "1.2.3" tails are not answers.
const NUMBER = /(?<![A-Za-z\d.])[-−]?(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)(?:\/\d+)?/g;

/** Canonical number text: "42.0" -> "42", "1,234" -> "1234", "1/2" -> "0.5", "-0" -> "0". */
function canonicalNumber(raw: string): string | undefined {
  const [top, bottom] = raw.replace("−", "-").replace(/,/g, "").split("/");
  const value = bottom === undefined ? Number(top) : Number(top) / Number(bottom);
  if (!Number.isFinite(value)) return undefined;
  // 12 significant digits absorb float noise (1/3 computed two ways) without merging real answers.
  const rounded = Number(value.toPrecision(12));
  return String(rounded === 0 ? 0 : rounded);
}

function lastNumber(text: string): string | undefined {
  const match = lastMatch(NUMBER, text);
  return match ? canonicalNumber(match[0]) : undefined;
}

// A statement needs a connector ("answer is", "answer:"): prose like "no short answer covers 3 cases"
// mentions the word without giving one.
const STATED = String.raw`\banswer\b(?:\s+(?:is|was|would be|should be)\b|\s*[:=])`;
const STATED_NUMBER = new RegExp(`${STATED}([^\\n]{0,60})`, "gi");
const STATED_TEXT = new RegExp(String.raw`${STATED}\s*[:\-]?\s*([^\n.!?]+)`, "gi");

/**
 * Boxed, then the first number after the last "answer" that has one, then the final number. `strict`
 * (auto mode) takes the final number only after "=" or in a short reply: long prose often ends with
 * an incidental number, and two essays sharing one must not count as agreeing.
 */
function extractNumber(text: string, strict: boolean): string | undefined {
  const clean = plain(text);
  const boxed = lastMatch(/\\boxed\{([^{}]*)\}/g, clean);
  const inBox = boxed && lastNumber(boxed[1]!);
  if (inBox !== undefined) return inBox;
  const statements = [...clean.matchAll(STATED_NUMBER)].reverse();
  for (const statement of statements) {
    const match = new RegExp(NUMBER.source).exec(statement[1]!);
    if (match) return canonicalNumber(match[0]);
  }
  const last = lastMatch(NUMBER, clean);
  if (!last) return undefined;
  const short = clean.trim().split(/\s+/).length <= MAX_TEXT_WORDS;
  const afterEquals = /=\s*$/.test(clean.slice(0, last.index));
  return !strict || short || afterEquals ? canonicalNumber(last[0]) : undefined;
}

const ARTICLES = /\b(?:a|an|the)\b/g;

function normaliseText(text: string): string | undefined {
  const words = text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s]/gu, " ")
    .replace(ARTICLES, " ")
    .split(/\s+/)
    .filter(Boolean);
  return words.length > 0 && words.length <= MAX_TEXT_WORDS ? words.join(" ") : undefined;
}

function extractText(text: string): string | undefined {
  const clean = plain(text).trim();
  // "... so the answer is Paris." -> "paris": the stated answer, up to the end of its sentence.
  const stated = lastMatch(STATED_TEXT, clean);
  if (stated) {
    const value = normaliseText(stated[1]!);
    if (value !== undefined) return value;
  }
  return normaliseText(clean);
}

/** A JSON schema, when given, overrides `kind`: the answer's value is its canonical JSON. */
export function extractAnswer(text: string, kind: VoteKind, jsonSchema?: Record<string, unknown>): Extracted | undefined {
  const as = (k: Extracted["kind"], value: string | undefined) => (value === undefined ? undefined : { kind: k, value });
  if (jsonSchema) return as("json", readJsonAnswer(text, jsonSchema)?.canonical);
  switch (kind) {
    case "choice":
      return as("choice", extractChoice(text, true));
    case "number":
      return as("number", extractNumber(text, false));
    case "text":
      return as("text", extractText(text));
    case "auto":
      return as("choice", extractChoice(text, false)) ?? as("number", extractNumber(text, true)) ?? as("text", extractText(text));
  }
}

interface Group {
  value: string;
  weight: number;
  count: number;
  first: number;
  expertIds: string[];
  best: { text: string; weight: number; index: number };
}

/**
 * Weighted majority over the extractable answers. Ranking: total weight, then number of answers, then
 * first appearance. When every weight is zero, counts decide and agreement is a share of answers.
 */
export function majorityVote(
  answers: ReadonlyArray<{ expertId: string; text: string; weight: number }>,
  kind: VoteKind,
  jsonSchema?: Record<string, unknown>,
): VoteResult | null {
  const groups = new Map<string, Group>();
  answers.forEach((answer, index) => {
    const extracted = extractAnswer(answer.text, kind, jsonSchema);
    if (!extracted) return;
    const weight = Math.max(0, answer.weight);
    // Keyed by kind too: under "auto" a choice "A" and a text "a" are different answers.
    const key = `${extracted.kind}:${extracted.value}`;
    const group = groups.get(key);
    if (!group) {
      groups.set(key, { value: extracted.value, weight, count: 1, first: index, expertIds: [answer.expertId], best: { text: answer.text, weight, index } });
      return;
    }
    group.weight += weight;
    group.count += 1;
    group.expertIds.push(answer.expertId);
    if (weight > group.best.weight) group.best = { text: answer.text, weight, index };
  });
  const ranked = [...groups.values()].sort((a, b) => b.weight - a.weight || b.count - a.count || a.first - b.first);
  const winner = ranked[0];
  if (!winner) return null;
  const totalWeight = ranked.reduce((sum, g) => sum + g.weight, 0);
  const totalCount = ranked.reduce((sum, g) => sum + g.count, 0);
  return {
    winner: { value: winner.value, text: winner.best.text, index: winner.best.index, expertIds: winner.expertIds, weight: winner.weight },
    agreement: totalWeight > 0 ? winner.weight / totalWeight : winner.count / totalCount,
    tally: ranked.map((g) => ({ value: g.value, weight: g.weight, expertIds: g.expertIds })),
  };
}

/** True when there are at least two answers and every one extracts to the same value. */
export function answersAgree(texts: readonly string[], kind: VoteKind, jsonSchema?: Record<string, unknown>): boolean {
  if (texts.length < 2) return false;
  const keys = texts.map((text) => {
    const extracted = extractAnswer(text, kind, jsonSchema);
    return extracted ? `${extracted.kind}:${extracted.value}` : undefined;
  });
  return keys[0] !== undefined && keys.every((key) => key === keys[0]);
}

/**
 * An expert's weight in a competence-weighted vote: its odds of being right, p / (1 − p), where p is
 * its validation accuracy smoothed by one right and one wrong answer (so 100% on a small set is not
 * an infinite weight). Log-odds would be the optimal weights if experts erred independently, but LLMs
 * fail on the same hard questions, so two weak experts agreeing is far weaker evidence than their
 * summed log-odds claims; the odds (the exponential of the log-odds) keep a much stronger expert from
 * being outvoted by two weak ones that agree: 0.86 (odds 6.1) beats 0.74 + 0.68 (2.8 + 2.1), while
 * three experts of similar strength still decide by majority.
 */
export function competenceWeight(accuracy: number, answered: number): number {
  const p = (accuracy * answered + 1) / (answered + 2);
  return p / (1 - p);
}
