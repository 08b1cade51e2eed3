/**
 * Grading a model's answer against a validation line's expected answer: pure functions, so every
 * rule is unit-tested without a model.
 *
 * Kinds (the line's `grade`; inferred from the answer when absent, see `defaultKind`):
 * - `exact`: the trimmed answer equals the expected one, case-sensitively, after both lose one pair
 *   of surrounding quotes (", ', “”, ‘’, backticks), markdown bold and one trailing period. Small
 *   models wrap short answers like that (`"Paris".`, `**Paris**`) without meaning anything else.
 * - `choice`: the choice letter A-J extracted from the answer equals the expected letter.
 * - `number`: the number extracted from the answer is within `tolerance` (absolute, default 0) of
 *   the expected one. Extraction is vote.ts's: `\boxed{}` first, then the first number after the
 *   last "answer is/answer:", else the LAST number in the text, because models restate the
 *   question's numbers before concluding ("2x + 3 = 7, so x = 2"). "1,234", "-3.5" and "1/2" parse.
 * - `regex`: the pattern matches the trimmed answer. Flags come from `/.../flags` or `flags`;
 *   only i, m, s and u (g and y would make matching stateful).
 *
 * `resolveGradeSpec` validates a line's grading fields and throws `GradeSpecError` with the reason.
 */
import { extractAnswer } from "../aggregate/vote.js";

export type GradeKind = "exact" | "choice" | "number" | "regex";

export interface GradeSpec {
  kind?: GradeKind;
  answer?: string | number;
  /** Absolute tolerance for `number`; 0 when absent. */
  tolerance?: number;
  /** For `regex`: a source, or `/source/flags`. */
  pattern?: string;
  flags?: string;
}

/** A spec checked and made concrete: the kind is known and the pattern compiled. */
export type ResolvedGradeSpec = { resolved: true } & (
  | { kind: "exact"; answer: string }
  | { kind: "choice"; answer: string }
  | { kind: "number"; answer: number; tolerance: number }
  | { kind: "regex"; pattern: RegExp }
);

export interface Grade {
  correct: boolean;
  /** What was compared: the normalised text, letter or number; undefined when nothing was found. */
  extracted: string | undefined;
}

export class GradeSpecError extends Error {
  override name = "GradeSpecError";
}

export const CHOICE_LETTERS = "ABCDEFGHIJ";

/** number if the answer parses as one, choice if it is a single letter A-J, regex if only a pattern is given, else exact. */
export function defaultKind(spec: Pick<GradeSpec, "answer" | "pattern">): GradeKind {
  if (spec.answer === undefined && spec.pattern !== undefined) return "regex";
  if (parseExpectedNumber(spec.answer) !== undefined) return "number";
  if (typeof spec.answer === "string" && /^\(?[A-Ja-j]\)?$/.test(spec.answer.trim())) return "choice";
  return "exact";
}

// A thousands group is exactly three digits, so "1,2" is not 12; "1/2" is a fraction.
const PLAIN_NUMBER = /^[-−+]?(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d+)?(?:\/\d+)?$/;

/** The expected number of a line: a JSON number or a string such as "1,234", "-0.5" or "3/4". */
export function parseExpectedNumber(answer: string | number | undefined): number | undefined {
  if (typeof answer === "number") return Number.isFinite(answer) ? answer : undefined;
  if (typeof answer !== "string") return undefined;
  const text = answer.trim();
  if (!/\d/.test(text) || !PLAIN_NUMBER.test(text)) return undefined;
  const [top, bottom] = text.replace("−", "-").replace(/,/g, "").split("/");
  const value = bottom === undefined ? Number(top) : Number(top) / Number(bottom);
  return Number.isFinite(value) ? value : undefined;
}

const WRAPPERS: ReadonlyArray<readonly [string, string]> = [
  ['"', '"'],
  ["'", "'"],
  ["“", "”"],
  ["‘", "’"],
  ["`", "`"],
  ["**", "**"],
];

function unwrap(text: string): string {
  for (const [open, close] of WRAPPERS) {
    if (text.length >= open.length + close.length && text.startsWith(open) && text.endsWith(close)) {
      return text.slice(open.length, text.length - close.length).trim();
    }
  }
  return text;
}

/** Trim, then drop one trailing period and one pair of wrappers, in either nesting: `"Paris".` and `"Paris."` give Paris. */
export function normaliseExact(text: string): string {
  const trimmed = text.trim();
  if (trimmed.endsWith(".")) return unwrap(trimmed.slice(0, -1).trim());
  return unwrap(trimmed).replace(/\.$/, "").trim();
}

