/**
 * A JSON-schema grammar whose answers parse and whose numbers are bounded, on top of node-llama-cpp's
 * own JSON-schema grammar.
 *
 * node-llama-cpp's number rule allows 16 digits and an exponent of 16 more, so a small model can
 * write `{"a":26E20212426...` until its budget runs out (and `1E999` parses to Infinity). Here:
 * - integers are bounded exactly to [minimum, maximum] (exclusive bounds too), and always to the
 *   safe-integer range; numbers get a bounded integer part (sign and magnitude from the bounds), at
 *   most FRACTION_DIGITS decimals and no exponent;
 * - strings keep the schema's minLength/maxLength (node-llama-cpp enforces those itself);
 * - JSON-schema semantics node-llama-cpp reads differently are mapped: `anyOf` -> `oneOf`, an object
 *   with no properties and no `additionalProperties` admits any members (`json_object`), a type list
 *   with a number in it -> one alternative per type, `$schema` dropped.
 * How: each bounded number is swapped for a unique string constant, node-llama-cpp writes the GBNF,
 * and each constant's literal is replaced with the number's own rule. Bounds that a grammar of digits
 * cannot hold (a fractional minimum, a number's upper fraction) are left to the caller's validation.
 *
 * `jsonAnswerComplete` tells whether generated text is a whole JSON value: the grammar makes the model
 * pad a finished value with newlines, and a budget that runs out in that padding cut nothing.
 */
import type { Llama, LlamaGrammar } from "node-llama-cpp";

const SAFE = Number.MAX_SAFE_INTEGER;
/** Magnitude bound for a number's integer part when the schema gives none: 15 digits. */
const DEFAULT_NUMBER_MAGNITUDE = 999_999_999_999_999;
export const FRACTION_DIGITS = 12;
const PLACEHOLDER = "__conclave_bounded_number_";

type Schema = Record<string, unknown>;

export interface BoundedSchema {
  /** The schema to hand node-llama-cpp, with placeholders where bounded numbers go. */
  schema: Schema;
  /** Placeholder constant -> the GBNF expression of its number. */
  numbers: Map<string, string>;
}

const isObject = (value: unknown): value is Schema => typeof value === "object" && value !== null && !Array.isArray(value);
const num = (value: unknown): number | undefined => (typeof value === "number" && Number.isFinite(value) ? value : undefined);

/** The schema rewritten for node-llama-cpp, bounded numbers replaced by placeholders. */
export function boundJsonSchema(schema: Schema): BoundedSchema {
  const numbers = new Map<string, string>();
  const placeholderFor = (gbnf: string): Schema => {
    const existing = [...numbers].find(([, rule]) => rule === gbnf)?.[0];
    const name = existing ?? `${PLACEHOLDER}${numbers.size}__`;
    numbers.set(name, gbnf);
    return { const: name };
  };
  const visit = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(visit);
    if (!isObject(node)) return node;
    if ("const" in node || "enum" in node || "$ref" in node) return mapChildren(node, visit);
    const type = node.type;
    if (Array.isArray(type) && type.some((t) => t === "number" || t === "integer")) {
      const { type: _types, ...rest } = node;
      return { oneOf: type.map((t) => visit({ ...rest, type: t })) };
    }
    if (type === "integer") return placeholderFor(integerRule(node));
    if (type === "number") return placeholderFor(numberRule(node));
    const mapped = mapChildren(node, visit);
    if (type === "object" && mapped.properties === undefined && mapped.additionalProperties === undefined) mapped.additionalProperties = true;
    return mapped;
  };
  const { $schema: _draft, ...rest } = schema;
  return { schema: visit(rest) as Schema, numbers };
}

const CHILD_SCHEMAS = ["items", "additionalProperties"] as const;
const CHILD_LISTS = ["prefixItems", "oneOf", "anyOf"] as const;
const CHILD_MAPS = ["properties", "$defs", "definitions"] as const;

