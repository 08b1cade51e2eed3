/**
 * Measures a Symbolic-MoE profile on a validation set, resumably.
 *
 * Input: an orchestrator, the validation items and options. Output: the profile (per expert a score
 * per skill, accuracy, competence; the chosen aggregator), validated by `parseProfile`, and a report
 * with the details the profile format has no room for. Nothing is written but the checkpoint.
 *
 * 1. Skills: a line's own, else the orchestrator's tagger (recorded, so a resumed run scores with the
 *    same tags even when the tagger is a sampled model).
 * 2. Answers: every (question, expert) pair through one `runBatch` with `expertId`, so the scheduler
 *    groups the work by expert and loads each model once; then graded.
 * 3. Aggregator: every candidate synthesises mixed-quality sets of those answers (synthesis-sets.ts)
 *    with the same prompt the pipeline uses, again one `runBatch` grouped by candidate; graded; best wins.
 * Sampling settings come from the config (`generation`, and `aggregation.maxTokens` for syntheses);
 * the seed is passed to every generation so a rerun reproduces it.
 *
 * Each finished piece of work is appended to the checkpoint from runBatch's progress callback, so a
 * kill loses at most what was in flight. A generation that fails counts as a wrong answer (no answer
 * is not a right one; the report lists failures); one that was aborted or cut off by shutdown is not
 * recorded, and the run then fails so that a rerun does that work.
 */
import type { ChatMessage, Instance } from "../../kernel/contracts.js";
import { ConclaveError, type ErrorCode } from "../../kernel/errors.js";
import type { BatchProgress, Orchestrator } from "../orchestrator.js";
import { buildSynthesisMessages } from "../aggregate/synthesize.js";
import { buildProfile, parseProfile, type Profile } from "./format.js";
import { gradeAnswers, measuredProfile, scoreSyntheses, type QuestionReport, type SetCounts } from "./score.js";
import type { ValidationItem } from "./validation.js";
import { Checkpoint, slotOf, workKey, type CheckpointRecord } from "./checkpoint.js";
import { buildSynthesisSets, type AggregatorScore } from "./synthesis-sets.js";

/** Defaults of the command's own options (the config holds everything else). */
export const PROFILE_DEFAULTS = { sets: 2, seed: 0 } as const;

export type ProfilePhase = "answers" | "synthesis";

export interface ProfileRunOptions {
  /** Experts to profile; default: every expert able to serve. */
  experts?: readonly string[];
  /** Aggregator candidates; default: every expert able to serve. */
  aggregators?: readonly string[];
  /** Synthesis sets per question (default 2). */
  sets?: number;
  /** Answers per set; default `routing.k`, the number the aggregator sees when serving. */
  k?: number;
  seed?: number;
  checkpoint: string;
  source?: string;
  /** A phase starts: `reused` of its `total` pieces come from the checkpoint. */
  onPhase?: (phase: ProfilePhase, total: number, reused: number) => void;
  onProgress?: (phase: ProfilePhase, done: number, total: number) => void;
  notice?: (message: string) => void;
}

export interface ProfileReport {
  version: 1;
  source?: string;
  seed: number;
  k: number;
  experts: string[];
  candidates: string[];
  work: Record<ProfilePhase, { total: number; reused: number; failed: number }>;
  sets: SetCounts;
  /** Ranked best first; the first one is the profile's aggregator. */
  aggregators: AggregatorScore[];
  questions: QuestionReport[];
}

export interface ProfileRunResult {
  profile: Profile;
  report: ProfileReport;
}

interface Work {
  slot: { phase: "answer" | "synthesis"; question: string; expert: string; set?: number };
  key: string;
  instance: Instance;
}

type Done = Extract<CheckpointRecord, { phase: "answer" | "synthesis" }>;

/** Aborts and shutdowns are interruptions, not answers: the work is left for the next run. */
const INTERRUPTIONS: readonly ErrorCode[] = ["ABORTED", "CLOSED"];