// Markdown emphasis would split "**Answer:** B" from its letter.
const plain = (text: string) => text.replace(/[*_`]/g, " ");
/** A case-insensitive word inside a case-sensitive pattern: choice letters must stay uppercase. */
const anyCase = (word: string) => [...word].map((c) => (/[a-z]/i.test(c) ? `[${c.toLowerCase()}${c.toUpperCase()}]` : c)).join("");
const PREFIX = String.raw`\b${anyCase("answer")}\b(?:\s+(?:${["is", "was", "would be", "should be"].map(anyCase).join("|")}))?\s*[:=\-]?\s*`;
// After "answer is": "(b)", an uppercase "B", or a lowercase "b" that ends its line ("answer: b"),
// never the article in "the answer is a dog".
const STATED = new RegExp(String.raw`${PREFIX}(?:\(([A-Ja-j])\)|([A-J])(?![A-Za-z0-9])|([a-j])(?=[\s.)]*$))`, "gm");
const BOXED = /\\boxed\{\s*\(?([A-J])\)?\s*\}/g;
// A reply that starts with its letter: "B", "(B) 42", "B) 42", "B. 42", "B: 42". "A cat..." is not one.
const LEADING = /^(?:\(([A-J])\)|([A-J])(?:[.):](?!\d)|$))/;
const LONE_LOWER = /^\(?([a-j])\)?[.)]?$/;
const PARENTHESISED = /\(([A-J])\)/g;

function last(pattern: RegExp, text: string): RegExpExecArray | undefined {
  let found: RegExpExecArray | undefined;
  for (const match of text.matchAll(pattern)) found = match;
  return found;
}

/** The choice letter an answer gives: boxed, the last "answer is X", a leading letter, a lone lowercase one, the last "(X)". */
export function extractChoiceLetter(text: string): string | undefined {
  const clean = plain(text).trim();
  const boxed = last(BOXED, clean);
  if (boxed) return boxed[1];
  const stated = last(STATED, clean);
  if (stated) return (stated[1] ?? stated[2] ?? stated[3])!.toUpperCase();
  const leading = LEADING.exec(clean);
  if (leading) return leading[1] ?? leading[2];
  const lone = LONE_LOWER.exec(clean);
  if (lone) return lone[1]!.toUpperCase();
  return last(PARENTHESISED, clean)?.[1];
}

/** The number an answer gives, as vote.ts extracts it (boxed, stated, else the last one). */
export function extractNumber(text: string): number | undefined {
  const found = extractAnswer(text, "number");
  return found ? Number(found.value) : undefined;
}

const ALLOWED_FLAGS = /^[imsu]*$/;

function compilePattern(pattern: string, flags: string | undefined): RegExp {
  let source = pattern;
  let allFlags = flags ?? "";
  const literal = /^\/(.*)\/([a-z]*)$/s.exec(pattern);
  if (literal) {
    source = literal[1]!;
    allFlags += literal[2]!;
  }
  if (!ALLOWED_FLAGS.test(allFlags)) throw new GradeSpecError(`regex flags may only be i, m, s and u, got "${allFlags}"`);
  try {
    return new RegExp(source, [...new Set(allFlags)].join(""));
  } catch (error) {
    throw new GradeSpecError(`pattern is not a valid regular expression: ${(error as Error).message}`);
  }
}

/** Checks a line's grading fields; the reason of a bad one is in the thrown GradeSpecError. */
export function resolveGradeSpec(spec: GradeSpec): ResolvedGradeSpec {
  const kind = spec.kind ?? defaultKind(spec);
  if (spec.tolerance !== undefined && kind !== "number") throw new GradeSpecError(`tolerance applies to number grading, not ${kind}`);
  if (spec.pattern !== undefined && kind !== "regex") throw new GradeSpecError(`pattern applies to regex grading, not ${kind}`);
  switch (kind) {
    case "exact":
      if (spec.answer === undefined) throw new GradeSpecError("answer is required");
      return { resolved: true, kind, answer: normaliseExact(String(spec.answer)) };
    case "choice": {
      const letter = /^\(?([A-Ja-j])\)?$/.exec(String(spec.answer ?? "").trim())?.[1];
      if (!letter) throw new GradeSpecError(`choice grading needs a letter A-J as the answer, got ${JSON.stringify(spec.answer)}`);
      return { resolved: true, kind, answer: letter.toUpperCase() };
    }
    case "number": {
      const answer = parseExpectedNumber(spec.answer);
      if (answer === undefined) throw new GradeSpecError(`number grading needs a numeric answer, got ${JSON.stringify(spec.answer)}`);
      const tolerance = spec.tolerance ?? 0;
      if (!(tolerance >= 0) || !Number.isFinite(tolerance)) throw new GradeSpecError(`tolerance must be a finite number >= 0, got ${tolerance}`);
      return { resolved: true, kind, answer, tolerance };
    }
    case "regex":
      if (spec.pattern === undefined) throw new GradeSpecError("regex grading needs a pattern");
      return { resolved: true, kind, pattern: compilePattern(spec.pattern, spec.flags) };
    default:
      throw new GradeSpecError(`grade must be exact, choice, number or regex, got ${JSON.stringify(kind)}`);
  }
}

/** Grades one answer. A spec that is not resolved yet is resolved first (and may throw GradeSpecError). */
export function grade(answerText: string, spec: GradeSpec | ResolvedGradeSpec): Grade {
  const resolved = "resolved" in spec ? spec : resolveGradeSpec(spec);
  switch (resolved.kind) {
    case "exact": {
      const extracted = normaliseExact(answerText);
      return { correct: extracted === resolved.answer, extracted };
    }
    case "choice": {
      const extracted = extractChoiceLetter(answerText);
      return { correct: extracted === resolved.answer, extracted };
    }
    case "number": {
      const value = extractNumber(answerText);
      if (value === undefined) return { correct: false, extracted: undefined };
      // A relative hair of slack so 0.1 + 0.2 computed by a model still equals 0.3 at tolerance 0.
      const slack = 1e-9 * Math.max(1, Math.abs(resolved.answer));
      return { correct: Math.abs(value - resolved.answer) <= resolved.tolerance + slack, extracted: String(value) };
    }
    case "regex": {
      const trimmed = answerText.trim();
      return { correct: resolved.pattern.test(trimmed), extracted: trimmed };
    }
  }
}
