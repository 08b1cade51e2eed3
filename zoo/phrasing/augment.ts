/**
 * Two ways of drawing training questions beside the families' own phrasing:
 *
 * - **scrambled frames**: a training family's frame with some of its function words dropped and
 *   the rest shuffled ("backwards {w} spell", "{w} write backwards"). It teaches that the skill's words and
 *   the operand can sit anywhere, which held-out families rely on (the committed grammar's training
 *   families never put a word operand first). A scrambled frame that reads like any expansion of a
 *   validation or test family is drawn again: held-out structures stay out of training.
 * - **drills**: the skill's shortest training frame, no openings or quotes ("347 + 129 =",
 *   "Reverse {w}"): short, cheap examples of the computation itself (three-digit arithmetic is
 *   what the models learn last).
 */
import { allExpansions } from "./expand.js";
import { FAMILIES, familiesOf, type Family } from "./families.js";

const DROP = 0.4;
/** Words a scrambled frame may lose: none of them says which skill is asked for. */
const DROPPABLE = new Set(["the", "a", "of", "in", "to", "and", "me", "you", "is", "it", "its", "with", "are", "there", "do", "does", "what", "tell", "give", "show", "find", "word", "string", "letter", "when", "if", "get", "for", "from"]);
const TRIES = 8;

function normalised(frame: string): string {
  return frame.toLowerCase().replace(/\s+/g, " ").trim();
}

const heldOutCache = new Map<string, Set<string>>();

/** Every frame a validation or test family of `skill` can expand to, lower-cased. */
export function heldOutFrames(skill: string): Set<string> {
  let frames = heldOutCache.get(skill);
  if (!frames) {
    frames = new Set((FAMILIES[skill] ?? []).filter((f) => f.split !== "train").flatMap((f) => allExpansions(f.template).map(normalised)));
    heldOutCache.set(skill, frames);
  }
  return frames;
}

/**
 * `frame` (an expanded training frame, slots in place) with words dropped and shuffled; the frame
 * itself when every draw read like a held-out family. Only function words are dropped, so the
 * words that say which skill is asked for ("backwards", "plus", "capitals") and the slots stay.
 */
export function scrambleFrame(skill: string, frame: string, random: () => number): string {
  const words = frame.split(" ").filter(Boolean);
  const held = heldOutFrames(skill);
  for (let attempt = 0; attempt < TRIES; attempt++) {
    const kept = words.filter((word) => !DROPPABLE.has(word.toLowerCase()) || random() >= DROP);
    for (let i = kept.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [kept[i], kept[j]] = [kept[j]!, kept[i]!];
    }
    const text = kept.join(" ").toLowerCase();
    if (held.has(normalised(text))) continue;
    return /^[a-z]/.test(text) ? text[0]!.toUpperCase() + text.slice(1) : text;
  }
  return frame;
}

/** The skill's training family with the shortest template: what drills are phrased in. */
export function drillFamily(skill: string): Family {
  return familiesOf(skill, "train").reduce((best, family) => (family.template.length < best.template.length ? family : best));
}
