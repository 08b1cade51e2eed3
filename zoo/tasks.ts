/**
 * The zoo's skills: six small tasks, asked in one of two ways. `fixed`: a few phrasings per skill,
 * validation and test using phrasings training never shows for half of their items (what the
 * committed zoo was trained on). `grammar`: compositional phrasings from zoo/phrasing/, whole
 * phrasing families held out for validation and test, operands up to three digits. Either way an
 * operand (number pair, word) belongs to exactly one split by its hash.
 */
import { hashString, mulberry32 } from "../kernel/prng.js";
import { familiesOf } from "./phrasing/families.js";
import { drillFamily, scrambleFrame } from "./phrasing/augment.js";
import { distractFrame } from "./phrasing/distract.js";
import { phrase } from "./phrasing/grammar.js";

export type Split = "train" | "val" | "test";

/** Where questions' wording comes from (see the header). */
export type Phrasing = "fixed" | "grammar";

export interface TaskItem {
  skill: string;
  question: string;
  answer: string;
  /** The operands ("47+38", "garden", "a:banana"): what assigns the item to its split. */
  key: string;
  /** Whether the phrasing is one training uses. */
  seenPhrasing: boolean;
  /** The phrasing family (grammar phrasing only). */
  family?: string;
}

interface Task {
  id: string;
  category: string;
  description: string;
  /** Words people use for it: the lexical tagger's signal. */
  keywords: string[];
  phrasings: string[];
  heldOutPhrasings: string[];
  /**
   * Draws operands: the values substituted into the phrasing, and the key that assigns the split.
   * `wide`: the grammar's ranges (numbers up to three digits, any letters).
   */
  draw(random: () => number, wide: boolean): { values: Record<string, string>; key: string; answer: string };
}

const LETTERS = "abcdefghijklmnopqrstuvwxyz";

function int(random: () => number, lo: number, hi: number): number {
  return lo + Math.floor(random() * (hi - lo + 1));
}

/** 0-999 with one, two and three digits equally likely. */
function wideNumber(random: () => number): number {
  const digits = int(random, 1, 3);
  return digits === 1 ? int(random, 0, 9) : int(random, 10 ** (digits - 1), 10 ** digits - 1);
}

/** A word of any letters in which `letter` is common, so counts of 0-4 all occur. */
function wordWithLetter(random: () => number, letter: string): string {
  const length = int(random, 4, 8);
  const share = random() * 0.5;
  let out = "";
  for (let i = 0; i < length; i++) out += random() < share ? letter : LETTERS[int(random, 0, 25)];
  return out;
}

function word(random: () => number, minLength: number, maxLength: number, alphabet = LETTERS): string {
  const length = int(random, minLength, maxLength);
  let out = "";
  for (let i = 0; i < length; i++) out += alphabet[int(random, 0, alphabet.length - 1)];
  return out;
}

export const TASKS: readonly Task[] = [
  {
    id: "addition",
    keywords: ["addition", "add", "plus", "sum", "+"],
    category: "arithmetic",
    description: "Adding two whole numbers.",
    phrasings: ["What is {a} plus {b}?", "Add {a} and {b}.", "{a} + {b} =", "Compute {a} + {b}.", "What is the sum of {a} and {b}?"],
    heldOutPhrasings: ["How much is {a} plus {b}?", "Find the sum of {a} and {b}."],
    draw(random, wide) {
      const a = wide ? wideNumber(random) : int(random, 0, 99);
      const b = wide ? wideNumber(random) : int(random, 0, 99);
      return { values: { a: `${a}`, b: `${b}` }, key: `${a}+${b}`, answer: `${a + b}` };
    },
  },
  {
    id: "subtraction",
    keywords: ["subtraction", "subtract", "minus", "difference", "take away", "-"],
    category: "arithmetic",
    description: "Subtracting a smaller whole number from a larger one.",
    phrasings: ["What is {a} minus {b}?", "Subtract {b} from {a}.", "{a} - {b} =", "Compute {a} - {b}.", "What is the difference between {a} and {b}?"],
    heldOutPhrasings: ["How much is {a} minus {b}?", "Take {b} away from {a}."],
    draw(random, wide) {
      const x = wide ? wideNumber(random) : int(random, 0, 99);
      const y = wide ? wideNumber(random) : int(random, 0, 99);
      const [a, b] = x >= y ? [x, y] : [y, x];
      return { values: { a: `${a}`, b: `${b}` }, key: `${a}-${b}`, answer: `${a - b}` };
    },
  },
  {
    id: "counting",
    keywords: ["count", "how many", "how often", "times", "appear", "occurs", "letter"],
    category: "arithmetic",
    description: "Counting how often a letter occurs in a word.",
    phrasings: ["How many times does {c} appear in {w}?", "Count the letter {c} in {w}.", "How many {c}s are in {w}?", "Count {c} in {w}."],
    heldOutPhrasings: ["Count how often {c} occurs in {w}.", "How many times is the letter {c} in {w}?"],
    draw(random, wide) {
      // A small alphabet (or a letter made common) so that counts of 0-4 all occur. The fixed
      // phrasing draws the word first, as the committed zoo's data was drawn: same seed, same items.
      const fixedWord = wide ? "" : word(random, 4, 8, "abcdeo");
      const c = wide ? LETTERS[int(random, 0, 25)]! : "abcdeo"[int(random, 0, 5)]!;
      const w = wide ? wordWithLetter(random, c) : fixedWord;
      const count = [...w].filter((letter) => letter === c).length;
      return { values: { c, w }, key: `${c}:${w}`, answer: `${count}` };
    },
  },
  {
    id: "reversal",
    keywords: ["reverse", "reversed", "backwards", "spell backwards", "in reverse"],
    category: "letters",
    description: "Spelling a word backwards.",
    phrasings: ["Spell {w} backwards.", "Reverse the word {w}.", "What is {w} reversed?", "Write {w} in reverse."],
    heldOutPhrasings: ["Reverse {w}.", "Spell the word {w} backwards."],
    draw(random, wide) {
      const w = word(random, 3, wide ? 8 : 7);
      return { values: { w }, key: w, answer: [...w].reverse().join("") };
    },
  },
  {
    id: "sorting",
    keywords: ["sort", "sorted", "alphabetical", "alphabetize", "alphabetically", "order", "arrange"],
    category: "letters",
    description: "Putting the letters of a word in alphabetical order.",
    phrasings: ["Sort the letters of {w}.", "Put the letters of {w} in alphabetical order.", "Alphabetize the letters in {w}.", "What are the letters of {w} sorted?"],
    heldOutPhrasings: ["Sort the letters in {w}.", "Arrange the letters of {w} alphabetically."],
    draw(random, wide) {
      const w = word(random, 3, wide ? 8 : 7);
      return { values: { w }, key: w, answer: [...w].sort().join("") };
    },
  },
  {
    id: "uppercase",
    keywords: ["uppercase", "upper case", "capital letters", "capitalize", "capitals"],
    category: "letters",
    description: "Writing a word in capital letters.",
    phrasings: ["Uppercase {w}.", "Write {w} in capital letters.", "What is {w} in upper case?", "Convert {w} to uppercase."],
    heldOutPhrasings: ["Write the word {w} in uppercase.", "Capitalize every letter of {w}."],
    draw(random, wide) {
      const w = word(random, 3, wide ? 8 : 7);
      return { values: { w }, key: w, answer: w.toUpperCase() };
    },
  },
];

