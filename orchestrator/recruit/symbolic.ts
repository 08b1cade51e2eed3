/**
 * Symbolic-MoE recruitment: an expert's suitability for a question is the sum, over the question's
 * tagged skills, of its profile score on that skill (missing = 0) weighted by the tag's score,
 * multiplied by its global competence. The k best are recruited (`top`), or k distinct experts are
 * drawn with a seeded PRNG (`sample`), and weighted by their normalised suitability.
 */
import type { Recruitment, SkillTag } from "../../kernel/contracts.js";
import { ConclaveError } from "../../kernel/errors.js";
import { competenceOf, type Profile } from "../profile/format.js";
import { seededRandom } from "../../kernel/prng.js";
import { preferWarm, withinMargin, type ResidencySwap, type ResidencyView } from "./residency.js";
import { distinct, fixed, suitabilityWeights } from "./weights.js";

export interface SkillContribution {
  skill: string;
  /** profileScore x tagScore: what this skill adds to the skill score. */
  score: number;
  profileScore: number;
  tagScore: number;
}

export interface Suitability {
  expertId: string;
  suitability: number;
  skillScore: number;
  competence: number;
  contributions: SkillContribution[];
  /** Set when every score was <= 0: the worst score, which suitability was measured from. */
  relativeTo?: number;
}

export interface SymbolicOptions {
  k: number;
  selection: "top" | "sample";
  seed: number;
  /** Mixed into the seed (the question text) so each question draws its own, reproducible recruits. */
  sampleKey?: string;
  /** Which experts are warm (residency.ts); with a margin > 0, close candidates prefer the warm. */
  residency?: () => ResidencyView;
  residencyMargin?: number;
}

export function noExpertAvailable(strategy: string): ConclaveError {
  return new ConclaveError("NO_EXPERT_AVAILABLE", `${strategy} routing: no expert is available`);
}

/**
 * Every available expert's suitability, best first; ties go by expert id so the order is stable.
 *
 * Relative evidence: when no expert has a positive score on the tagged skills (all did worse than
 * chance on validation) but their scores differ, the least bad is still the best bet. Scores are
 * then taken relative to the worst (worst -> 0) before competence multiplies them; multiplying a
 * negative score by competence would rank the more competent expert lower.
 */
export function suitability(skills: readonly SkillTag[], profile: Profile | undefined, available: readonly string[]): Suitability[] {
  const rows = distinct(available).map((expertId): Suitability => {
    // Without a profile nothing separates the experts: all equal, no evidence.
    if (!profile) return { expertId, suitability: 0, skillScore: 0, competence: 1, contributions: [] };
    const expert = Object.hasOwn(profile.experts, expertId) ? profile.experts[expertId] : undefined;
    const contributions = skills.map((tag) => {
      const profileScore = expert && Object.hasOwn(expert.skills, tag.skill) ? expert.skills[tag.skill]! : 0;
      return { skill: tag.skill, score: profileScore * tag.score, profileScore, tagScore: tag.score };
    });
    const skillScore = contributions.reduce((sum, c) => sum + c.score, 0);
    const competence = competenceOf(profile, expertId);
    return { expertId, suitability: skillScore * competence, skillScore, competence, contributions };
  });
  const scores = rows.map((row) => row.skillScore);
  const worst = Math.min(...scores);
  if (rows.length > 1 && Math.max(...scores) <= 0 && Math.max(...scores) > worst) {
    for (const row of rows) {
      row.relativeTo = worst;
      row.suitability = (row.skillScore - worst) * row.competence;
    }
  }
  return rows.sort((a, b) => b.suitability - a.suitability || compareIds(a.expertId, b.expertId));
}

function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** "algebra 4.0 x 0.80 tag + statistics 2.0 x 0.50 tag; competence 0.80 → 3.36" */
export function explain(row: Suitability): string {
  const evidence = row.contributions.filter((c) => c.score !== 0).sort((a, b) => Math.abs(b.score) - Math.abs(a.score));
  const shown = evidence.slice(0, 3).map((c) => `${c.skill} ${fixed(c.profileScore, 1)} x ${fixed(c.tagScore)} tag`);
  if (evidence.length > 3) shown.push(`${evidence.length - 3} more`);
  const text = shown.length > 0 ? shown.join(" + ") : "no evidence on the tagged skills";
  const relative = row.relativeTo === undefined ? "" : ` (all scores <= 0: measured from the worst, ${fixed(row.relativeTo, 1)})`;
  return `${text}${relative}; competence ${fixed(row.competence)} → ${fixed(row.suitability)}`;
}

