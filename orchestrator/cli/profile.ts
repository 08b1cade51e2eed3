/**
 * `conclave profile --validation val.jsonl --out profiles.json`: measures every expert on a
 * validation set and chooses the aggregator (orchestrator/profile/run-profile.ts), with a progress
 * bar per phase, then writes the profile (`routing.profile` reads it), a sidecar report
 * (`<out>.report.json`: per question and per candidate details) and prints a summary table.
 *
 * Bad validation lines are reported as `file:line: reason` and skipped. Finished work is checkpointed
 * to `<out>.partial.jsonl`; a killed run, started again with the same command, resumes from it, and
 * it is deleted once the profile is written.
 */
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { SingleBar, Presets } from "cli-progress";
import type { Orchestrator } from "../orchestrator.js";
import { loadCatalog } from "../catalog.js";
import { readValidation } from "../profile/validation.js";
import { runProfile, type ProfilePhase, type ProfileRunResult } from "../profile/run-profile.js";

export interface ProfileCommandOptions {
  validation: string;
  out: string;
  experts?: string[];
  aggregators?: string[];
  sets?: number;
  k?: number;
  seed?: number;
  checkpoint?: string;
  progress: boolean;
}

export const checkpointPathFor = (out: string) => `${out}.partial.jsonl`;
export const reportPathFor = (out: string) => `${out.replace(/\.json$/i, "")}.report.json`;

const PHASE_LABEL: Record<ProfilePhase, string> = { answers: "answers  ", synthesis: "synthesis" };

async function writeAtomically(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  // Written aside and renamed: a kill mid-write never leaves a half profile where routing reads it.
  await writeFile(`${path}.tmp`, text);
  await rename(`${path}.tmp`, path);
}

export async function runProfileCommand(
  orchestrator: Orchestrator,
  options: ProfileCommandOptions,
  print: (text: string) => void,
  warn: (text: string) => void,
): Promise<ProfileRunResult> {
  const { items, problems } = await readValidation(options.validation);
  for (const problem of problems) warn(`warning: ${problem.message} (line skipped)`);
  await warnUnknownSkills(orchestrator, items.flatMap((item) => item.skills ?? []), warn);

  const checkpoint = options.checkpoint ?? checkpointPathFor(options.out);
  let bar: SingleBar | undefined;
  const result = await runProfile(orchestrator, items, {
    checkpoint,
    source: `${options.validation}: ${items.length} questions`,
    ...(options.experts ? { experts: options.experts } : {}),
    ...(options.aggregators ? { aggregators: options.aggregators } : {}),
    ...(options.sets !== undefined ? { sets: options.sets } : {}),
    ...(options.k !== undefined ? { k: options.k } : {}),
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
    notice: (message) => warn(`note: ${message}`),
    onPhase: (phase, total, reused) => {
      bar?.stop();
      if (!options.progress) return;
      bar = new SingleBar(
        { format: `${PHASE_LABEL[phase]} |{bar}| {value}/{total} · {eta_formatted} left`, noTTYOutput: true, notTTYSchedule: 2000, stream: process.stderr },
        Presets.shades_classic,
      );
      bar.start(total, reused);
    },
    onProgress: (_phase, done) => bar?.update(done),
  }).finally(() => bar?.stop());

  await writeAtomically(options.out, `${JSON.stringify(result.profile, null, 2)}\n`);
  await writeAtomically(reportPathFor(options.out), `${JSON.stringify(result.report, null, 2)}\n`);
  await rm(checkpoint, { force: true });
  print(formatProfileSummary(result));
  // Grouping by expert means one load per model per phase at most (fewer when models stay resident).
  const loads = Object.entries(orchestrator.stats().experts).map(([id, e]) => `${id}×${e.loads}`);
  print(`loads       ${loads.join(", ") || "(none)"}`);
  print(`wrote ${options.out} and ${reportPathFor(options.out)}`);
  return result;
}

/** A line's skill the catalog lacks is never tagged at inference, so its score never counts. */
async function warnUnknownSkills(orchestrator: Orchestrator, skills: readonly string[], warn: (text: string) => void): Promise<void> {
  if (skills.length === 0) return;
  const known = new Set((await loadCatalog(orchestrator.config.skills.catalog)).skills.map((s) => s.id));
  const unknown = [...new Set(skills)].filter((skill) => !known.has(skill));
  if (unknown.length > 0) warn(`note: skills not in the catalog (routing never tags them, so their scores will not steer recruitment): ${unknown.join(", ")}`);
}

const fixed2 = (n: number | undefined) => (n === undefined ? "-" : n.toFixed(2));
const signed = (n: number) => (n > 0 ? `+${n}` : String(n));

/** The summary table: pure, so its wording is tested without a model. */
export function formatProfileSummary({ profile, report }: ProfileRunResult, topSkills = 3): string {
  const width = Math.max(10, ...report.experts.map((id) => id.length), ...report.candidates.map((id) => id.length)) + 2;
  const failedBy = new Map<string, number>();
  for (const q of report.questions) for (const id of Object.keys(q.failed)) failedBy.set(id, (failedBy.get(id) ?? 0) + 1);
  const lines = [`${"expert".padEnd(width)}accuracy  competence  answered  failed  top skills`];
  for (const id of report.experts) {
    const e = profile.experts[id];
    const top = Object.entries(e?.skills ?? {})
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, topSkills)
      .map(([skill, score]) => `${skill} ${signed(score)}`)
      .join(", ");
    lines.push(`${id.padEnd(width)}${fixed2(e?.accuracy).padEnd(10)}${fixed2(e?.competence).padEnd(12)}${String(e?.answered ?? 0).padEnd(10)}${String(failedBy.get(id) ?? 0).padEnd(8)}${top || "(no skills)"}`);
  }
  const s = report.sets;
  lines.push("");
  lines.push(
    `aggregator candidates, synthesis accuracy over ${s.total} sets ` +
      `(${s.minority} right answer in the minority, ${s.majority} in the majority, ${s.even} even, ${s["all-correct"]} all right, ${s["all-wrong"]} all wrong)`,
  );
  for (const a of report.aggregators) {
    const mark = a.expertId === profile.aggregator?.expertId ? "  <- chosen" : "";
    lines.push(`  ${a.expertId.padEnd(width)}${fixed2(a.accuracy)} (${a.correct}/${a.total})${mark}`);
  }
  if (report.aggregators.length === 0) lines.push("  (none: no set could be built)");
  const w = report.work;
  lines.push("");
  lines.push(
    `generations ${w.answers.total} answers (${w.answers.total - w.answers.reused} run, ${w.answers.reused} reused, ${w.answers.failed} failed), ` +
      `${w.synthesis.total} syntheses (${w.synthesis.total - w.synthesis.reused} run, ${w.synthesis.reused} reused, ${w.synthesis.failed} failed)`,
  );
  return lines.join("\n");
}
