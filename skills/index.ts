/** The skills module: catalog, taggers and the keyword-to-skill matcher. */
export { loadSkillCatalog, parseSkillCatalog, type SkillCatalog, type SkillDefinition } from "./catalog.js";
export { DEFAULT_CATALOG } from "./default-catalog.js";
export { KeywordTagger, parseKeywords, type AskModel, type KeywordTaggerOptions } from "./keyword-tagger.js";
export { DEFAULT_TAG_LIMITS, LexicalTagger } from "./lexical-tagger.js";
export { SkillMatcher, type Embed, type SkillMatch } from "./matcher.js";
export type { SkillTagger, TagLimits } from "./tagger.js";
export { stem, terms, tokenize } from "./text.js";