/** Why suitability cannot rank the experts, or undefined when it can. */
export function missingEvidence(skills: readonly SkillTag[], profile: Profile | undefined, ranked: readonly Suitability[]): string | undefined {
  if (!profile) return "no profile: every expert counts as equally skilled";
  if (skills.length === 0) return "no skills tagged";
  if (!ranked.some((row) => row.suitability > 0)) return `no expert has positive evidence for ${skills.map((s) => s.skill).join(", ")}`;
  return undefined;
}

/**
 * Without usable evidence: the k most competent experts (ties: higher skill score, then the order
 * they are listed as available, i.e. the operator's config order), weighted by competence.
 */
export function competenceFallback(strategy: string, ranked: readonly Suitability[], available: readonly string[], k: number, why: string): Recruitment {
  const order = new Map(distinct(available).map((id, index) => [id, index]));
  const chosen = [...ranked]
    .sort((a, b) => b.competence - a.competence || b.skillScore - a.skillScore || order.get(a.expertId)! - order.get(b.expertId)!)
    .slice(0, k);
  const weights = suitabilityWeights(chosen.map((row) => row.competence));
  const uniform = ranked.every((row) => row.competence === ranked[0]!.competence);
  return {
    strategy,
    recruits: chosen.map((row, i) => ({ expertId: row.expertId, weight: weights[i]!, reason: `competence ${fixed(row.competence)} (fallback)` })),
    fallback: `${why}; recruited the ${uniform ? "first" : "most competent"} ${chosen.length} available`,
  };
}

/** k distinct draws, each proportional to positive suitability; the rest (if any) best-first. */
function sampleDistinct(ranked: readonly Suitability[], k: number, random: () => number): Suitability[] {
  // Proportional rather than softmax: scale-free, while softmax at temperature 1 would turn the
  // profile's ±1-per-answer units into near-argmax for large validation sets.
  const pool = ranked.filter((row) => row.suitability > 0);
  const chosen: Suitability[] = [];
  while (chosen.length < k && pool.length > 0) {
    const total = pool.reduce((sum, row) => sum + row.suitability, 0);
    let point = random() * total;
    let index = pool.findIndex((row) => (point -= row.suitability) < 0);
    if (index < 0) index = pool.length - 1; // rounding at the very end of the range
    chosen.push(...pool.splice(index, 1));
  }
  for (const row of ranked) if (chosen.length < k && !chosen.includes(row)) chosen.push(row);
  return ranked.filter((row) => chosen.includes(row));
}

export function recruitSymbolic(
  skills: readonly SkillTag[],
  profile: Profile | undefined,
  available: readonly string[],
  options: SymbolicOptions,
): Recruitment {
  // Top-k with evidence, the common case, skips building and sorting a row per expert.
  const fast = options.selection === "top" ? topCandidates(skills, profile, available, options) : undefined;
  const ranked = fast?.rows ?? suitability(skills, profile, available);
  if (ranked.length === 0) throw noExpertAvailable("symbolic");
  const k = Math.min(Math.max(1, Math.floor(options.k)), fast?.count ?? ranked.length);
  const why = fast ? undefined : missingEvidence(skills, profile, ranked);
  if (why) return competenceFallback("symbolic", ranked, available, k, why);
  const sampled = options.selection === "sample";
  const { chosen, swaps } = sampled
    ? { chosen: sampleDistinct(ranked, k, seededRandom(options.seed, options.sampleKey)), swaps: [] }
    : preferWarm(ranked, k, options.residency, options.residencyMargin ?? 0);
  const weights = suitabilityWeights(chosen.map((row) => row.suitability));
  return {
    strategy: "symbolic",
    recruits: chosen.map((row, i) => ({ expertId: row.expertId, weight: weights[i]!, reason: `${sampled ? "sampled: " : ""}${explain(row)}${swapNote(swaps, row.expertId)}` })),
    ...(swaps.length > 0 ? { residencySwaps: swaps.map(({ expertId, over }) => ({ expertId, over })) } : {}),
  };
}

/** "; residency: resident: taken over b (cold, 3.10), 98.0% of its suitability, ..." or "". */
export function swapNote(swaps: readonly ResidencySwap[], expertId: string): string {
  const swap = swaps.find((s) => s.expertId === expertId);
  return swap ? `; residency: ${swap.reason}` : "";
}