export const SKILL_IDS = TASKS.map((task) => task.id);

export function taskOf(skill: string): Task {
  const task = TASKS.find((t) => t.id === skill);
  if (!task) throw new Error(`unknown zoo skill ${skill}`);
  return task;
}

/** 80% of operands train, 10% validate, 10% test. */
export function splitOf(skill: string, key: string): Split {
  const bucket = hashString(`${skill}:${key}`) % 10;
  return bucket < 8 ? "train" : bucket === 8 ? "val" : "test";
}

function fill(phrasing: string, values: Record<string, string>): string {
  return phrasing.replace(/\{(\w+)\}/g, (_, name: string) => values[name] ?? "");
}

/**
 * Shares of grammar training questions drawn as scrambled frames or drills (zoo/phrasing/augment.ts),
 * or with distractor words beside an operand (zoo/phrasing/distract.ts).
 */
export interface Augmentation {
  augment?: number;
  drill?: number;
  distract?: number;
}

/** One question of `skill` whose operands belong to `split`; held-out phrasings only outside train. */
export function drawItem(skill: string, split: Split, random: () => number, phrasing: Phrasing = "fixed", augmentation: Augmentation = {}): TaskItem {
  if (phrasing === "grammar") return drawGrammarItem(skill, split, random, split === "train" ? augmentation : {});
  const task = taskOf(skill);
  for (;;) {
    const drawn = task.draw(random, false);
    if (splitOf(skill, drawn.key) !== split) continue;
    const heldOut = split !== "train" && random() < 0.5;
    const pool = heldOut ? task.heldOutPhrasings : task.phrasings;
    const phrasing = pool[Math.floor(random() * pool.length)]!;
    return { skill, question: fill(phrasing, drawn.values), answer: drawn.answer, key: drawn.key, seenPhrasing: !heldOut };
  }
}

/** A question in a phrasing family of `split` (only such families), operands of `split`. */
function drawGrammarItem(skill: string, split: Split, random: () => number, augmentation: Augmentation): TaskItem {
  const task = taskOf(skill);
  const families = familiesOf(skill, split);
  const { augment = 0, drill = 0, distract = 0 } = augmentation;
  for (;;) {
    const drawn = task.draw(random, true);
    if (splitOf(skill, drawn.key) !== split) continue;
    // Only augmented recipes draw the extra number: plain streams stay as they were.
    const how = augment + drill + distract > 0 ? random() : 1;
    if (how < drill) {
      const family = drillFamily(skill);
      return { skill, question: phrase(family, drawn.values, random, { plain: true }), answer: drawn.answer, key: drawn.key, seenPhrasing: true, family: family.id };
    }
    const family = families[Math.floor(random() * families.length)]!;
    const options =
      how < drill + augment
        ? { frame: (frame: string) => scrambleFrame(skill, frame, random) }
        : how < drill + augment + distract
          ? { frame: (frame: string) => distractFrame(frame, random) }
          : {};
    const question = phrase(family, drawn.values, random, options);
    return { skill, question, answer: drawn.answer, key: drawn.key, seenPhrasing: split === "train", family: family.id };
  }
}

/** A fixed evaluation set: `perSkill` items of every skill, the same for the same seed. */
export function evaluationSet(split: Exclude<Split, "train">, perSkill: number, seed: number, phrasing: Phrasing = "fixed"): TaskItem[] {
  const random = mulberry32(hashString(`zoo-${phrasing === "grammar" ? "grammar-" : ""}${split}-${seed}`));
  const items: TaskItem[] = [];
  const seen = new Set<string>();
  for (const skill of SKILL_IDS) {
    let made = 0;
    while (made < perSkill) {
      const item = drawItem(skill, split, random, phrasing);
      if (seen.has(item.question)) continue;
      seen.add(item.question);
      items.push(item);
      made += 1;
    }
  }
  return items;
}
