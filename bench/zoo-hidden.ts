/**
 * The zoo's hidden set, asked as a new user asks: `npm start`'s server (the embedded zoo, no config)
 * in this process on a free port, and the official `openai` client. Questions in phrasings written
 * apart from the zoo's templates (zoo/hidden/questions.jsonl, never trained on): the official twelve
 * (two per skill) and the out-of-skill ones, which are right when routing abstains. Prints each
 * answer, right or wrong, and the score; the baseline, from the same run, is each single expert
 * asked the same skill questions by name (routing bypassed): the routed ensemble against the best one.
 *
 *   npm run bench -- zoo-hidden [--set official|reserve|all] [--no-write]
 *
 * Writes bench/results/zoo-hidden.json for the official set.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import OpenAI from "openai";
import type { RoutingTrace } from "../kernel/contracts.js";
import { disposeRuntime } from "../experts/llama/runtime.js";
import { ZOO_CONFIG_PATH, parseConfig } from "../orchestrator/config/load.js";
import { buildServer } from "../orchestrator/http/server.js";
import { Orchestrator } from "../orchestrator/orchestrator.js";
import { grade } from "../orchestrator/profile/grade.js";
import { arg } from "./args.js";

const HIDDEN = join(ZOO_CONFIG_PATH, "..", "hidden", "questions.jsonl");
const RESULTS = join(import.meta.dirname, "results", "zoo-hidden.json");

export interface HiddenQuestion {
  id: string;
  set: "official" | "reserve" | "outside";
  skill: string | null;
  question: string;
  /** null: the right outcome is that routing abstains. */
  expected: string | null;
}

export interface HiddenResult {
  id: string;
  skill: string | null;
  question: string;
  expected: string | null;
  answer: string;
  experts: string[];
  abstained: boolean;
  right: boolean;
}

/** A skill question is right when its answer grades right and routing did not abstain; an outside one when routing abstained. */
export function judge(question: HiddenQuestion, answer: string, abstained: boolean): boolean {
  if (question.expected === null) return abstained;
  return !abstained && grade(answer, { answer: question.expected }).correct;
}

export function parseHidden(text: string): HiddenQuestion[] {
  return text
    .split("\n")
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as HiddenQuestion);
}

/** The sets a run asks: the chosen skill questions, always with the out-of-skill ones. */
export function selectSets(questions: readonly HiddenQuestion[], set: string): HiddenQuestion[] {
  const skillSets = set === "all" ? ["official", "reserve"] : [set];
  return questions.filter((q) => q.set === "outside" || skillSets.includes(q.set));
}

export function formatResult(result: HiddenResult): string {
  const mark = result.right ? "✓" : "✗";
  const who = result.abstained && result.experts.length === 0 ? "abstained" : result.experts.join(", ");
  const answer = result.abstained && result.experts.length === 0 ? "(the abstain message)" : JSON.stringify(result.answer);
  const expected = result.expected === null ? "abstain" : JSON.stringify(result.expected);
  return `${mark} ${result.id}  ${result.question}\n      ${who}  →  ${answer}  expected ${expected}`;
}

async function ask(client: OpenAI, model: string, question: HiddenQuestion): Promise<HiddenResult> {
  const completion = await client.chat.completions.create({ model, messages: [{ role: "user", content: question.question }] });
  const answer = (completion.choices[0]?.message.content ?? "").trim();
  const trace = (completion as unknown as { conclave?: RoutingTrace }).conclave;
  const abstained = trace?.recruitment.abstain !== undefined;
  const experts = trace?.recruitment.recruits.map((r) => r.expertId) ?? [];
  return { id: question.id, skill: question.skill, question: question.question, expected: question.expected, answer, experts, abstained, right: judge(question, answer, abstained) };
}

const score = (results: readonly HiddenResult[]) => results.filter((r) => r.right).length;

export async function benchZooHidden(): Promise<void> {
  const set = arg("set", "official");
  if (!["official", "reserve", "all"].includes(set)) throw new Error(`--set must be official, reserve or all, not ${set}`);
  const questions = selectSets(parseHidden(await readFile(HIDDEN, "utf8")), set);
  const inSkill = questions.filter((q) => q.expected !== null);
  const outside = questions.filter((q) => q.expected === null);

  // As `npm start` with no config: the embedded zoo and its conclave.yaml.
  const config = parseConfig({ runtime: { gpu: false } }, process.cwd(), "zoo");
  const orchestrator = await Orchestrator.create(config);
  const server = await buildServer(orchestrator, { apiKeys: [] });
  try {
    const client = new OpenAI({ baseURL: `${await server.app.listen({ port: 0, host: "127.0.0.1" })}/v1`, apiKey: "unused", maxRetries: 0 });
    const ensemble = config.server.ensemble;
    console.log(`zoo hidden set (${set}): ${inSkill.length} skill questions and ${outside.length} out-of-skill ones, through the chat API (model "${ensemble}")\n`);
    const routed = await Promise.all(questions.map((q) => ask(client, ensemble, q)));
    for (const result of routed) console.log(formatResult(result));

    // The baseline: each expert alone, by name, on the same skill questions.
    const singles: Record<string, number> = {};
    for (const expert of config.experts) singles[expert.id] = score(await Promise.all(inSkill.map((q) => ask(client, expert.id, q))));
    const [bestId, bestScore] = Object.entries(singles).sort((a, b) => b[1] - a[1])[0]!;

    const routedSkill = routed.filter((r) => r.expected !== null);
    const routedOutside = routed.filter((r) => r.expected === null);
    console.log(`\nskill questions     routed ${score(routedSkill)}/${inSkill.length}   best single expert (${bestId}) ${bestScore}/${inSkill.length}`);
    console.log(`                    ${Object.entries(singles).map(([id, n]) => `${id} ${n}`).join(" · ")}`);
    console.log(`out-of-skill        routing abstained on ${score(routedOutside)}/${outside.length} (single experts never abstain: 0/${outside.length})`);
    console.log(`wrongly abstained   ${routedSkill.filter((r) => r.abstained).length}/${inSkill.length} skill questions`);

    if (set !== "official" || process.argv.includes("--no-write")) return;
    const result = {
      createdAt: new Date().toISOString(),
      questions: HIDDEN.slice(HIDDEN.lastIndexOf("zoo")),
      threshold: config.routing.abstain.threshold,
      skill: { right: score(routedSkill), total: inSkill.length, wronglyAbstained: routedSkill.filter((r) => r.abstained).length },
      outside: { abstained: score(routedOutside), total: outside.length },
      baseline: { bestSingleExpert: bestId, right: bestScore, singles },
      results: routed,
    };
    await mkdir(join(import.meta.dirname, "results"), { recursive: true });
    await writeFile(RESULTS, `${JSON.stringify(result, null, 2)}\n`);
    console.log(`\nwrote ${RESULTS}`);
  } finally {
    await server.close();
    await orchestrator.close();
    await disposeRuntime();
  }
}