function mapChildren(node: Schema, visit: (node: unknown) => unknown): Schema {
  const out: Schema = { ...node };
  for (const key of CHILD_SCHEMAS) if (isObject(node[key])) out[key] = visit(node[key]);
  for (const key of CHILD_LISTS) if (Array.isArray(node[key])) out[key] = (node[key] as unknown[]).map(visit);
  for (const key of CHILD_MAPS) {
    if (isObject(node[key])) out[key] = Object.fromEntries(Object.entries(node[key] as Schema).map(([name, child]) => [name, visit(child)]));
  }
  if (out.anyOf !== undefined) {
    out.oneOf = [...((out.oneOf as unknown[] | undefined) ?? []), ...(out.anyOf as unknown[])];
    delete out.anyOf;
  }
  return out;
}

/** The integer bounds a schema node states, inclusive, clamped to the safe range. */
export function integerBounds(node: Schema): [number, number] {
  const exMin = num(node.exclusiveMinimum);
  const exMax = num(node.exclusiveMaximum);
  const mins = [num(node.minimum) === undefined ? -SAFE : Math.ceil(num(node.minimum)!), exMin === undefined ? -SAFE : Math.floor(exMin) + 1];
  const maxs = [num(node.maximum) === undefined ? SAFE : Math.floor(num(node.maximum)!), exMax === undefined ? SAFE : Math.ceil(exMax) - 1];
  return [Math.max(-SAFE, ...mins), Math.min(SAFE, ...maxs)];
}

function integerRule(node: Schema): string {
  const [lo, hi] = integerBounds(node);
  // An empty range cannot be generated at all: fall back to the lower bound alone.
  return signedRange(lo, Math.max(lo, hi));
}

function numberRule(node: Schema): string {
  const min = num(node.minimum) ?? num(node.exclusiveMinimum);
  const max = num(node.maximum) ?? num(node.exclusiveMaximum);
  const fraction = `("." [0-9]{1,${FRACTION_DIGITS}})?`;
  const cap = (n: number) => Math.min(DEFAULT_NUMBER_MAGNITUDE, Math.max(0, n));
  const parts: string[] = [];
  // Non-negative values: an integer part within [floor(min), floor(max)].
  if (max === undefined || max >= 0) {
    const hi = max === undefined ? DEFAULT_NUMBER_MAGNITUDE : cap(Math.floor(max));
    parts.push(`${rangeRule(Math.min(hi, min === undefined ? 0 : cap(Math.floor(min))), hi)} ${fraction}`);
  }
  // Negative values: "-" and an integer part within [ceil(-max) - 1, floor(-min)].
  if (min === undefined || min < 0) {
    const hi = min === undefined ? DEFAULT_NUMBER_MAGNITUDE : cap(Math.floor(-min));
    parts.push(`"-" ${rangeRule(Math.min(hi, max === undefined || max >= 0 ? 0 : cap(Math.ceil(-max) - 1)), hi)} ${fraction}`);
  }
  return parts.length === 1 ? parts[0]! : parts.map((p) => `(${p})`).join(" | ");
}

/** GBNF for the integers in [lo, hi] written without leading zeros or "-0". */
export function signedRange(lo: number, hi: number): string {
  const parts: string[] = [];
  if (hi >= 0) parts.push(rangeRule(Math.max(0, lo), hi));
  if (lo < 0) parts.push(`"-" ${rangeRule(Math.max(1, -Math.min(hi, -1)), -lo)}`);
  return parts.length === 1 ? `(${parts[0]})` : `(${parts.map((p) => `(${p})`).join(" | ")})`;
}

const digitClass = (from: number, to: number) => (from === to ? `"${from}"` : `[${from}-${to}]`);
const anyDigits = (count: number) => (count === 0 ? "" : count === 1 ? "[0-9]" : `[0-9]{${count}}`);
const join = (...parts: string[]) => parts.filter(Boolean).join(" ");

/** Non-negative integers in [lo, hi] (0 <= lo <= hi), decimal without leading zeros. */
export function rangeRule(lo: number, hi: number): string {
  const alternatives: string[] = [];
  const low = String(lo);
  const high = String(hi);
  for (let digits = low.length; digits <= high.length; digits++) {
    const from = digits === low.length ? low : digits === 1 ? "0" : `1${"0".repeat(digits - 1)}`;
    const to = digits === high.length ? high : "9".repeat(digits);
    alternatives.push(...sameLength(from, to));
  }
  // Adjacent digit literals read better as one: "9" "0" "0" -> "900".
  const merged = alternatives.map((alternative) => alternative.replace(/"(\d+)"(?: "(\d+)")+/g, (run) => `"${run.replace(/[" ]/g, "")}"`));
  return merged.length === 1 ? merged[0]! : `(${merged.join(" | ")})`;
}

