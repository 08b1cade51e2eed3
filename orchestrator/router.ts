/**
 * Wires the routing half of the pipeline from config: a skill tagger (lexical, keywords written by
 * a configured expert and mapped onto the catalog, or a tagger trained with `conclave skills fit`) and
 * the recruitment strategy over the experts that can serve. The keyword model runs through the
 * scheduler like any other work, so in a batch it is loaded once to tag every instance. Routing
 * abstains (recruit/abstain.ts) with the configured message, or one written from the catalog.
 */
import type { Config } from "./config/schema.js";
import type { Router } from "./pipeline.js";
import type { Profile } from "./profile/format.js";
import { defaultAbstainMessage, recruit } from "./recruit/index.js";
import { residencyFromStats } from "./recruit/residency.js";
import type { Scheduler } from "./scheduler/scheduler.js";
import type { SkillCatalog } from "../skills/catalog.js";
import { KeywordTagger } from "../skills/keyword-tagger.js";
import { LexicalTagger } from "../skills/lexical-tagger.js";
import type { SkillTagger } from "../skills/tagger.js";
import { TrainedTagger } from "../skills/trained-tagger.js";
import { remoteEmbedder } from "../skills/remote-embeddings.js";

export interface RouterContext {
  config: Readonly<Config>;
  catalog: SkillCatalog;
  profile: Profile | undefined;
  /** Experts that can serve (readable, within the memory budget). */
  available: string[];
  scheduler: Scheduler;
  env?: Record<string, string | undefined>;
  /** For kind: trained, an already loaded tagger; otherwise skills.tagger.path is read at start-up. */
  trainedTagger?: TrainedTagger;
  /** Expected US dollars per call of each expert whose cost is known. */
  costs?: Readonly<Record<string, number>>;
}

/** Keywords are a short list: a small cap keeps the tagging call cheap. */
const KEYWORD_MAX_TOKENS = 48;

export function buildRouter(context: RouterContext): Router {
  const { config, catalog, profile, available, scheduler } = context;
  const settings = config.skills.tagger;
  const lexical = new LexicalTagger(catalog, { maxSkills: settings.maxSkills, minScore: settings.minScore });
  let tagger: SkillTagger = lexical;
  // The category strategy's classifier: the trained tagger when configured (its probability is the
  // confidence the fallback threshold sees), else the lexical one.
  let classify = (text: string) => lexical.classify(text);
  if (settings.kind === "trained") {
    const limits = { maxSkills: settings.maxSkills, minScore: settings.minScore };
    const trained = context.trainedTagger ?? TrainedTagger.loadSync(settings.path ?? "", limits);
    tagger = trained;
    classify = (text) => trained.classify(text);
  } else if (settings.kind === "keyword" && settings.model) {
    const model = settings.model;
    tagger = new KeywordTagger({
      catalog,
      lexical,
      ask: async (messages, signal) => {
        const result = await scheduler.submit(model, {
          messages,
          params: { maxTokens: KEYWORD_MAX_TOKENS, temperature: 0 },
          ...(signal ? { signal } : {}),
        });
        return result.text;
      },
      minKeywords: settings.minKeywords,
      maxKeywords: settings.maxKeywords,
      matchThreshold: settings.matchThreshold,
      maxSkills: settings.maxSkills,
      minScore: settings.minScore,
      ...(settings.embeddings ? { embed: embedderFor(settings.embeddings, context.env ?? process.env) } : {}),
    });
  }
  return {
    tag: (text) => tagger.tag(text),
    abstainMessage: config.routing.abstain.message ?? defaultAbstainMessage(catalog.skills),
    recruit: (skills, text) =>
      recruit(config.routing, {
        skills,
        text,
        profile,
        available,
        classify: () => classify(text),
        ...(context.costs ? { costs: context.costs } : {}),
        // Read at recruitment time, and only when routing.residencyMargin asks for it.
        residency: () => residencyFromStats(scheduler.stats()),
      }),
  };
}

function embedderFor(settings: NonNullable<Config["skills"]["tagger"]["embeddings"]>, env: Record<string, string | undefined>) {
  const apiKey = settings.apiKeyEnv ? env[settings.apiKeyEnv] : undefined;
  return remoteEmbedder({ baseUrl: settings.baseUrl, model: settings.model, timeoutMs: settings.timeoutMs, ...(apiKey ? { apiKey } : {}) });
}
