/**
 * Maps a free keyword (from a model, a user or a profile) to the nearest catalog skill.
 * Order of evidence: an exact id or catalog keyword (score 1), then embedding cosine when an
 * embedder is configured, else the lexical tagger's TF-IDF score.
 */
import type { SkillCatalog, SkillDefinition } from "./catalog.js";
import type { LexicalTagger } from "./lexical-tagger.js";
import { tokenize } from "./text.js";

export type Embed = (texts: string[]) => Promise<number[][]>;

export interface SkillMatch {
  skill: string;
  score: number;
}

/** Stemmed content words, so "Python programming", "python_programming" and "python-programming" meet. */
function key(text: string): string {
  return tokenize(text.replace(/[-_]/g, " ")).join(" ");
}

function cosine(a: number[], b: number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i += 1) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : 0;
}

export class SkillMatcher {
  /** Normalised id/keyword -> skills carrying it (a keyword may be shared). */
  private readonly exact = new Map<string, SkillDefinition[]>();
  private skillVectors: Promise<number[][]> | undefined;

  constructor(
    private readonly catalog: SkillCatalog,
    private readonly lexical: LexicalTagger,
    private readonly options: { threshold: number; embed?: Embed },
  ) {
    for (const skill of catalog.skills) {
      for (const phrase of [skill.id, ...skill.keywords]) {
        const k = key(phrase);
        if (!k) continue;
        const list = this.exact.get(k) ?? [];
        if (!list.includes(skill)) list.push(skill);
        this.exact.set(k, list);
      }
    }
  }

  async match(keyword: string): Promise<SkillMatch | undefined> {
    const [result] = await this.matchAll([keyword]);
    return result;
  }

  /** Matches several keywords with one embedding call for those that need it. */
  async matchAll(keywords: string[]): Promise<Array<SkillMatch | undefined>> {
    const results: Array<SkillMatch | undefined> = keywords.map((keyword) => this.exactMatch(keyword));
    const pending = keywords.map((keyword, index) => ({ keyword, index })).filter(({ index }) => results[index] === undefined);
    if (pending.length === 0) return results;
    const fuzzy = this.options.embed
      ? await this.embedMatches(pending.map((p) => p.keyword), this.options.embed)
      : pending.map((p) => this.lexical.scores(p.keyword)[0]);
    pending.forEach(({ index }, i) => {
      const found = fuzzy[i];
      results[index] = found && found.score > 0 && found.score >= this.options.threshold ? found : undefined;
    });
    return results;
  }

  private exactMatch(keyword: string): SkillMatch | undefined {
    const k = key(keyword);
    const skills = k ? this.exact.get(k) : undefined;
    if (!skills || skills.length === 0) return undefined;
    // A keyword shared by skills ("equation": algebra and chemistry) goes to the lexically closer one.
    if (skills.length === 1) return { skill: skills[0]!.id, score: 1 };
    const ranked = this.lexical.scores(keyword);
    const rank = (skill: SkillDefinition) => ranked.findIndex((entry) => entry.skill === skill.id);
    const best = [...skills].sort((a, b) => rank(a) - rank(b))[0]!;
    return { skill: best.id, score: 1 };
  }

  private async embedMatches(keywords: string[], embed: Embed): Promise<Array<SkillMatch | undefined>> {
    const [vectors, skillVectors] = await Promise.all([embed(keywords), this.embedSkills(embed)]);
    return keywords.map((_, i) => {
      const vector = vectors[i];
      if (!vector) return undefined;
      let best: SkillMatch | undefined;
      this.catalog.skills.forEach((skill, s) => {
        const score = Math.max(0, Math.min(1, cosine(vector, skillVectors[s] ?? [])));
        if (!best || score > best.score) best = { skill: skill.id, score };
      });
      return best;
    });
  }

  /** Skill embeddings are computed once, on first need; a failed attempt is forgotten so the next call retries. */
  private embedSkills(embed: Embed): Promise<number[][]> {
    if (!this.skillVectors) {
      const texts = this.catalog.skills.map((skill) => `${skill.id.replace(/-/g, " ")}: ${skill.description}`);
      this.skillVectors = embed(texts).catch((error: unknown) => {
        this.skillVectors = undefined;
        throw error;
      });
    }
    return this.skillVectors;
  }
}