/** Digit strings of one length between `from` and `to` (inclusive), as GBNF alternatives. */
function sameLength(from: string, to: string): string[] {
  if (from === to) return [`"${from}"`];
  let common = 0;
  while (from[common] === to[common]) common++;
  const prefix = common === 0 ? "" : `"${from.slice(0, common)}"`;
  const a = Number(from[common]);
  const b = Number(to[common]);
  const rest = from.length - common - 1;
  const fromTail = from.slice(common + 1);
  const toTail = to.slice(common + 1);
  if (/^0*$/.test(fromTail) && /^9*$/.test(toTail)) return [join(prefix, digitClass(a, b), anyDigits(rest))];
  const out: string[] = [];
  out.push(...atLeast(fromTail).map((tail) => join(prefix, `"${a}"`, tail)));
  if (a + 1 <= b - 1) out.push(join(prefix, digitClass(a + 1, b - 1), anyDigits(rest)));
  out.push(...atMost(toTail).map((tail) => join(prefix, `"${b}"`, tail)));
  return out;
}

/** Digit strings of the same length as `s` that are >= s. */
function atLeast(s: string): string[] {
  if (s === "") return [""];
  if (/^0*$/.test(s)) return [anyDigits(s.length)];
  const d = Number(s[0]);
  const out = atLeast(s.slice(1)).map((tail) => join(`"${d}"`, tail));
  if (d < 9) out.push(join(digitClass(d + 1, 9), anyDigits(s.length - 1)));
  return out;
}

/** Digit strings of the same length as `s` that are <= s. */
function atMost(s: string): string[] {
  if (s === "") return [""];
  if (/^9*$/.test(s)) return [anyDigits(s.length)];
  const d = Number(s[0]);
  const out = atMost(s.slice(1)).map((tail) => join(`"${d}"`, tail));
  if (d > 0) out.push(join(digitClass(0, d - 1), anyDigits(s.length - 1)));
  return out;
}

/** node-llama-cpp's GBNF with each placeholder's literal replaced by its number rule. */
export function substituteNumbers(gbnf: string, numbers: ReadonlyMap<string, string>): string {
  let out = gbnf;
  for (const [name, rule] of numbers) {
    // A placeholder that never reached the grammar (an unreferenced $defs entry) has nothing to replace.
    out = out.replaceAll(`"\\"${name}\\""`, `(${rule})`);
  }
  // Numbers the schema did not type (inside "any JSON") use the global rules: bound those too.
  return out
    .replace(/^integer-number-rule ::= .*$/m, `integer-number-rule ::= ${signedRange(-SAFE, SAFE)}`)
    .replace(/^fractional-number-rule ::= .*$/m, `fractional-number-rule ::= ${numberRule({})}`);
}

/** The grammar for a JSON schema; stops, like node-llama-cpp's own, at the newlines after the value. */
export async function createJsonSchemaGrammar(llama: Llama, schema: Schema): Promise<LlamaGrammar> {
  const bounded = boundJsonSchema(schema);
  const base = await llama.createGrammarForJsonSchema(bounded.schema as never);
  return llama.createGrammar({ grammar: substituteNumbers(base.grammar, bounded.numbers), stopGenerationTriggers: ["\n".repeat(4)], trimWhitespaceSuffix: true });
}

/**
 * True when `text` is a whole JSON value. A number at the top level is whole only when something
 * followed it (the grammar's newline padding): "12" cut by the budget might have become "123".
 */
export function jsonAnswerComplete(text: string): boolean {
  const trimmed = text.trim();
  try {
    JSON.parse(trimmed);
  } catch {
    return false;
  }
  return /[}\]"el]$/.test(trimmed) || /\s$/.test(text);
}
