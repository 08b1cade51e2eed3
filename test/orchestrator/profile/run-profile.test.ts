/**
 * The pure parts of `conclave profile`: synthesis set construction, the aggregator choice, the
 * profile arithmetic against a hand computation, and the checkpoint's torn-line handling.
 */
import { appendFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { resolveGradeSpec } from "../../../orchestrator/profile/grade.js";
import { gradeAnswers, measuredProfile, scoreSyntheses, type Generated } from "../../../orchestrator/profile/score.js";
import { buildSynthesisSets, rankAggregators, type GradedAnswer, type SynthesisSet } from "../../../orchestrator/profile/synthesis-sets.js";
import { Checkpoint, parseCheckpoint } from "../../../orchestrator/profile/checkpoint.js";
import { formatProfileSummary } from "../../../orchestrator/cli/profile.js";

const answers = (right: string[], wrong: string[]): GradedAnswer[] => [
  ...right.map((expertId) => ({ expertId, text: "right", correct: true })),
  ...wrong.map((expertId) => ({ expertId, text: `wrong from ${expertId}`, correct: false })),
];

describe("synthesis sets", () => {
  const five = answers(["r1", "r2"], ["w1", "w2", "w3"]);

  it("puts the right answer in the minority in one set and in the majority in the other", () => {
    const sets = buildSynthesisSets(five, { sets: 2, k: 3, seed: 1, questionId: "q" });
    expect(sets.map((s) => s.mix).sort()).toEqual(["majority", "minority"]);
    for (const set of sets) {
      expect(set.candidates).toHaveLength(3);
      expect(new Set(set.candidates.map((c) => c.expertId)).size).toBe(3);
      expect(set.correct).toBe(set.candidates.filter((c) => c.correct).length);
    }
    expect(sets.find((s) => s.mix === "minority")!.correct).toBe(1);
    expect(sets.find((s) => s.mix === "majority")!.correct).toBe(2);
  });

  it("is deterministic in the seed, whatever order the answers finished in", () => {
    const a = buildSynthesisSets(five, { sets: 2, k: 3, seed: 7, questionId: "q" });
    const b = buildSynthesisSets([...five].reverse(), { sets: 2, k: 3, seed: 7, questionId: "q" });
    expect(b).toEqual(a);
    const draws = (seed: number) =>
      Array.from({ length: 20 }, (_, i) => buildSynthesisSets(five, { sets: 2, k: 3, seed, questionId: `q${i}` }).map((s) => s.candidates.map((c) => c.expertId).join()));
    expect(draws(7)).toEqual(draws(7));
    expect(draws(8)).not.toEqual(draws(7));
  });

  it("with one set per question, starts on a seeded coin: both kinds occur, at varying positions", () => {
    const sets = Array.from({ length: 40 }, (_, i) => buildSynthesisSets(five, { sets: 1, k: 3, seed: 0, questionId: `q${i}` })[0]!);
    const kinds = new Set(sets.map((s) => s.mix));
    expect(kinds).toEqual(new Set(["minority", "majority"]));
    // Where the lone right answer sits in minority sets: not always first, so "copy Answer 1" earns nothing systematic.
    const positions = new Set(sets.filter((s) => s.mix === "minority").map((s) => s.candidates.findIndex((c) => c.correct)));
    expect(positions.size).toBeGreaterThan(1);
  });

  it("keeps sets mixed within what exists, and uniform when the answers are", () => {
    // One right answer only: both sets have it in the minority, as a majority of right is impossible.
    const one = buildSynthesisSets(answers(["r1"], ["w1", "w2", "w3"]), { sets: 2, k: 3, seed: 0, questionId: "q" });
    expect(one.map((s) => [s.mix, s.correct])).toEqual([
      ["minority", 1],
      ["minority", 1],
    ]);
    // One wrong answer only: the right answer is always the majority.
    const mostlyRight = buildSynthesisSets(answers(["r1", "r2", "r3"], ["w1"]), { sets: 2, k: 3, seed: 0, questionId: "q" });
    expect(mostlyRight.map((s) => s.mix)).toEqual(["majority", "majority"]);
    expect(buildSynthesisSets(answers(["r1", "r2"], []), { sets: 1, k: 3, seed: 0, questionId: "q" })[0]).toMatchObject({ mix: "all-correct", correct: 2 });
    expect(buildSynthesisSets(answers([], ["w1", "w2", "w3", "w4"]), { sets: 1, k: 3, seed: 0, questionId: "q" })[0]!.candidates).toHaveLength(3);
    expect(buildSynthesisSets(answers(["r1"], ["w1"]), { sets: 1, k: 3, seed: 0, questionId: "q" })[0]).toMatchObject({ mix: "even", correct: 1 });
    expect(buildSynthesisSets([], { sets: 2, k: 3, seed: 0, questionId: "q" })).toEqual([]);
  });

  it("makes a candidate that copies the majority, or the odd one out, lose to one that judges", () => {
    // Simulated aggregators over many questions' sets: the only way to win is to tell right from wrong.
    const pool = answers(["r1", "r2"], ["w1", "w2", "w3"]);
    const all = Array.from({ length: 30 }, (_, i) => buildSynthesisSets(pool, { sets: 2, k: 3, seed: 3, questionId: `q${i}` })).flat();
    const score = (pick: (set: SynthesisSet) => boolean) => all.filter(pick).length / all.length;
    const judge = score((set) => set.correct > 0);
    const majority = score((set) => 2 * set.correct > set.candidates.length);
    const contrarian = score((set) => 2 * set.correct < set.candidates.length);
    expect(judge).toBe(1);
    expect(majority).toBeLessThan(0.75);
    expect(contrarian).toBeLessThan(0.75);
  });
});

describe("aggregator choice", () => {
  it("ranks by synthesis accuracy, then own answering accuracy, then id; no evidence is left out", () => {
    const ranked = rankAggregators([
      { expertId: "c", correct: 3, total: 4, accuracy: 0.75, answerAccuracy: 0.5 },
      { expertId: "b", correct: 3, total: 4, accuracy: 0.75, answerAccuracy: 0.9 },
      { expertId: "a", correct: 3, total: 4, accuracy: 0.75, answerAccuracy: 0.5 },
      { expertId: "d", correct: 4, total: 4, accuracy: 1 },
      { expertId: "e", correct: 0, total: 0, accuracy: 0 },
      { expertId: "f", correct: 3, total: 4, accuracy: 0.75 },
    ]);
    expect(ranked.map((r) => r.expertId)).toEqual(["d", "b", "a", "c", "f"]);
  });
});

describe("profile arithmetic", () => {
  // Three questions, two experts; a failed generation counts as wrong.
  const items = [
    { id: "q1", line: 1, spec: resolveGradeSpec({ answer: 4 }) },
    { id: "q2", line: 2, spec: resolveGradeSpec({ kind: "exact", answer: "SELECT 1" }) },
    { id: "q3", line: 3, spec: resolveGradeSpec({ answer: "C" }) },
  ];
  const skills: Record<string, string[]> = { q1: ["algebra"], q2: ["algebra", "sql"], q3: ["sql"] };
  const said: Record<string, Generated> = {
    "q1/A": { text: "2x = 8, so x = 4" },
    "q1/B": { text: "x = 5" },
    "q2/A": { text: "SELECT 1." },
    "q2/B": { error: { code: "EXPERT_FAILED", message: "context overflow" } },
    "q3/A": { text: "(B)" },
    "q3/B": { text: "The answer is C" },
  };

  it("scores +1/-1 per skill, accuracy and competence as computed by hand", () => {
    const graded = gradeAnswers(items, ["A", "B"], (id) => ({ skills: skills[id]!, from: "line" }), (q, e) => said[`${q}/${e}`]);
    // By hand: A is right on q1 and q2, wrong on q3: algebra +1 +1 = 2, sql +1 -1 = 0, accuracy 2/3.
    // B is wrong on q1 and q2 (failed), right on q3: algebra -1 -1 = -2, sql -1 +1 = 0, accuracy 1/3.
    // Competence = accuracy / best accuracy: A 1, B (1/3)/(2/3) = 0.5.
    const profile = measuredProfile(graded.records, [], { source: "unit" });
    expect(profile).toEqual({
      version: 1,
      source: "unit",
      experts: {
        A: { skills: { algebra: 2, sql: 0 }, accuracy: 2 / 3, competence: 1, answered: 3 },
        B: { skills: { algebra: -2, sql: 0 }, accuracy: 1 / 3, competence: 0.5, answered: 3 },
      },
    });
    expect(graded.questions.map((q) => [q.id, q.correct, q.wrong, q.failed])).toEqual([
      ["q1", ["A"], ["B"], {}],
      ["q2", ["A"], ["B"], { B: "EXPERT_FAILED" }],
      ["q3", ["B"], ["A"], {}],
    ]);
    // The failed generation has no text to show an aggregator.
    expect(graded.graded.get("q2")!.map((a) => a.expertId)).toEqual(["A"]);
  });

  it("tallies syntheses into the aggregator and the report", () => {
    const graded = gradeAnswers(items, ["A", "B"], (id) => ({ skills: skills[id]!, from: "tagger" }), (q, e) => said[`${q}/${e}`]);
    const setsOf = (id: string) => buildSynthesisSets(graded.graded.get(id)!, { sets: 2, k: 3, seed: 0, questionId: id });
    // X is right on q1 and q3's sets (4 of 6), Y only on q1's (2 of 6); Z never synthesised anything.
    const wrote: Record<string, string> = { "q1/X": "4", "q1/Y": "x = 4", "q2/X": "SELECT 2", "q2/Y": "nope", "q3/X": "C", "q3/Y": "D" };
    const { ranked, sets } = scoreSyntheses(
      items,
      ["X", "Y", "Z"],
      setsOf,
      (q, _set, e) => (e === "Z" ? undefined : { text: wrote[`${q}/${e}`]! }),
      graded.questions,
      (id) => (id === "X" ? 0.1 : undefined),
    );
    expect(ranked.map((r) => [r.expertId, r.correct, r.total])).toEqual([
      ["X", 4, 6],
      ["Y", 2, 6],
    ]);
    expect(sets.total).toBe(6);
    expect(sets.even + sets["all-correct"] + sets["all-wrong"]).toBe(6);
    expect(graded.questions[0]!.sets[0]!.synthesisCorrect).toEqual(["X", "Y"]);
    const profile = measuredProfile(graded.records, ranked, {});
    expect(profile.aggregator).toEqual({ expertId: "X", accuracy: 4 / 6 });
  });
});

describe("summary table", () => {
  it("shows accuracy, competence, top skills, candidates and reused work", () => {
    const text = formatProfileSummary({
      profile: { version: 1, experts: { A: { skills: { algebra: 2, sql: 0, law: -3 }, accuracy: 2 / 3, competence: 1, answered: 3 } }, aggregator: { expertId: "A", accuracy: 0.5 } },
      report: {
        version: 1,
        seed: 0,
        k: 3,
        experts: ["A"],
        candidates: ["A"],
        work: { answers: { total: 3, reused: 1, failed: 0 }, synthesis: { total: 2, reused: 0, failed: 1 } },
        sets: { total: 2, minority: 1, majority: 1, even: 0, "all-correct": 0, "all-wrong": 0 },
        aggregators: [{ expertId: "A", correct: 1, total: 2, accuracy: 0.5 }],
        questions: [],
      },
    });
    expect(text).toMatch(/^A\s+0\.67\s+1\.00\s+3\s+0\s+algebra \+2, sql 0, law -3$/m);
    expect(text).toMatch(/A\s+0\.50 \(1\/2\)\s+<- chosen/);
    expect(text).toMatch(/3 answers \(2 run, 1 reused, 0 failed\), 2 syntheses \(2 run, 0 reused, 1 failed\)/);
  });
});

describe("checkpoint", () => {
  it("reuses finished work with the same key, ignores a torn last line and appends after it cleanly", async () => {
    const dir = await mkdtemp(join(tmpdir(), "conclave-checkpoint-"));
    try {
      const path = join(dir, "p.json.partial.jsonl");
      const first = await Checkpoint.open(path);
      first.append({ phase: "answer", question: "q1", expert: "A", key: "k1", text: "4" });
      first.append({ phase: "answer", question: "q2", expert: "A", key: "k2", error: { code: "EXPERT_FAILED", message: "x" } });
      await first.flush();
      // A kill in the middle of the next write.
      await appendFile(path, '{"phase":"answer","question":"q3","exp');

      const second = await Checkpoint.open(path);
      expect(second.size).toBe(2);
      expect(second.find({ phase: "answer", question: "q1", expert: "A" }, "k1")).toMatchObject({ text: "4" });
      // Different work in the same slot (the question or the settings changed) is not reused.
      expect(second.find({ phase: "answer", question: "q1", expert: "A" }, "other")).toBeUndefined();
      expect(second.find({ phase: "answer", question: "q3", expert: "A" }, "k3")).toBeUndefined();
      second.append({ phase: "answer", question: "q3", expert: "A", key: "k3", text: "ok" });
      await second.flush();
      const lines = (await readFile(path, "utf8")).trim().split("\n");
      expect(lines.map((l) => (JSON.parse(l) as { question: string }).question)).toEqual(["q1", "q2", "q3"]);

      expect(parseCheckpoint('{"key":"a","question":"q"}\nnot json\n{"key":"b","question":"r"}\n{"tor').records.map((r) => r.key)).toEqual(["a", "b"]);
      await writeFile(path, "");
      expect((await Checkpoint.open(path)).size).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
