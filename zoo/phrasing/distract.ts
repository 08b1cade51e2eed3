/**
 * Distractor words: a training question with one or two ordinary English words put right next to
 * an operand ("Sort the letters of hjus music", "Uppercase table lamp hjus"). Measured on
 * held-out families, the letter skills failed where a family put a word training never showed
 * beside the operand: `zoo-letters` sorted "how do the letters in hjus read alphabetically" into
 * `dhjsu` (the d of "read"), and upper-cased "change ash to all caps" into `CHANE`. A distractor
 * teaches that a word next to the operand is not part of it; the operand is what the question
 * says to work on.
 *
 * The pool never holds a word of a validation or test family (of any skill) or of the hidden
 * questions (zoo/hidden/): those stay unseen, and what the models learn must carry over to them.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { allExpansions } from "./expand.js";
import { FAMILIES } from "./families.js";

/** Ordinary words with no bearing on any skill (no arithmetic, letters or ordering words). */
const CANDIDATES = [
  "house", "green", "table", "music", "today", "happy", "paper", "water", "yellow", "friend",
  "chair", "morning", "little", "bread", "coffee", "summer", "winter", "street", "animal", "story",
  "quickly", "maybe", "really", "also", "again", "later", "here", "soon", "just", "still",
  "blue", "small", "big", "old", "new", "good", "nice", "warm", "cold", "fast",
  "dog", "cat", "bird", "fish", "tree", "stone", "sunny", "apple", "lemon", "honey",
  "city", "school", "office", "market", "forest", "phone", "doctor", "book", "pencil", "lamp",
  "walk", "run", "sing", "play", "cook", "swim", "dance", "know", "want", "like",
  "thing", "stuff", "idea", "picture", "puzzle", "game", "movie", "task", "job", "work",
  "now", "then", "well", "yes", "ok", "sure", "fine", "great", "cool", "right",
];

const HIDDEN = join(import.meta.dirname, "..", "hidden", "questions.jsonl");

function wordsOf(text: string): string[] {
  return text.toLowerCase().split(/[^a-z]+/).filter(Boolean);
}

let pool: string[] | undefined;

/** The distractor words: the candidates minus every word of a held-out family or hidden question. */
export function distractorPool(): readonly string[] {
  if (pool) return pool;
  const unseen = new Set<string>();
  for (const families of Object.values(FAMILIES)) {
    for (const family of families) if (family.split !== "train") for (const frame of allExpansions(family.template)) for (const word of wordsOf(frame)) unseen.add(word);
  }
  for (const line of readFileSync(HIDDEN, "utf8").split("\n")) if (line.trim()) for (const word of wordsOf(JSON.parse(line).question)) unseen.add(word);
  pool = CANDIDATES.filter((candidate) => wordsOf(candidate).every((word) => !unseen.has(word)));
  return pool;
}

/** `frame` (slots in place) with one or two distractor words just before or after one of its slots. */
export function distractFrame(frame: string, random: () => number): string {
  const words = frame.split(" ");
  const slots = words.flatMap((word, i) => (/\{\w+\}/.test(word) ? [i] : []));
  if (slots.length === 0) return frame;
  const at = slots[Math.floor(random() * slots.length)]!;
  const choices = distractorPool();
  const count = random() < 0.7 ? 1 : 2;
  const inserted = Array.from({ length: count }, () => choices[Math.floor(random() * choices.length)]!);
  // A slot word may carry punctuation ("{w}," or "{w}?"): after it, the distractor goes before that.
  if (random() < 0.5) words.splice(at, 0, ...inserted);
  else {
    const [slot, rest] = splitTrailing(words[at]!);
    words.splice(at, 1, slot, ...inserted.slice(0, -1), `${inserted.at(-1)}${rest}`);
  }
  return words.join(" ");
}

function splitTrailing(word: string): [string, string] {
  const match = /^(.*\})(.*)$/.exec(word);
  return match ? [match[1]!, match[2]!] : [word, ""];
}
