/**
 * The phrasing grammar's template language: `[a|b|]` picks one alternative (an empty one makes the
 * part optional; alternatives nest), `{name}` is a slot filled later with an operand. Pure string
 * work over a seeded random source, so a seed gives the same phrasing everywhere.
 */

/** Expands every `[...]` choice of `template`, leaving `{slots}` in place. */
export function expand(template: string, random: () => number): string {
  let out = "";
  let i = 0;
  while (i < template.length) {
    const char = template[i]!;
    if (char !== "[") {
      out += char;
      i += 1;
      continue;
    }
    const end = closingBracket(template, i);
    const options = splitTopLevel(template.slice(i + 1, end));
    out += expand(options[Math.floor(random() * options.length)]!, random);
    i = end + 1;
  }
  return out;
}

/** How many distinct strings `template` expands to (slots count once). */
export function countExpansions(template: string): number {
  let total = 1;
  let i = 0;
  while (i < template.length) {
    if (template[i] !== "[") {
      i += 1;
      continue;
    }
    const end = closingBracket(template, i);
    total *= splitTopLevel(template.slice(i + 1, end)).reduce((sum, option) => sum + countExpansions(option), 0);
    i = end + 1;
  }
  return total;
}

function closingBracket(template: string, open: number): number {
  let depth = 0;
  for (let i = open; i < template.length; i++) {
    if (template[i] === "[") depth += 1;
    else if (template[i] === "]" && --depth === 0) return i;
  }
  throw new Error(`unbalanced [ in phrasing template: ${template}`);
}

function splitTopLevel(body: string): string[] {
  const options: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < body.length; i++) {
    if (body[i] === "[") depth += 1;
    else if (body[i] === "]") depth -= 1;
    else if (body[i] === "|" && depth === 0) {
      options.push(body.slice(start, i));
      start = i + 1;
    }
  }
  options.push(body.slice(start));
  return options;
}

/** Fills `{name}` slots from `values`; an unknown slot is a bug in the grammar. */
export function fillSlots(text: string, values: Record<string, string>): string {
  return text.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`phrasing slot {${name}} has no value in: ${text}`);
    return value;
  });
}

/** Every string `template` expands to, slots left in place (for sets of a few thousand at most). */
export function allExpansions(template: string): string[] {
  const open = template.indexOf("[");
  if (open < 0) return [template];
  const end = closingBracket(template, open);
  const head = template.slice(0, open);
  const tails = allExpansions(template.slice(end + 1));
  const out: string[] = [];
  for (const option of splitTopLevel(template.slice(open + 1, end))) for (const middle of allExpansions(option)) for (const tail of tails) out.push(head + middle + tail);
  return out;
}
