/**
 * The tagging contract: a request's text in, the skills it needs out. The router only sees this
 * interface, so lexical, keyword-model and future taggers are interchangeable.
 */
import type { SkillTag } from "../kernel/contracts.js";

export interface SkillTagger {
  /** Skills sorted by score (0..1) descending; [] when nothing fits. */
  tag(text: string, signal?: AbortSignal): Promise<SkillTag[]>;
}

export interface TagLimits {
  /** At most this many tags. */
  maxSkills: number;
  /** Tags scoring below this are dropped. */
  minScore: number;
}
