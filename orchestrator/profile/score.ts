/**
 * The arithmetic of a profiling run, pure: grading every expert's answer into Symbolic-MoE records
 * (then `buildProfile`: +1/-1 per skill, accuracy, competence), and tallying every aggregator
 * candidate's syntheses into the accuracies `rankAggregators` orders.
 *
 * A generation that failed counts as a wrong answer (no answer is not a right one), is listed under
 * `failed`, and has no text to show an aggregator. Work that is missing (not run) is left out.
 */
import { buildProfile, type Profile, type ValidationRecord } from "./format.js";
import { grade } from "./grade.js";
import { rankAggregators, type AggregatorScore, type GradedAnswer, type SetMix, type SynthesisSet } from "./synthesis-sets.js";
import type { ValidationItem } from "./validation.js";

/** One finished generation, as the checkpoint keeps it. */
export interface Generated {
  text?: string;
  error?: { code: string; message: string };
}

export interface QuestionSkills {
  skills: string[];
  from: "line" | "tagger";
}

export interface QuestionReport {
  id: string;
  line: number;
  skills: string[];
  skillsFrom: "line" | "tagger";
  correct: string[];
  wrong: string[];
  /** Expert -> error code of a failed generation (graded wrong). */
  failed: Record<string, string>;
  sets: Array<{ experts: string[]; correct: number; mix: SetMix; synthesisCorrect: string[] }>;
}

type Item = Pick<ValidationItem, "id" | "line" | "spec">;

export function gradeAnswers(
  items: readonly Item[],
  experts: readonly string[],
  skillsOf: (questionId: string) => QuestionSkills,
  answerOf: (questionId: string, expertId: string) => Generated | undefined,
): { records: ValidationRecord[]; graded: Map<string, GradedAnswer[]>; questions: QuestionReport[] } {
  const records: ValidationRecord[] = [];
  const graded = new Map<string, GradedAnswer[]>();
  const questions: QuestionReport[] = [];
  for (const item of items) {
    const { skills, from } = skillsOf(item.id);
    const report: QuestionReport = { id: item.id, line: item.line, skills, skillsFrom: from, correct: [], wrong: [], failed: {}, sets: [] };
    const answers: GradedAnswer[] = [];
    for (const expertId of experts) {
      const answer = answerOf(item.id, expertId);
      if (!answer) continue;
      const correct = answer.text !== undefined && grade(answer.text, item.spec).correct;
      records.push({ expertId, skills, correct });
      (correct ? report.correct : report.wrong).push(expertId);
      if (answer.error) report.failed[expertId] = answer.error.code;
      if (answer.text !== undefined) answers.push({ expertId, text: answer.text, correct });
    }
    graded.set(item.id, answers);
    questions.push(report);
  }
  return { records, graded, questions };
}

export type SetCounts = { total: number } & Record<SetMix, number>;

/** Grades every candidate's synthesis of every set; fills each question's `sets` in the report. */
export function scoreSyntheses(
  items: readonly Item[],
  candidates: readonly string[],
  setsOf: (questionId: string) => readonly SynthesisSet[],
  synthesisOf: (questionId: string, set: number, expertId: string) => Generated | undefined,
  questions: readonly QuestionReport[],
  answerAccuracy: (expertId: string) => number | undefined,
): { ranked: AggregatorScore[]; sets: SetCounts } {
  const tally = new Map(candidates.map((id) => [id, { correct: 0, total: 0 }]));
  const sets: SetCounts = { total: 0, minority: 0, majority: 0, even: 0, "all-correct": 0, "all-wrong": 0 };
  items.forEach((item, index) => {
    for (const set of setsOf(item.id)) {
      sets.total += 1;
      sets[set.mix] += 1;
      const synthesisCorrect: string[] = [];
      for (const expertId of candidates) {
        const synthesis = synthesisOf(item.id, set.index, expertId);
        if (!synthesis) continue;
        const t = tally.get(expertId)!;
        t.total += 1;
        if (synthesis.text === undefined || !grade(synthesis.text, item.spec).correct) continue;
        t.correct += 1;
        synthesisCorrect.push(expertId);
      }
      questions[index]?.sets.push({ experts: set.candidates.map((c) => c.expertId), correct: set.correct, mix: set.mix, synthesisCorrect });
    }
  });
  const ranked = rankAggregators(
    candidates.map((expertId) => {
      const t = tally.get(expertId)!;
      const own = answerAccuracy(expertId);
      return { expertId, ...t, accuracy: t.total > 0 ? t.correct / t.total : 0, ...(own !== undefined ? { answerAccuracy: own } : {}) };
    }),
  );
  return { ranked, sets };
}

/** The profile: the records' scores plus the best-ranked candidate as the aggregator (if any). */
export function measuredProfile(records: readonly ValidationRecord[], ranked: readonly AggregatorScore[], meta: { createdAt?: string; source?: string }): Profile {
  const profile = buildProfile(records, meta);
  const chosen = ranked[0];
  if (chosen) profile.aggregator = { expertId: chosen.expertId, accuracy: chosen.accuracy };
  return profile;
}
