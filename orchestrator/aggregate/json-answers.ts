/**
 * JSON answers to a request with a JSON schema (`response_format` json_schema / json_object): parse,
 * check against the schema, and compare by value.
 *
 * `readJsonAnswer(text, schema)` gives the parsed value and its canonical text (keys sorted, no
 * whitespace), or undefined when the text is not one JSON value that matches the schema: answers cut
 * by the token budget, or a remote expert that ignored the format. Two answers agree when their
 * canonical texts are equal, however they were spaced or ordered.
 *
 * `matchesSchema` covers the JSON-schema keywords structured output uses: type, enum, const,
 * properties / required / additionalProperties, items / prefixItems, min/max (exclusive) bounds,
 * min/maxLength, min/maxItems, anyOf / oneOf / allOf and local `$ref`s (#/$defs/..., #/definitions/...).
 * Unknown keywords (pattern, format, ...) are not checked.
 */

type Schema = Record<string, unknown>;

export interface JsonAnswer {
  value: unknown;
  canonical: string;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

/** JSON text with object keys sorted at every level: equal values, equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (isObject(value)) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key])}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

export function readJsonAnswer(text: string, schema: Schema): JsonAnswer | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text.trim());
  } catch {
    return undefined;
  }
  return matchesSchema(value, schema) ? { value, canonical: canonicalJson(value) } : undefined;
}

const TYPE_CHECKS: Record<string, (value: unknown) => boolean> = {
  object: isObject,
  array: Array.isArray,
  string: (value) => typeof value === "string",
  number: (value) => typeof value === "number" && Number.isFinite(value),
  integer: (value) => Number.isInteger(value),
  boolean: (value) => typeof value === "boolean",
  null: (value) => value === null,
};

const num = (value: unknown): number | undefined => (typeof value === "number" ? value : undefined);

export function matchesSchema(value: unknown, schema: unknown, root: unknown = schema, depth = 0): boolean {
  if (schema === true || schema === undefined) return true;
  if (schema === false || !isObject(schema) || depth > 64) return false;
  const check = (v: unknown, s: unknown) => matchesSchema(v, s, root, depth + 1);
  if (typeof schema.$ref === "string") {
    const target = resolveRef(root, schema.$ref);
    if (target === undefined || !check(value, target)) return false;
  }
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? schema.type : [schema.type];
    if (!types.some((type) => TYPE_CHECKS[type as string]?.(value))) return false;
  }
  if ("const" in schema && canonicalJson(value) !== canonicalJson(schema.const)) return false;
  if (Array.isArray(schema.enum) && !schema.enum.some((item) => canonicalJson(item) === canonicalJson(value))) return false;
  if (Array.isArray(schema.anyOf) && !schema.anyOf.some((s) => check(value, s))) return false;
  if (Array.isArray(schema.oneOf) && schema.oneOf.filter((s) => check(value, s)).length !== 1) return false;
  if (Array.isArray(schema.allOf) && !schema.allOf.every((s) => check(value, s))) return false;
  if (typeof value === "number") {
    if (num(schema.minimum) !== undefined && value < num(schema.minimum)!) return false;
    if (num(schema.maximum) !== undefined && value > num(schema.maximum)!) return false;
    if (num(schema.exclusiveMinimum) !== undefined && value <= num(schema.exclusiveMinimum)!) return false;
    if (num(schema.exclusiveMaximum) !== undefined && value >= num(schema.exclusiveMaximum)!) return false;
  }
  if (typeof value === "string") {
    const length = [...value].length;
    if (num(schema.minLength) !== undefined && length < num(schema.minLength)!) return false;
    if (num(schema.maxLength) !== undefined && length > num(schema.maxLength)!) return false;
  }
  if (Array.isArray(value)) {
    if (num(schema.minItems) !== undefined && value.length < num(schema.minItems)!) return false;
    if (num(schema.maxItems) !== undefined && value.length > num(schema.maxItems)!) return false;
    const prefix = Array.isArray(schema.prefixItems) ? schema.prefixItems : [];
    if (!value.every((item, i) => check(item, i < prefix.length ? prefix[i] : schema.items))) return false;
  }
  if (isObject(value)) {
    const properties = isObject(schema.properties) ? schema.properties : {};
    if (Array.isArray(schema.required) && !schema.required.every((key) => typeof key === "string" && key in value)) return false;
    for (const [key, item] of Object.entries(value)) {
      const own = Object.hasOwn(properties, key);
      if (!check(item, own ? properties[key] : schema.additionalProperties)) return false;
    }
  }
  return true;
}

function resolveRef(root: unknown, ref: string): unknown {
  if (!ref.startsWith("#")) return undefined;
  let node: unknown = root;
  for (const part of ref.slice(1).split("/").filter(Boolean)) {
    if (!isObject(node)) return undefined;
    node = node[part.replace(/~1/g, "/").replace(/~0/g, "~")];
  }
  return node;
}
