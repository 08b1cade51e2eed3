/**
 * Calibrates routing.abstain.threshold on the embedded zoo: the router's tagger (the real one, as
 * configured) scores the zoo's tagger test split (in-skill questions: each abstention is wrong) and a
 * calibration set of out-of-skill questions (bench/data/abstain/out-of-skill.jsonl: each abstention
 * is right). For each threshold it prints both counts; the baseline is the threshold 0 (never
 * abstain). The recommended threshold is the highest on the grid with no in-skill abstention; the
 * configured one (zoo/conclave.yaml) is printed beside it. No model runs: only the tagger.
 * The zoo's hidden set (zoo/hidden) is never read here: it measures, it does not calibrate.
 *
 *   npm run bench -- abstain [--no-write]
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ZOO_CONFIG_PATH, parseConfig } from "../orchestrator/config/load.js";
import { loadCatalog } from "../orchestrator/catalog.js";
import { buildRouter } from "../orchestrator/router.js";
import type { Scheduler } from "../orchestrator/scheduler/scheduler.js";

const ZOO_DIR = join(ZOO_CONFIG_PATH, "..");
const IN_SKILL = join(ZOO_DIR, "data", "tagger-test.jsonl");
const OUT_OF_SKILL = join(import.meta.dirname, "data", "abstain", "out-of-skill.jsonl");
const RESULTS = join(import.meta.dirname, "results", "abstain.json");

export interface ThresholdRow {
  threshold: number;
  /** In-skill questions that would be refused: each one is a lost answer. */
  wronglyAbstained: number;
  /** Out-of-skill questions that would be refused: each one is nonsense avoided. */
  caught: number;
}

/** Counts, per threshold, the questions whose best skill score is below it (as abstainRecruitment decides). */
export function sweep(inSkill: readonly number[], outOfSkill: readonly number[], thresholds: readonly number[]): ThresholdRow[] {
  return thresholds.map((threshold) => ({
    threshold,
    wronglyAbstained: inSkill.filter((score) => score < threshold).length,
    caught: outOfSkill.filter((score) => score < threshold).length,
  }));
}

/** The highest threshold that refuses no in-skill question (0 when every one does). */
export function recommend(rows: readonly ThresholdRow[]): number {
  return rows.filter((row) => row.wronglyAbstained === 0).reduce((best, row) => Math.max(best, row.threshold), 0);
}

const texts = async (path: string) =>
  (await readFile(path, "utf8"))
    .split("\n")
    .filter((line) => line.trim())
    .map((line) => (JSON.parse(line) as { text: string }).text);

export async function benchAbstain(): Promise<void> {
  const config = parseConfig({}, process.cwd(), "zoo");
  const catalog = await loadCatalog(config.skills.catalog);
  // The trained tagger never schedules work: a scheduler that anything touched would fail.
  const router = buildRouter({ config, catalog, profile: undefined, available: [], scheduler: {} as Scheduler });
  const best = async (text: string) => Math.max(0, ...(await router.tag(text)).map((tag) => tag.score));
  const [inSkillTexts, outTexts] = await Promise.all([texts(IN_SKILL), texts(OUT_OF_SKILL)]);
  const inSkill = await Promise.all(inSkillTexts.map(best));
  const outOfSkill = await Promise.all(outTexts.map(best));
  const grid = Array.from({ length: 19 }, (_, i) => Math.round((i + 1) * 5) / 100);
  const rows = sweep(inSkill, outOfSkill, [0, ...grid]);
  const recommended = recommend(rows);
  const configured = config.routing.abstain.threshold;
  const [configuredRow] = sweep(inSkill, outOfSkill, [configured]);

  console.log(`tagger ${config.skills.tagger.kind}; in-skill: ${inSkill.length} questions (zoo/data/tagger-test.jsonl); out-of-skill: ${outOfSkill.length} (bench/data/abstain)`);
  console.log(`lowest in-skill best score ${Math.min(...inSkill).toFixed(3)}; highest out-of-skill ${Math.max(...outOfSkill).toFixed(3)}`);
  console.log("threshold  wrongly abstained (in-skill)  caught (out-of-skill)");
  for (const row of rows) {
    const mark = row.threshold === recommended ? "  <- recommended" : row.threshold === 0 ? "  (baseline: off)" : "";
    console.log(`${row.threshold.toFixed(2).padStart(9)}  ${`${row.wronglyAbstained}/${inSkill.length}`.padStart(28)}  ${`${row.caught}/${outOfSkill.length}`.padStart(21)}${mark}`);
  }
  console.log(`configured (zoo/conclave.yaml) ${configured}: ${configuredRow!.wronglyAbstained}/${inSkill.length} wrongly abstained, ${configuredRow!.caught}/${outOfSkill.length} caught`);

  if (process.argv.includes("--no-write")) return;
  await mkdir(join(import.meta.dirname, "results"), { recursive: true });
  const result = { inSkill: inSkill.length, outOfSkill: outOfSkill.length, recommended, configured: { ...configuredRow! }, rows };
  await writeFile(RESULTS, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`wrote ${RESULTS}`);
}
