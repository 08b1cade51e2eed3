/**
 * `conclave profile` as a user runs it, on three tiny generated GGUF models. Their answers are
 * random text, so correctness is made deterministic by the grading: `"pattern": "^"` matches any
 * answer (even an empty one), `"^impossible$"` and an exact nonsense answer match none. The profile's
 * numbers can then be computed by hand. Then a run is SIGKILLed once its checkpoint holds some work,
 * and the rerun reuses exactly that work and writes the same profile as an uninterrupted run.
 */
import { spawn } from "node:child_process";
import { access, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../helpers/cli.js";
import { modelFolder, type ModelFolder } from "../../helpers/models.js";
import { parseCheckpoint } from "../../../orchestrator/profile/checkpoint.js";
import type { Profile } from "../../../orchestrator/profile/format.js";
import type { ProfileReport } from "../../../orchestrator/profile/run-profile.js";

const ROOT = fileURLToPath(new URL("../../..", import.meta.url));
const EXPERTS = ["alpha", "beta", "gamma"];

let models: ModelFolder;
let dir: string;
let configPath: string;

const RIGHT = { grade: "regex", pattern: "^", answer: "anything" };
const WRONG = { grade: "regex", pattern: "^impossible$", answer: "impossible" };

beforeAll(async () => {
  models = await modelFolder("conclave-profile-models-");
  dir = await mkdtemp(join(tmpdir(), "conclave-profile-"));
  const experts = await Promise.all(EXPERTS.map((id) => models.write(id)));
  configPath = join(dir, "conclave.yaml");
  await writeFile(
    configPath,
    [
      "runtime:",
      "  gpu: false",
      "  maxThreads: 2",
      "experts:",
      ...experts.flatMap((e, i) => [`  - id: ${EXPERTS[i]}`, "    backend: llama", `    model: ${e.path}`, "    contextSize: 1024", "    sequences: 2", "    threads: 1"]),
      "routing:",
      "  k: 3",
      "generation:",
      "  maxTokens: 8",
      "aggregation:",
      "  maxTokens: 8",
      "",
    ].join("\n"),
  );
});

afterAll(async () => {
  await models?.remove();
  await rm(dir, { recursive: true, force: true });
});

const readJson = async <T>(path: string) => JSON.parse(await readFile(path, "utf8")) as T;
const exists = (path: string) => access(path).then(() => true, () => false);

describe("conclave profile on tiny real models", () => {
  it("writes the profile a hand computation predicts, reports a bad line and picks an aggregator", async () => {
    const validation = join(dir, "val.jsonl");
    const lines = [
      { id: "q1", question: "What is 2 + 2?", skills: ["algebra"], ...RIGHT },
      { id: "q2", question: "Factor x^2 - 1", skills: ["algebra"], ...RIGHT },
      { id: "q3", question: "Solve 3x = 9", skills: ["algebra"], ...RIGHT },
      { id: "q4", question: "Count the users in SQL", skills: ["sql"], ...WRONG },
      { id: "q5", question: "Join two tables", skills: ["sql"], ...WRONG },
      { id: "q6", question: "Sum a column", skills: ["algebra", "sql"], grade: "exact", answer: "zq-not-an-answer-xv" },
      // No skills: the configured (lexical) tagger decides.
      { id: "q7", question: "Solve for x: 2x + 3 = 11", ...RIGHT },
    ].map((line) => JSON.stringify(line));
    lines.splice(3, 0, '{"id": "bad", "question": "no answer"}');
    await writeFile(validation, lines.join("\n") + "\n");
    const out = join(dir, "out", "profiles.json");

    const result = await runCli(["--config", configPath, "profile", "--validation", validation, "--out", out, "--no-progress"]);
    expect(result.stderr).toMatch(/val\.jsonl:4: answer is required \(line skipped\)/);
    expect(result.code).toBe(0);

    const profile = await readJson<Profile>(out);
    const report = await readJson<ProfileReport>(join(dir, "out", "profiles.report.json"));
    const tagged = report.questions.find((q) => q.id === "q7")!;
    expect(tagged.skillsFrom).toBe("tagger");
    expect(tagged.skills).toContain("algebra");
    // By hand, for every expert: right on q1-q3 and q7, wrong on q4-q6.
    // algebra: +3 (q1-q3) - 1 (q6) + 1 (q7) = 3; sql: -2 (q4, q5) - 1 (q6) = -3; other tags of q7: +1.
    const skills: Record<string, number> = { algebra: 3, sql: -3 };
    for (const skill of tagged.skills) if (skill !== "algebra" && skill !== "sql") skills[skill] = 1;
    expect(Object.keys(profile.experts).sort()).toEqual(EXPERTS);
    for (const id of EXPERTS) expect(profile.experts[id]).toEqual({ skills, accuracy: 4 / 7, competence: 1, answered: 7 });
    // 2 sets per question = 14 sets; every candidate's synthesis is right exactly on the 8 sets of the
    // right questions; all tie on both accuracies, so the first id wins.
    expect(profile.aggregator).toEqual({ expertId: "alpha", accuracy: 8 / 14 });
    expect(report.aggregators.map((a) => [a.expertId, a.correct, a.total])).toEqual(EXPERTS.map((id) => [id, 8, 14]));
    expect(report.work.answers).toEqual({ total: 21, reused: 0, failed: 0 });
    expect(report.work.synthesis).toEqual({ total: 42, reused: 0, failed: 0 });
    expect(report.sets.total).toBe(14);
    expect(profile.source).toMatch(/val\.jsonl: 7 questions/);

    expect(result.stdout).toMatch(/^alpha\s+0\.57\s+1\.00\s+7\s+0\s+algebra \+3/m);
    expect(result.stdout).toMatch(/alpha\s+0\.57 \(8\/14\)\s+<- chosen/);
    // Grouped by expert and resident throughout: one load per model for both phases.
    expect(result.stdout).toMatch(/loads\s+alpha×1, beta×1, gamma×1/);
    expect(await exists(`${out}.partial.jsonl`)).toBe(false);
  }, 300_000);

  it("resumes after SIGKILL without redoing finished work, and writes the same profile as an uninterrupted run", async () => {
    const validation = join(dir, "resume.jsonl");
    const QUESTIONS = 8;
    const ANSWERS = QUESTIONS * EXPERTS.length;
    const TOTAL = ANSWERS + QUESTIONS * 2 * EXPERTS.length;
    const lines = Array.from({ length: QUESTIONS }, (_, i) =>
      JSON.stringify({ id: `r${i}`, question: `Question number ${i}: explain step ${i}`, skills: [i % 3 === 0 ? "sql" : "algebra"], ...(i % 3 === 1 ? WRONG : RIGHT) }),
    );
    await writeFile(validation, lines.join("\n") + "\n");
    const profileArgs = (out: string) => ["--config", configPath, "profile", "--validation", validation, "--out", out, "--no-progress", "--seed", "5"];

    const reference = join(dir, "reference", "profiles.json");
    expect((await runCli(profileArgs(reference))).code).toBe(0);

    const out = join(dir, "killed", "profiles.json");
    const checkpoint = `${out}.partial.jsonl`;
    const child = spawn(process.execPath, ["bin/conclave.js", ...profileArgs(out)], { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr!.on("data", (chunk) => (stderr += String(chunk)));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    let killedAt = 0;
    // Generous: on a loaded machine the child may start slowly; the kill condition, not the clock, decides.
    const deadline = Date.now() + 600_000;
    while (Date.now() < deadline) {
      const text = await readFile(checkpoint, "utf8").catch(() => "");
      // Killed in the synthesis phase: every answer and some syntheses are done, the rest is not.
      if (parseCheckpoint(text).records.filter((r) => r.phase === "synthesis").length >= 8) {
        child.kill("SIGKILL");
        break;
      }
      if (child.exitCode !== null) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await exited;
    expect(child.signalCode, `the child ended before it was killed: ${stderr}`).toBe("SIGKILL");
    expect(await exists(out)).toBe(false);
    const survived = parseCheckpoint(await readFile(checkpoint, "utf8")).records.filter((r) => r.phase !== "tags");
    killedAt = survived.length;
    console.log(`killed the profile run with ${killedAt} of ${TOTAL} generations checkpointed`);
    expect(killedAt).toBeGreaterThanOrEqual(ANSWERS + 8);
    expect(killedAt).toBeLessThan(TOTAL);

    const rerun = await runCli(profileArgs(out));
    expect(rerun.code, rerun.stderr).toBe(0);
    const report = await readJson<ProfileReport>(join(dir, "killed", "profiles.report.json"));
    const reused = report.work.answers.reused + report.work.synthesis.reused;
    // Everything the checkpoint held was reused, and only the rest ran.
    expect(reused).toBe(killedAt);
    expect(report.work.answers).toEqual({ total: ANSWERS, reused: ANSWERS, failed: 0 });
    expect(report.work.synthesis.total).toBe(TOTAL - ANSWERS);
    const ran = TOTAL - ANSWERS - report.work.synthesis.reused;
    expect(rerun.stdout).toMatch(new RegExp(`${ANSWERS} answers \\(0 run, ${ANSWERS} reused, 0 failed\\), ${TOTAL - ANSWERS} syntheses \\(${ran} run, ${report.work.synthesis.reused} reused`));

    const [resumed, uninterrupted] = await Promise.all([readJson<Profile>(out), readJson<Profile>(reference)]);
    expect(resumed.experts).toEqual(uninterrupted.experts);
    expect(resumed.aggregator).toEqual(uninterrupted.aggregator);
    const referenceReport = await readJson<ProfileReport>(join(dir, "reference", "profiles.report.json"));
    expect(report.questions).toEqual(referenceReport.questions);
    expect(await exists(checkpoint)).toBe(false);
  }, 900_000);
});
