/**
 * Tokenising shared by the lexical tagger and the keyword matcher: both sides of every comparison
 * must go through the same normalisation or stems would never meet.
 */

// Function words plus the instruction verbs every kind of question uses ("explain", "give"); left
// in, they would tie a question to whichever skill's examples happen to use them.
const STOP_WORDS = new Set(
  (
    "a about above after again against all am an and any are as at be because been before being below between both but by " +
    "can could did do does doing done down during each few for from further had has have having he her here hers him his " +
    "how i if in into is it its itself just me more most my no nor not now of off on once only or other our ours out over " +
    "own same she should so some such than that the their theirs them then there these they this those through to too " +
    "under until up very was we were what when where which while who whom why will with would you your yours " +
    "also get got let may might must shall us want need like please thanks thank hi hello ok okay sure " +
    "explain describe tell give show help know find make use using used way thing things something someone " +
    "one two many much really actually"
  ).split(" "),
);

// Plural/verb endings only: enough to fold "equations"/"equation" and "translating"/"translate"
// without a full stemmer's surprises. Order matters: longest suffix first.
export function stem(word: string): string {
  if (word.length <= 3 || /\d/.test(word)) return word;
  let out = word;
  // Porter's condition: only strip a verb ending when a vowel stays ("string" keeps its "ing").
  const strip = (suffix: string) => {
    const rest = word.slice(0, -suffix.length);
    return rest.length >= 3 && /[aeiouy]/.test(rest) ? rest : word;
  };
  if (/(ies|ied)$/.test(out) && out.length > 4) out = `${out.slice(0, -3)}y`;
  else if (out.endsWith("ing")) out = strip("ing");
  else if (out.endsWith("ed")) out = strip("ed");
  else if (/(ss|sh|ch|x|z)es$/.test(out)) out = out.slice(0, -2);
  else if (out.endsWith("s") && !/(ss|us|is)$/.test(out)) out = out.slice(0, -1);
  // "running" -> "runn" -> "run", but "adding" -> "add" must not become "ad".
  if (out !== word && /([b-df-hj-np-tv-z])\1$/.test(out) && !/(ll|ss|zz)$/.test(out) && out.length > 3) out = out.slice(0, -1);
  // A final silent e differs between "translate" and "translated": drop it so both meet.
  if (out.endsWith("e") && out.length >= 4) out = out.slice(0, -1);
  return out;
}

/** Lowercased, stemmed content words; numbers collapse to one token since their value says nothing of the skill. */
export function tokenize(text: string): string[] {
  const words = text.toLowerCase().split(/[^a-z0-9]+/);
  const out: string[] = [];
  for (const word of words) {
    if (!word || STOP_WORDS.has(word)) continue;
    if (/^\d+$/.test(word)) out.push("#num");
    // Single letters stay: "x" and "y" are strong algebra evidence.
    else out.push(stem(word));
  }
  return out;
}

/** Unigrams plus adjacent-pair bigrams: "normal distribution" should count for more than its words. */
export function terms(text: string): string[] {
  const tokens = tokenize(text);
  const out = [...tokens];
  for (let i = 0; i + 1 < tokens.length; i += 1) out.push(`${tokens[i]} ${tokens[i + 1]}`);
  return out;
}
