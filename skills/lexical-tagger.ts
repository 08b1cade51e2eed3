/**
 * A model-free tagger: TF-IDF cosine similarity between the request and one document per skill.
 * Cheap and deterministic, so it is the default tagger and the fallback of the keyword tagger.
 */
import type { SkillTag } from "../kernel/contracts.js";
import type { SkillCatalog, SkillDefinition } from "./catalog.js";
import { terms } from "./text.js";
import type { SkillTagger, TagLimits } from "./tagger.js";

export type Vector = Map<string, number>;

// Ids and keywords are curated signal; descriptions and examples are prose with incidental words.
const WEIGHTS = { id: 3, keyword: 3, description: 1, example: 1 } as const;

// Share of "no skill" in the classify normaliser: a top score near this value gets ~50% confidence.
const CONFIDENCE_BASELINE = 0.1;

export const DEFAULT_TAG_LIMITS: TagLimits = { maxSkills: 5, minScore: 0.05 };

function skillCounts(skill: SkillDefinition): Map<string, number> {
  const counts = new Map<string, number>();
  const add = (text: string, weight: number) => {
    for (const term of terms(text)) counts.set(term, (counts.get(term) ?? 0) + weight);
  };
  add(skill.id.replace(/-/g, " "), WEIGHTS.id);
  add(skill.description, WEIGHTS.description);
  for (const keyword of skill.keywords) add(keyword, WEIGHTS.keyword);
  for (const example of skill.examples) add(example, WEIGHTS.example);
  return counts;
}

/** Scales a sparse vector to unit length in place (a zero vector stays zero). */
export function normalise(vector: Vector): Vector {
  let sum = 0;
  for (const value of vector.values()) sum += value * value;
  const norm = Math.sqrt(sum);
  if (norm > 0) for (const [term, value] of vector) vector.set(term, value / norm);
  return vector;
}

export class LexicalTagger implements SkillTagger {
  private readonly idf = new Map<string, number>();
  private readonly vectors: Array<{ skill: SkillDefinition; vector: Vector }>;
  private readonly limits: TagLimits;

  constructor(catalog: SkillCatalog, limits: Partial<TagLimits> = {}) {
    this.limits = { ...DEFAULT_TAG_LIMITS, ...limits };
    const counts = catalog.skills.map(skillCounts);
    const df = new Map<string, number>();
    for (const doc of counts) for (const term of doc.keys()) df.set(term, (df.get(term) ?? 0) + 1);
    // Plain ln(N/df) zeroes terms every skill shares; +1 inside keeps a lone skill's terms usable.
    const n = counts.length;
    for (const [term, freq] of df) this.idf.set(term, Math.log(1 + n / freq));
    this.vectors = catalog.skills.map((skill, index) => ({ skill, vector: this.weigh(counts[index] ?? new Map()) }));
  }

  /** Sublinear tf (1 + ln tf) so a keyword repeated across examples does not drown the rest. */
  private weigh(counts: Map<string, number>): Vector {
    const vector: Vector = new Map();
    for (const [term, count] of counts) {
      const idf = this.idf.get(term);
      // Terms no skill uses cannot match anything; leaving them out keeps scores comparable across text lengths.
      if (idf !== undefined && count > 0) vector.set(term, (1 + Math.log(count)) * idf);
    }
    return normalise(vector);
  }

  /** Cosine similarity of `text` with every skill, best first. */
  scores(text: string): Array<{ skill: string; score: number }> {
    const counts = new Map<string, number>();
    for (const term of terms(text)) counts.set(term, (counts.get(term) ?? 0) + 1);
    const query = this.weigh(counts);
    const out = this.vectors.map(({ skill, vector }) => {
      let dot = 0;
      for (const [term, value] of query) dot += value * (vector.get(term) ?? 0);
      // Clamp float noise so callers can rely on 0..1.
      return { skill: skill.id, score: Math.min(1, Math.max(0, dot)) };
    });
    return out.sort((a, b) => b.score - a.score);
  }

  tagSync(text: string, limits: TagLimits): SkillTag[] {
    return this.scores(text)
      .filter((entry) => entry.score > 0 && entry.score >= limits.minScore)
      .slice(0, Math.max(0, limits.maxSkills));
  }

  async tag(text: string): Promise<SkillTag[]> {
    return this.tagSync(text, this.limits);
  }

  /**
   * The request's category (skill.category, or the skill id when a skill has none), scored as the
   * best of its skills. Confidence is the top category's share of squared scores, with a fixed
   * "no category" baseline in the denominator: c = top² / (Σ score² + baseline²). Squaring sharpens
   * the share like a softmax does, and the baseline makes weak or absent evidence give low confidence
   * (empty or unknown text gives 0) instead of a confident pick among zeros.
   */
  classify(text: string): { category: string; confidence: number; ranking: Array<{ category: string; score: number }> } {
    const best = new Map<string, number>();
    for (const { skill } of this.vectors) best.set(skill.category ?? skill.id, 0);
    const byId = new Map(this.vectors.map(({ skill }) => [skill.id, skill.category ?? skill.id]));
    for (const { skill, score } of this.scores(text)) {
      const category = byId.get(skill) ?? skill;
      best.set(category, Math.max(best.get(category) ?? 0, score));
    }
    // Stable sort keeps catalog order among ties, so empty text names the first skill's category.
    const ranking = [...best].map(([category, score]) => ({ category, score })).sort((a, b) => b.score - a.score);
    const top = ranking[0] ?? { category: "", score: 0 };
    const total = ranking.reduce((sum, entry) => sum + entry.score ** 2, CONFIDENCE_BASELINE ** 2);
    const confidence = top.score > 0 ? top.score ** 2 / total : 0;
    return { category: top.category, confidence, ranking };
  }
}
