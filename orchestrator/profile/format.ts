/**
 * The expert profile (Symbolic-MoE): per expert, a score per skill measured on validation data
 * (+1 per correct answer, -1 per wrong one) and a global competence in [0, 1].
 *
 * Input: a parsed JSON object or a file path. Output: a validated `Profile`. Failure: PROFILE_INVALID
 * naming the source and the key at fault, e.g. `profile.json: experts.x.skills.y: expected number`.
 */
import { readFile } from "node:fs/promises";
import { z } from "zod";
import { ConclaveError } from "../../kernel/errors.js";

export interface ExpertProfile {
  skills: Record<string, number>;
  /** Global competence in [0, 1]; derived by `competenceOf` when absent. */
  competence?: number;
  /** Accuracy on the validation set, 0..1. */
  accuracy?: number;
  /** Validation questions answered. */
  answered?: number;
}

export interface Profile {
  version: 1;
  createdAt?: string;
  source?: string;
  experts: Record<string, ExpertProfile>;
  /** The expert best at synthesising others' answers (the paper picks it on validation data). */
  aggregator?: { expertId: string; accuracy?: number };
}

const unit = z.number().min(0).max(1);

const expertSchema = z.strictObject({
  skills: z.record(z.string(), z.number()),
  competence: unit.optional(),
  accuracy: unit.optional(),
  answered: z.number().int().min(0).optional(),
});

const profileSchema = z.strictObject({
  version: z.literal(1),
  createdAt: z.string().optional(),
  source: z.string().optional(),
  experts: z.record(z.string(), expertSchema),
  aggregator: z.strictObject({ expertId: z.string().min(1), accuracy: unit.optional() }).optional(),
});

function formatPath(path: ReadonlyArray<PropertyKey>): string {
  return path.reduce<string>((out, key) => (typeof key === "number" ? `${out}[${key}]` : out ? `${out}.${String(key)}` : String(key)), "");
}

export function parseProfile(input: unknown, source: string): Profile {
  const result = profileSchema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${formatPath(issue.path) || "(root)"}: ${issue.message}`);
  throw new ConclaveError("PROFILE_INVALID", `${source}: ${problems.join("; ")}`, { cause: result.error });
}

export async function loadProfile(path: string): Promise<Profile> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (error as Error).message;
    throw new ConclaveError("PROFILE_INVALID", `${path}: cannot read the profile: ${reason}`, { cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConclaveError("PROFILE_INVALID", `${path}: not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  return parseProfile(json, path);
}

/** The lowest derived competence: an expert with the worst record still counts a little, never zero. */
export const COMPETENCE_FLOOR = 0.05;

function derivedCompetence(profile: Profile, expertId: string): number {
  const expert = profile.experts[expertId]!;
  if (expert.competence !== undefined) return expert.competence;
  const experts = Object.values(profile.experts);
  if (expert.accuracy !== undefined) {
    const best = Math.max(...experts.map((e) => e.accuracy ?? 0));
    if (best > 0) return expert.accuracy / best;
  }
  const totals = experts.map(total);
  const min = Math.min(...totals);
  const max = Math.max(...totals);
  if (max === min) return 1;
  return COMPETENCE_FLOOR + (1 - COMPETENCE_FLOOR) * ((total(expert) - min) / (max - min));
}

function total(expert: ExpertProfile): number {
  return Object.values(expert.skills).reduce((sum, score) => sum + score, 0);
}

/**
 * An expert's global competence, by the first rule that applies:
 * 1. its explicit `competence`;
 * 2. its `accuracy` divided by the best accuracy in the profile (the paper's normalisation);
 * 3. its total skill score mapped linearly onto [COMPETENCE_FLOOR, 1] across the profile's experts
 *    (worst total -> 0.05, best -> 1; all equal -> 1).
 * An expert the profile does not know gets the median competence of those it does (neutral: neither
 * favoured nor buried); a profile without experts gives 1 to everyone.
 */
export function competenceOf(profile: Profile, expertId: string): number {
  if (Object.hasOwn(profile.experts, expertId)) return derivedCompetence(profile, expertId);
  const known = Object.keys(profile.experts).map((id) => derivedCompetence(profile, id)).sort((a, b) => a - b);
  if (known.length === 0) return 1;
  const mid = Math.floor(known.length / 2);
  return known.length % 2 === 1 ? known[mid]! : (known[mid - 1]! + known[mid]!) / 2;
}

export interface ValidationRecord {
  expertId: string;
  skills: string[];
  correct: boolean;
}

/**
 * Builds a profile from validation results: +1 per correct / -1 per wrong answer on each of the
 * question's skills; accuracy = correct / answered; competence = accuracy / best accuracy (all 1 when
 * no expert got anything right, as nothing then separates them).
 */
export function buildProfile(records: readonly ValidationRecord[], options: { createdAt?: string; source?: string } = {}): Profile {
  const tallies = new Map<string, { skills: Record<string, number>; correct: number; answered: number }>();
  for (const record of records) {
    let tally = tallies.get(record.expertId);
    if (!tally) tallies.set(record.expertId, (tally = { skills: {}, correct: 0, answered: 0 }));
    tally.answered += 1;
    if (record.correct) tally.correct += 1;
    // A skill listed twice on one question is still one answer's worth of evidence.
    for (const skill of new Set(record.skills)) tally.skills[skill] = (tally.skills[skill] ?? 0) + (record.correct ? 1 : -1);
  }
  const accuracy = (t: { correct: number; answered: number }) => t.correct / t.answered;
  const best = Math.max(0, ...[...tallies.values()].map(accuracy));
  const experts: Record<string, ExpertProfile> = {};
  for (const [id, tally] of tallies) {
    experts[id] = {
      skills: tally.skills,
      competence: best > 0 ? accuracy(tally) / best : 1,
      accuracy: accuracy(tally),
      answered: tally.answered,
    };
  }
  return {
    version: 1,
    ...(options.createdAt !== undefined ? { createdAt: options.createdAt } : {}),
    ...(options.source !== undefined ? { source: options.source } : {}),
    experts,
  };
}