/**
 * A profile laid out for the request path, per list of available experts: ids (deduplicated), their
 * competence, and per skill a column of scores (0 where the profile has none, as `suitability`
 * reads it). Built once per (profile, available) pair: the router passes the same objects with
 * every request, and a profile is never mutated once loaded.
 */
interface ProfileIndex {
  ids: string[];
  competence: Float64Array;
  columns: Map<string, Float64Array>;
}
const indexes = new WeakMap<Profile, WeakMap<readonly string[], ProfileIndex>>();
function profileIndex(profile: Profile, available: readonly string[]): ProfileIndex {
  let byList = indexes.get(profile);
  if (!byList) indexes.set(profile, (byList = new WeakMap()));
  let index = byList.get(available);
  if (!index) {
    const ids = distinct(available);
    const columns = new Map<string, Float64Array>();
    ids.forEach((id, e) => {
      const expert = Object.hasOwn(profile.experts, id) ? profile.experts[id] : undefined;
      for (const skill of Object.keys(expert?.skills ?? {})) {
        let column = columns.get(skill);
        if (!column) columns.set(skill, (column = new Float64Array(ids.length)));
        column[e] = expert!.skills[skill]!;
      }
    });
    index = { ids, competence: Float64Array.from(ids, (id) => competenceOf(profile, id)), columns };
    byList.set(available, index);
  }
  return index;
}

/**
 * The rows `suitability()` would rank first, built only for the experts that can be chosen: the
 * k best plus any within the residency margin of the k-th (and its ties). Same numbers, summed in
 * the same order, same tie-break by id; so the same recruits as ranking every expert (tested).
 * Undefined when the slow path must run: no profile, no tagged skill, or no positive evidence.
 */
function topCandidates(
  skills: readonly SkillTag[],
  profile: Profile | undefined,
  available: readonly string[],
  options: SymbolicOptions,
): { rows: Suitability[]; count: number } | undefined {
  if (!profile || skills.length === 0) return undefined;
  const { ids, competence, columns } = profileIndex(profile, available);
  const n = ids.length;
  if (n === 0) return undefined;
  // Column by column, but each expert's sum still adds its skills in tag order, as suitability() does.
  const skillScore = new Float64Array(n);
  for (const tag of skills) {
    const column = columns.get(tag.skill);
    for (let e = 0; e < n; e++) skillScore[e]! += (column ? column[e]! : 0) * tag.score;
  }
  let worst = Infinity;
  let most = -Infinity;
  for (let e = 0; e < n; e++) {
    if (skillScore[e]! < worst) worst = skillScore[e]!;
    if (skillScore[e]! > most) most = skillScore[e]!;
  }
  const relative = n > 1 && most <= 0 && most > worst;
  const value = new Float64Array(n);
  let anyPositive = false;
  for (let e = 0; e < n; e++) {
    value[e] = relative ? (skillScore[e]! - worst) * competence[e]! : skillScore[e]! * competence[e]!;
    if (value[e]! > 0) anyPositive = true;
  }
  if (!anyPositive) return undefined;
  const k = Math.min(Math.max(1, Math.floor(options.k)), n);
  // The k-th best value, by insertion into a k-long list (k is small).
  const top = new Float64Array(k).fill(-Infinity);
  for (let e = 0; e < n; e++) {
    const v = value[e]!;
    if (v <= top[k - 1]!) continue;
    let at = k - 1;
    while (at > 0 && top[at - 1]! < v) {
      top[at] = top[at - 1]!;
      at--;
    }
    top[at] = v;
  }
  const kth = top[k - 1]!;
  const floor = options.residency ? withinMargin(kth, options.residencyMargin ?? 0) : kth;
  const rows: Suitability[] = [];
  for (let e = 0; e < n; e++) {
    if (value[e]! < floor) continue;
    const expertId = ids[e]!;
    const contributions = skills.map((tag) => {
      const column = columns.get(tag.skill);
      const profileScore = column ? column[e]! : 0;
      return { skill: tag.skill, score: profileScore * tag.score, profileScore, tagScore: tag.score };
    });
    rows.push({ expertId, suitability: value[e]!, skillScore: skillScore[e]!, competence: competence[e]!, contributions, ...(relative ? { relativeTo: worst } : {}) });
  }
  rows.sort((a, b) => b.suitability - a.suitability || compareIds(a.expertId, b.expertId));
  return { rows, count: n };
}