function servingExperts(orchestrator: Orchestrator, asked: readonly string[] | undefined, what: string, notice: (m: string) => void): string[] {
  const statuses = orchestrator.statuses;
  if (asked === undefined) {
    const ids = [...statuses.values()].filter((s) => !s.unavailable).map((s) => s.id);
    for (const s of statuses.values()) if (s.unavailable) notice(`${s.id} is not ${what}: ${s.unavailable.message}`);
    if (ids.length === 0) throw new ConclaveError("NO_EXPERT_AVAILABLE", `no expert is able to serve, so none can be ${what}`);
    return ids;
  }
  for (const id of asked) {
    const status = statuses.get(id);
    if (!status) throw new ConclaveError("MODEL_NOT_FOUND", `no expert named "${id}" (known: ${[...statuses.keys()].join(", ")})`);
    if (status.unavailable) throw new ConclaveError(status.unavailable.code as ErrorCode, `${id} cannot be ${what}: ${status.unavailable.message}`);
  }
  return [...new Set(asked)];
}

/**
 * Runs the pending work through one runBatch (grouped by expert), checkpointing each piece as it
 * finishes. Returns every piece's record, reused or new; interrupted pieces are missing.
 */
async function runPhase(
  orchestrator: Orchestrator,
  phase: ProfilePhase,
  work: readonly Work[],
  checkpoint: Checkpoint,
  options: ProfileRunOptions,
): Promise<{ done: Map<string, Done>; reused: number; interrupted: ConclaveError[] }> {
  const done = new Map<string, Done>();
  const pending = new Map<string, Work>();
  for (const piece of work) {
    const found = checkpoint.find(piece.slot, piece.key);
    if (found && found.phase !== "tags") done.set(slotOf(piece.slot), found);
    else pending.set(piece.instance.id, piece);
  }
  const reused = done.size;
  options.onPhase?.(phase, work.length, reused);
  const interrupted: ConclaveError[] = [];
  const finished = ({ id, outcome, error }: BatchProgress) => {
    const piece = pending.get(id)!;
    if (error && INTERRUPTIONS.includes(error.code)) interrupted.push(error);
    else {
      const record: Done = {
        ...piece.slot,
        key: piece.key,
        ...(outcome ? { text: outcome.text } : { error: { code: error!.code, message: error!.message } }),
      };
      done.set(slotOf(piece.slot), record);
      checkpoint.append(record);
    }
    options.onProgress?.(phase, done.size + interrupted.length, work.length);
  };
  if (pending.size > 0) {
    await orchestrator.runBatch(
      [...pending.values()].map((piece) => ({ instance: piece.instance, expertId: piece.slot.expert })),
      { onProgress: finished },
    );
  }
  await checkpoint.flush();
  return { done, reused, interrupted };
}

function failureCount(done: Map<string, Done>): number {
  return [...done.values()].filter((record) => record.error).length;
}

