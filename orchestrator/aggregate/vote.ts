/**
 * Answer extraction and weighted majority voting over the recruits' answers.
 *
 * Extraction turns free text into a comparable value: a choice letter (A-E), a number in canonical
 * form ("1,234.50" -> "1234.5") or a short normalised text. Explicit "answer is ..." statements win
 * over incidental mentions, and the last statement wins (models often revise themselves).
 */

export type VoteKind = "auto" | "choice" | "number" | "text";

export interface Extracted {
  kind: "choice" | "number" | "text";
  value: string;
}

export interface VoteResult {
  winner: { value: string; text: string; expertIds: string[]; weight: number };
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

export function extractAnswer(text: string, kind: VoteKind): Extracted | undefined {
  const as = (k: Extracted["kind"], value: string | undefined) => (value === undefined ? undefined : { kind: k, value });
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
  best: { text: string; weight: number };
}

/**
 * Weighted majority over the extractable answers. Ranking: total weight, then number of answers, then
 * first appearance. When every weight is zero, counts decide and agreement is a share of answers.
 */
export function majorityVote(answers: ReadonlyArray<{ expertId: string; text: string; weight: number }>, kind: VoteKind): VoteResult | null {
  const groups = new Map<string, Group>();
  answers.forEach((answer, index) => {
    const extracted = extractAnswer(answer.text, kind);
    if (!extracted) return;
    const weight = Math.max(0, answer.weight);
    // Keyed by kind too: under "auto" a choice "A" and a text "a" are different answers.
    const key = `${extracted.kind}:${extracted.value}`;
    const group = groups.get(key);
    if (!group) {
      groups.set(key, { value: extracted.value, weight, count: 1, first: index, expertIds: [answer.expertId], best: { text: answer.text, weight } });
      return;
    }
    group.weight += weight;
    group.count += 1;
    group.expertIds.push(answer.expertId);
    if (weight > group.best.weight) group.best = { text: answer.text, weight };
  });
  const ranked = [...groups.values()].sort((a, b) => b.weight - a.weight || b.count - a.count || a.first - b.first);
  const winner = ranked[0];
  if (!winner) return null;
  const totalWeight = ranked.reduce((sum, g) => sum + g.weight, 0);
  const totalCount = ranked.reduce((sum, g) => sum + g.count, 0);
  return {
    winner: { value: winner.value, text: winner.best.text, expertIds: winner.expertIds, weight: winner.weight },
    agreement: totalWeight > 0 ? winner.weight / totalWeight : winner.count / totalCount,
    tally: ranked.map((g) => ({ value: g.value, weight: g.weight, expertIds: g.expertIds })),
  };
}

/** True when there are at least two answers and every one extracts to the same value. */
export function answersAgree(texts: readonly string[], kind: VoteKind): boolean {
  if (texts.length < 2) return false;
  const keys = texts.map((text) => {
    const extracted = extractAnswer(text, kind);
    return extracted ? `${extracted.kind}:${extracted.value}` : undefined;
  });
  return keys[0] !== undefined && keys.every((key) => key === keys[0]);
}
