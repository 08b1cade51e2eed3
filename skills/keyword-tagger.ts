/**
 * Symbolic-MoE style tagging: a small model names the skills a question needs as free keywords,
 * and the matcher snaps each keyword onto the catalog. Keywords generalise beyond the catalog's
 * vocabulary; the lexical tagger stands in whenever the model fails or says nothing usable.
 */
import type { ChatMessage, SkillTag } from "../kernel/contracts.js";
import { isAbortError } from "../kernel/errors.js";
import type { SkillCatalog } from "./catalog.js";
import type { LexicalTagger } from "./lexical-tagger.js";
import { type Embed, SkillMatcher } from "./matcher.js";
import type { SkillTagger, TagLimits } from "./tagger.js";

export type AskModel = (messages: ChatMessage[], signal?: AbortSignal) => Promise<string>;

export interface KeywordTaggerOptions {
  catalog: SkillCatalog;
  lexical: LexicalTagger;
  ask: AskModel;
  minKeywords: number;
  maxKeywords: number;
  matchThreshold: number;
  maxSkills: number;
  minScore: number;
  embed?: Embed;
}

// The tagger only needs the gist; a long document would just make tagging slow.
const MAX_QUESTION_CHARS = 4000;
// Longer "keywords" are sentences the model wrapped around its answer, not keywords.
const MAX_KEYWORD_WORDS = 4;
const MAX_KEYWORD_CHARS = 48;

const LABEL = /\b(keywords?|skills?|tags?|answer|labels?|output|here)\b/i;

function cleanKeyword(raw: string): string {
  return raw
    .trim()
    .replace(/^(?:[-*•+]|\(?\d+[.)]|#+)\s*/, "") // bullets, "1." / "2)" numbering, markdown headings
    .replace(/[*_`"“”‘’[\]{}]/g, "") // markdown emphasis, quotes and stray brackets
    .trim()
    .replace(/[.!?:]+$/, "")
    .replace(/^'+|'+$/g, "") // single quotes only at the ends: "newton's laws" keeps its apostrophe
    .replace(/\s+/g, " ")
    .trim()
    .toLowerCase();
}

function jsonItems(body: string): string[] | undefined {
  const start = body.search(/[[{]/);
  if (start < 0) return undefined;
  const end = Math.max(body.lastIndexOf("]"), body.lastIndexOf("}"));
  let value: unknown;
  try {
    value = JSON.parse(body.slice(start, end + 1));
  } catch {
    return undefined;
  }
  // Accept ["a", "b"], {"keywords": [...]} and [{"keyword": "a"}]: models drift between these.
  if (value && typeof value === "object" && !Array.isArray(value)) value = Object.values(value).find(Array.isArray);
  if (!Array.isArray(value)) return undefined;
  return value.flatMap((item: unknown) => {
    if (typeof item === "string") return [item];
    if (item && typeof item === "object") {
      const field = Object.values(item).find((v) => typeof v === "string");
      return typeof field === "string" ? [field] : [];
    }
    return [];
  });
}

function listItems(body: string): string[] {
  return body.split(/\r?\n/).flatMap((line) => {
    let text = line.replace(/^\s*(?:[-*•+]|\(?\d+[.)])\s+/, "");
    const colon = text.indexOf(":");
    if (colon >= 0) {
      const before = text.slice(0, colon);
      const after = text.slice(colon + 1);
      // "Keywords: a, b" keeps what follows the label; "algebra: solving for x" keeps the keyword before it.
      text = LABEL.test(before) || before.trim().split(/\s+/).length > MAX_KEYWORD_WORDS ? after : before;
    }
    return text.split(/[,;|]/);
  });
}

/** Keywords from a model reply in any common shape, cleaned, deduplicated and capped. */
export function parseKeywords(reply: string, maxKeywords: number): string[] {
  const body = reply
    .replace(/<think>[\s\S]*?<\/think>/gi, "") // reasoning models think out loud first
    .replace(/```[a-z]*/gi, "")
    .trim();
  const items = jsonItems(body) ?? listItems(body);
  const out: string[] = [];
  for (const item of items) {
    const keyword = cleanKeyword(item);
    if (!keyword || !/[a-z0-9]/.test(keyword) || keyword.length > MAX_KEYWORD_CHARS) continue;
    if (keyword.split(" ").length > MAX_KEYWORD_WORDS || out.includes(keyword)) continue;
    out.push(keyword);
    if (out.length >= maxKeywords) break;
  }
  return out;
}

export class KeywordTagger implements SkillTagger {
  private readonly matcher: SkillMatcher;
  private readonly limits: TagLimits;

  constructor(private readonly options: KeywordTaggerOptions) {
    const { catalog, lexical, matchThreshold, embed } = options;
    this.matcher = new SkillMatcher(catalog, lexical, embed ? { threshold: matchThreshold, embed } : { threshold: matchThreshold });
    this.limits = { maxSkills: options.maxSkills, minScore: options.minScore };
  }

  /** The prompt: ids shown as examples of granularity, not as a closed list, so the model may go beyond them. */
  prompt(text: string): ChatMessage[] {
    const { catalog, minKeywords, maxKeywords } = this.options;
    const ids = catalog.skills.map((skill) => skill.id).join(", ");
    const question = text.length > MAX_QUESTION_CHARS ? `${text.slice(0, MAX_QUESTION_CHARS)}…` : text;
    return [
      {
        role: "system",
        content: "You label questions with the skills needed to answer them. Reply with keywords only: no explanations, no sentences.",
      },
      {
        role: "user",
        content:
          `List between ${minKeywords} and ${maxKeywords} short skill keywords (one to three words each) naming the knowledge ` +
          `needed to answer the question below. Use the granularity of these examples: ${ids}.\n` +
          `Reply with a single comma-separated line.\n\nQuestion:\n${question}`,
      },
    ];
  }

  async tag(text: string, signal?: AbortSignal): Promise<SkillTag[]> {
    signal?.throwIfAborted();
    if (!text.trim()) return [];
    try {
      const reply = await this.options.ask(this.prompt(text), signal);
      const tags = await this.mapKeywords(parseKeywords(reply, this.options.maxKeywords));
      if (tags.length > 0) return tags;
    } catch (error) {
      // An abort means nobody wants the answer: falling back would only waste work.
      if (isAbortError(error)) throw error;
    }
    return this.options.lexical.tagSync(text, this.limits);
  }

  private async mapKeywords(keywords: string[]): Promise<SkillTag[]> {
    const matches = await this.matcher.matchAll(keywords);
    const best = new Map<string, SkillTag>();
    matches.forEach((match, i) => {
      const keyword = keywords[i];
      if (!match || keyword === undefined || match.score < this.limits.minScore) return;
      const previous = best.get(match.skill);
      if (previous && previous.score >= match.score) return;
      // The contract records the keyword only when it says something the skill id does not.
      best.set(match.skill, keyword === match.skill ? { skill: match.skill, score: match.score } : { ...match, keyword });
    });
    return [...best.values()].sort((a, b) => b.score - a.score).slice(0, Math.max(0, this.limits.maxSkills));
  }
}