export async function runProfile(orchestrator: Orchestrator, items: readonly ValidationItem[], options: ProfileRunOptions): Promise<ProfileRunResult> {
  const notice = options.notice ?? (() => undefined);
  const config = orchestrator.config;
  const experts = servingExperts(orchestrator, options.experts, "profiled", notice);
  const candidates = servingExperts(orchestrator, options.aggregators, "an aggregator candidate", () => undefined);
  const seed = options.seed ?? PROFILE_DEFAULTS.seed;
  const sets = options.sets ?? PROFILE_DEFAULTS.sets;
  const k = options.k ?? config.routing.k;
  const checkpoint = await Checkpoint.open(options.checkpoint);

  // 1. Skills: the line's, else the tagger's (checkpointed: the same tags on every resume).
  const skillsOf = new Map<string, { skills: string[]; from: "line" | "tagger" }>();
  await Promise.all(
    items.map(async (item) => {
      if (item.skills) return void skillsOf.set(item.id, { skills: item.skills, from: "line" });
      const key = workKey(["tags", item.question, config.skills]);
      const found = checkpoint.find({ phase: "tags", question: item.id }, key);
      const skills = found?.phase === "tags" ? found.skills : [...new Set((await orchestrator.tagSkills(item.question)).map((tag) => tag.skill))];
      if (!found) checkpoint.append({ phase: "tags", question: item.id, key, skills });
      skillsOf.set(item.id, { skills, from: "tagger" });
    }),
  );

  // 2. Every expert answers every question.
  const answerParams = { seed };
  const answerWork = items.flatMap((item) =>
    experts.map((expert): Work => {
      const slot = { phase: "answer" as const, question: item.id, expert };
      return {
        slot,
        key: workKey([expert, item.messages, config.generation, answerParams]),
        instance: { id: slotOf(slot), messages: item.messages, params: answerParams },
      };
    }),
  );
  const answers = await runPhase(orchestrator, "answers", answerWork, checkpoint, options);
  if (answers.interrupted.length > 0) throw interruptedError(answers.interrupted, checkpoint);
  const { records, graded, questions } = gradeAnswers(items, experts, (id) => skillsOf.get(id)!, (question, expert) =>
    answers.done.get(slotOf({ phase: "answer", question, expert })),
  );
  const answering = buildProfile(records);
  const accuracyOf = (expertId: string) => answering.experts[expertId]?.accuracy;

  // 3. Every candidate synthesises every set; the most accurate becomes the aggregator.
  const synthesisParams = { maxTokens: config.aggregation.maxTokens, seed };
  const synthesisWork: Work[] = [];
  const setsOf = new Map<string, ReturnType<typeof buildSynthesisSets>>();
  for (const item of items) {
    const built = buildSynthesisSets(graded.get(item.id) ?? [], { sets, k, seed, questionId: item.id });
    setsOf.set(item.id, built);
    for (const set of built) {
      const messages: ChatMessage[] = buildSynthesisMessages(item.question, set.candidates, 600, config.aggregation.synthesisPrompt);
      for (const expert of candidates) {
        const slot = { phase: "synthesis" as const, question: item.id, expert, set: set.index };
        synthesisWork.push({
          slot,
          key: workKey([expert, messages, config.generation, synthesisParams]),
          instance: { id: slotOf(slot), messages, params: synthesisParams },
        });
      }
    }
  }
  const syntheses = await runPhase(orchestrator, "synthesis", synthesisWork, checkpoint, options);
  if (syntheses.interrupted.length > 0) throw interruptedError(syntheses.interrupted, checkpoint);
  const { ranked, sets: setCounts } = scoreSyntheses(
    items,
    candidates,
    (id) => setsOf.get(id)!,
    (question, set, expert) => syntheses.done.get(slotOf({ phase: "synthesis", question, expert, set })),
    questions,
    accuracyOf,
  );
  const profile = measuredProfile(records, ranked, { createdAt: new Date().toISOString(), ...(options.source ? { source: options.source } : {}) });
  if (ranked.length === 0) notice("no synthesis set could be built (no expert answered): the profile names no aggregator");

  return {
    profile: parseProfile(profile, options.source ?? "the measured profile"),
    report: {
      version: 1,
      ...(options.source ? { source: options.source } : {}),
      seed,
      k,
      experts,
      candidates,
      work: {
        answers: { total: answerWork.length, reused: answers.reused, failed: failureCount(answers.done) },
        synthesis: { total: synthesisWork.length, reused: syntheses.reused, failed: failureCount(syntheses.done) },
      },
      sets: setCounts,
      aggregators: ranked,
      questions,
    },
  };
}

function interruptedError(errors: readonly ConclaveError[], checkpoint: Checkpoint): ConclaveError {
  return new ConclaveError(
    errors[0]!.code,
    `profiling was interrupted: ${errors.length} generation(s) did not finish (${errors[0]!.message}); ` +
      `finished work is kept in ${checkpoint.path}: run the same command again to resume`,
    { cause: errors[0] },
  );
}
