/**
 * The phrasing families of every zoo skill. A family is one sentence frame (its structure and
 * operand placement); the words inside it come from pools the skill's families share, so a family
 * held out for validation or test is a new structure made of words training has seen. Each family
 * belongs to exactly one split: training never sees a validation or test family.
 *
 * Slots: {a} {b} numbers, {w} a word, {c} a letter, {cs} the letter's plural ("e's", "es").
 */
import type { Split } from "../tasks.js";

export type Form = "command" | "question" | "bare";

export interface Family {
  id: string;
  split: Split;
  form: Form;
  template: string;
}

const PLUS = "[plus|+]";
const MINUS = "[minus|-]";
const CALC = "[Compute|Calculate|Work out|Evaluate|Solve]";
const SUM = "[sum|total]";
const TELL = "[Tell me|Give me|Show me|Find]";
const WORD = "[the word |the string |]{w}";
const LETTER = "[the letter |]{c}";
const APPEAR = "[appear|occur|show up]";
const BACKWARDS = "[backwards|backward|in reverse|reversed]";
const ALPHA = "[alphabetically|in alphabetical order|in order|from a to z]";
const LETTERS_OF = "the letters [of|in] {w}";
const CAPS = "[capital letters|capitals|upper case|uppercase|all caps|block letters]";

function families(skill: string, list: Array<[Split, Form, string]>): Family[] {
  return list.map(([split, form, template], i) => ({ id: `${skill}/${i + 1}`, split, form, template }));
}

export const FAMILIES: Record<string, Family[]> = {
  addition: families("addition", [
    ["train", "question", `What is {a} ${PLUS} {b}`],
    ["train", "command", "Add {a} [and|to] {b}"],
    ["train", "bare", "{a} + {b} [=|= ?|]"],
    ["train", "question", `What is the ${SUM} of {a} and {b}`],
    ["train", "command", `${CALC} {a} ${PLUS} {b}`],
    ["train", "command", `${TELL} the ${SUM} of {a} and {b}`],
    ["train", "question", `What do you get [when|if] you add {a} [and|to] {b}`],
    ["train", "command", "[Sum|Total] {a} and {b}"],
    ["val", "question", `How much is {a} ${PLUS} {b}`],
    ["val", "command", "Add {b} to {a} and [tell me|give me] the [result|answer]"],
    ["test", "command", "Add together {a} and {b}"],
    ["test", "question", `{a} ${PLUS} {b} is what`],
  ]),
  subtraction: families("subtraction", [
    ["train", "question", `What is {a} ${MINUS} {b}`],
    ["train", "command", "Subtract {b} from {a}"],
    ["train", "bare", "{a} - {b} [=|= ?|]"],
    ["train", "command", `${CALC} {a} ${MINUS} {b}`],
    ["train", "question", "What is the difference between {a} and {b}"],
    ["train", "command", "Take {b} [away |]from {a}"],
    ["train", "question", "What do you get [when|if] you subtract {b} from {a}"],
    ["train", "command", `${TELL} the difference between {a} and {b}`],
    ["val", "question", `How much is {a} ${MINUS} {b}`],
    ["val", "command", "Subtract {b} from {a} and [tell me|give me] the [result|answer]"],
    ["test", "question", "What is left [when|if] you take {b} from {a}"],
    ["test", "question", `{a} ${MINUS} {b} is what`],
  ]),
  counting: families("counting", [
    ["train", "question", `How many times does ${LETTER} ${APPEAR} in ${WORD}`],
    ["train", "command", `Count the letter {c} in ${WORD}`],
    ["train", "question", `How many {cs} are [there |]in ${WORD}`],
    ["train", "command", `Count ${LETTER} in ${WORD}`],
    ["train", "question", `How often does ${LETTER} ${APPEAR} in ${WORD}`],
    ["train", "command", `${TELL} the number of {cs} in ${WORD}`],
    ["train", "command", `Count the {cs} in ${WORD}`],
    ["val", "command", `Count how [often|many times] ${LETTER} [occurs|appears] in ${WORD}`],
    ["val", "question", `How many times is ${LETTER} in ${WORD}`],
    ["test", "question", `In ${WORD}, how many {cs} are there`],
    ["test", "question", `How many {cs} does ${WORD} [have|contain]`],
  ]),
  reversal: families("reversal", [
    ["train", "command", `Spell ${WORD} ${BACKWARDS}`],
    ["train", "command", `Reverse ${WORD}`],
    ["train", "question", `What is ${WORD} ${BACKWARDS}`],
    ["train", "command", `Write ${WORD} ${BACKWARDS}`],
    ["train", "command", `${TELL} ${WORD} ${BACKWARDS}`],
    ["train", "question", `What do you get [when|if] you reverse ${WORD}`],
    ["train", "command", `Reverse the letters [of|in] ${WORD}`],
    ["val", "question", `What does ${WORD} look like ${BACKWARDS}`],
    ["val", "command", `Take ${WORD} and [reverse it|spell it backwards]`],
    ["test", "question", `How do you spell ${WORD} ${BACKWARDS}`],
    ["test", "bare", `{w} ${BACKWARDS}`],
  ]),
  sorting: families("sorting", [
    ["train", "command", `Sort ${LETTERS_OF}`],
    ["train", "command", `Put ${LETTERS_OF} in alphabetical order`],
    ["train", "command", `Alphabetize [${LETTERS_OF}|${WORD}]`],
    ["train", "question", `What are ${LETTERS_OF} [sorted|in alphabetical order]`],
    ["train", "command", `Arrange ${LETTERS_OF} ${ALPHA}`],
    ["train", "command", `${TELL} ${WORD} with its letters sorted`],
    ["train", "command", `Sort ${WORD} ${ALPHA}`],
    ["val", "question", `What is ${WORD} [sorted|alphabetized|with its letters sorted]`],
    ["val", "command", `Take ${WORD} and sort [its letters|it] ${ALPHA}`],
    ["test", "command", `Rearrange ${LETTERS_OF} ${ALPHA}`],
    ["test", "question", `How do ${LETTERS_OF} read ${ALPHA}`],
  ]),
  uppercase: families("uppercase", [
    ["train", "command", "Uppercase {w}"],
    ["train", "command", `Write ${WORD} in ${CAPS}`],
    ["train", "question", `What is ${WORD} in ${CAPS}`],
    ["train", "command", `Convert ${WORD} to ${CAPS}`],
    ["train", "command", `Capitalize [every letter of|all the letters of|] ${WORD}`],
    ["train", "command", `${TELL} ${WORD} in ${CAPS}`],
    ["train", "command", `Turn ${WORD} into ${CAPS}`],
    ["val", "question", `How is ${WORD} written in ${CAPS}`],
    ["val", "command", `Make ${WORD} [all caps|uppercase|all capitals|upper case]`],
    ["test", "command", `Change ${WORD} to ${CAPS}`],
    ["test", "bare", `{w} in ${CAPS}`],
  ]),
};

export function familiesOf(skill: string, split: Split): Family[] {
  const all = FAMILIES[skill];
  if (!all) throw new Error(`no phrasing families for zoo skill ${skill}`);
  return all.filter((family) => family.split === split);
}
