/**
 * Abstention, CoE's "no expert is competent" outcome, for every strategy: when the tagger scores
 * every skill below `routing.abstain.threshold`, no expert's profile can be trusted for the request.
 * Routing then recruits the configured fallback expert alone, or no one, and the pipeline answers
 * with the abstain message (pipeline.ts, `aggregate`).
 *
 * Input: the tagged skills (best first, as taggers return them), the settings and the available
 * experts. Output: the recruitment to use instead of the strategy's, or undefined to route as usual.
 * Pure: the same tags and settings always decide the same way.
 */
import type { Abstention, Recruitment, SkillTag } from "../../kernel/contracts.js";
import { fixed } from "./weights.js";

export interface AbstainSettings {
  /** 0 never abstains: no score is below it. */
  threshold: number;
  fallback?: string | undefined;
}

export function abstainRecruitment(strategy: string, skills: readonly SkillTag[], settings: AbstainSettings, available: readonly string[]): Recruitment | undefined {
  const best = skills.reduce<SkillTag | undefined>((top, tag) => (top === undefined || tag.score > top.score ? tag : top), undefined);
  if (settings.threshold <= 0 || (best !== undefined && best.score >= settings.threshold)) return undefined;
  const why = best === undefined ? "no skill tagged" : `best skill "${best.skill}" scores ${fixed(best.score, 3)}`;
  const below = `${why} < routing.abstain.threshold ${fixed(settings.threshold)}`;
  const abstention = (fallback: string | undefined, reason: string): Abstention => ({
    threshold: settings.threshold,
    ...(best === undefined ? {} : { best: { skill: best.skill, score: best.score } }),
    ...(fallback === undefined ? {} : { fallback }),
    reason,
  });
  const fallback = settings.fallback;
  if (fallback !== undefined && available.includes(fallback)) {
    const reason = `${below}: the fallback expert ${fallback} answers`;
    return { strategy, recruits: [{ expertId: fallback, weight: 1, reason: `abstain fallback (${below})` }], fallback: reason, abstain: abstention(fallback, reason) };
  }
  const unavailable = fallback === undefined ? "" : ` (the fallback expert ${fallback} is unavailable)`;
  return { strategy, recruits: [], abstain: abstention(undefined, `${below}: answered with the abstain message${unavailable}`) };
}

/** What the catalog says of a skill, for the message: its id, and its description when short enough to read. */
export interface SkillSummary {
  id: string;
  description?: string;
}

/** Past this many skills the message names them without descriptions, so it stays readable. */
const DESCRIBED_SKILLS = 12;

/**
 * The default abstain message, written from the catalog so it names the skills this ensemble
 * actually has, and says how to serve anything else.
 */
export function defaultAbstainMessage(skills: readonly SkillSummary[]): string {
  const described = skills.length <= DESCRIBED_SKILLS;
  const names = skills.map(({ id, description }) => (described && description ? `${id} (${sentenceFragment(description)})` : id));
  return [
    "I can't answer that: none of my experts is competent for this question.",
    names.length > 0 ? `The skills I know are: ${names.join("; ")}.` : "",
    "To answer other questions, configure real models: list them under `experts` in a config file (see conclave.example.yaml) and start conclave with `--config <file>` (or set CONCLAVE_CONFIG).",
  ]
    .filter(Boolean)
    .join(" ");
}

/** "Adding two whole numbers." -> "adding two whole numbers" */
function sentenceFragment(text: string): string {
  const trimmed = text.trim().replace(/[.!]+$/, "");
  // Only a capital that starts an ordinary word is lowered ("MMLU subjects" keeps its acronym).
  return /^[A-Z][a-z]/.test(trimmed) ? trimmed.charAt(0).toLowerCase() + trimmed.slice(1) : trimmed;
}
