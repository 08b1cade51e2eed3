/**
 * Structured output on the zoo: how often a JSON-schema answer parses and matches the schema, with
 * node-llama-cpp's own JSON-schema grammar (the baseline) and with conclave's bounded grammar
 * (experts/llama/json-grammar.ts), side by side on the same experts, questions and budgets. The
 * schema is LangChain's standard-test adder ({a, b} integers, as zod's toJsonSchema writes them);
 * the prompt is each zoo test question. Greedy decoding, so one pass is the figure; generation times
 * are interleaved (the two grammars alternate which goes first) and reported as median and spread.
 * Then the whole pipeline (tag, recruit, vote) with the bounded grammar: valid answers, answers that
 * say `length`, and answers that say `stop` yet do not parse (the contract says: none).
 *
 *   npm run bench -- structured [--questions 60] [--no-write]
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { getLlama, LlamaCompletion, type Llama, type LlamaGrammar } from "node-llama-cpp";
import { z } from "zod";
import { toJsonSchema } from "@langchain/core/utils/json_schema";
import { createJsonSchemaGrammar, jsonAnswerComplete } from "../experts/llama/json-grammar.js";
import { resolveModelPath } from "../experts/llama/model-file.js";
import { renderPlainPrompt } from "../experts/llama/plain-prompt.js";
import { matchesSchema } from "../orchestrator/aggregate/json-answers.js";
import { loadConfig, parseConfig, ZOO_CONFIG_PATH } from "../orchestrator/config/load.js";
import { Orchestrator } from "../orchestrator/orchestrator.js";
import { arg } from "./args.js";

const BUDGETS = [16, 100];
const SYSTEM = "You are bad at math and must ALWAYS call the math_addition function.";

const adder = z.object({ a: z.number().int().describe("The first integer to add."), b: z.number().int().describe("The second integer to add.") });

interface Tally {
  valid: number;
  /** The JSON was incomplete when the budget ran out. */
  cut: number;
  /** Whole JSON that the schema refuses (an exponent, a fraction, Infinity, an unsafe integer). */
  offSchema: number;
  tokens: number;
  ms: number[];
  n: number;
}

const tally = (): Tally => ({ valid: 0, cut: 0, offSchema: 0, tokens: 0, ms: [], n: 0 });
const pct = (part: number, whole: number) => `${((100 * part) / Math.max(1, whole)).toFixed(1)}%`;

function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  return sorted[lo]! + (sorted[Math.ceil(at)]! - sorted[lo]!) * (at - lo);
}

/** The baseline's and the bounded grammar's share of one outcome, as two aligned cells. */
function cells(row: Record<string, Tally>, key: "valid" | "cut" | "offSchema", width: number): string {
  return `${pct(row.baseline![key], row.baseline!.n).padStart(width)} ${pct(row.bounded![key], row.bounded!.n).padStart(8)}`;
}

function parsesAndMatches(text: string, schema: Record<string, unknown>): boolean {
  try {
    return matchesSchema(JSON.parse(text.trim()), schema);
  } catch {
    return false;
  }
}

async function questions(count: number): Promise<string[]> {
  const path = fileURLToPath(new URL("../zoo/data/test.jsonl", import.meta.url));
  const all = (await readFile(path, "utf8")).split("\n").filter(Boolean).map((line) => (JSON.parse(line) as { question: string }).question);
  // Evenly spread over the file, so every skill is asked.
  const step = Math.max(1, Math.floor(all.length / count));
  return all.filter((_, i) => i % step === 0).slice(0, count);
}

export async function benchStructured(): Promise<void> {
  const count = Number(arg("questions", "60"));
  const write = !process.argv.includes("--no-write");
  const { $schema: _draft, ...schema } = toJsonSchema(adder) as Record<string, unknown>;
  const asked = await questions(count);
  const zoo = await loadConfig(ZOO_CONFIG_PATH);
  const llama: Llama = await getLlama({ gpu: false, build: "never" });
  const grammars: Record<"baseline" | "bounded", LlamaGrammar> = {
    baseline: await llama.createGrammarForJsonSchema(schema as never),
    bounded: await createJsonSchemaGrammar(llama, schema),
  };
  const results: Record<string, Record<number, Record<string, Tally>>> = {};
  for (const expert of zoo.experts) {
    if (expert.backend !== "llama") continue;
    const modelPath = await resolveModelPath({ model: expert.model, modelsDir: zoo.models.dir, allowDownload: false });
    const model = await llama.loadModel({ modelPath, gpuLayers: 0 });
    const context = await model.createContext({ contextSize: expert.contextSize, sequences: 1, threads: 1 });
    const sequence = context.getSequence();
    results[expert.id] = {};
    for (const budget of BUDGETS) {
      const row: Record<string, Tally> = { baseline: tally(), bounded: tally() };
      for (const [i, question] of asked.entries()) {
        const order = i % 2 === 0 ? (["baseline", "bounded"] as const) : (["bounded", "baseline"] as const);
        for (const system of order) {
          const completion = new LlamaCompletion({ contextSequence: sequence, autoDisposeSequence: false });
          const started = performance.now();
          const prompt = renderPlainPrompt([{ role: "system", content: SYSTEM }, { role: "user", content: question }]);
          const response = await completion.generateCompletionWithMeta(prompt, { maxTokens: budget, grammar: grammars[system], temperature: 0, repeatPenalty: false });
          const ms = performance.now() - started;
          completion.dispose({ disposeSequence: false });
          await sequence.clearHistory();
          const t = row[system]!;
          t.n += 1;
          t.ms.push(ms);
          t.tokens += model.tokenize(response.response).length;
          // Whole means the grammar closed the value; the budget may still run out in its newline padding.
          const whole = jsonAnswerComplete(response.response);
          if (parsesAndMatches(response.response, schema)) t.valid += 1;
          else if (whole) t.offSchema += 1;
          else t.cut += 1;
        }
      }
      results[expert.id]![budget] = row;
    }
    await context.dispose();
    await model.dispose();
  }

  console.log(`structured output, LangChain's adder schema, ${asked.length} zoo questions per expert (load ${loadavg()[0]!.toFixed(2)})`);
  console.log("valid: parses and matches; cut: incomplete when the budget ran out; off-schema: whole JSON the schema refuses");
  console.log("expert            budget | valid: node-llama-cpp  bounded | cut: baseline  bounded | off-schema: baseline  bounded | ms/answer median [p25-p75]: baseline  bounded");
  const totals: Record<number, Record<string, Tally>> = {};
  for (const [expert, byBudget] of Object.entries(results)) {
    for (const budget of BUDGETS) {
      const row = byBudget[budget]!;
      const total = (totals[budget] ??= { baseline: tally(), bounded: tally() });
      for (const system of ["baseline", "bounded"]) {
        const t = row[system]!;
        const sum = total[system]!;
        sum.valid += t.valid;
        sum.cut += t.cut;
        sum.offSchema += t.offSchema;
        sum.tokens += t.tokens;
        sum.n += t.n;
        sum.ms.push(...t.ms);
      }
      const spread = (t: Tally) => `${quantile(t.ms, 0.5).toFixed(1)} [${quantile(t.ms, 0.25).toFixed(1)}-${quantile(t.ms, 0.75).toFixed(1)}]`;
      console.log(
        `${expert.padEnd(17)} ${String(budget).padStart(6)} | ${cells(row, "valid", 21)} | ${cells(row, "cut", 13)} | ${cells(row, "offSchema", 20)} | ${spread(row.baseline!).padStart(34)}  ${spread(row.bounded!)}`,
      );
    }
  }
  for (const budget of BUDGETS) {
    const t = totals[budget]!;
    console.log(`all experts       ${String(budget).padStart(6)} | ${cells(t, "valid", 21)} | ${cells(t, "cut", 13)} | ${cells(t, "offSchema", 20)} |`);
  }

  // The whole pipeline with the bounded grammar and the JSON-aware vote.
  const dir = await mkdtemp(join(tmpdir(), "conclave-bench-structured-"));
  const orchestrator = await Orchestrator.create(parseConfig({ runtime: { gpu: false, maxThreads: 2 } }, dir));
  const pipeline: Record<number, { valid: number; length: number; stopButInvalid: number; n: number }> = {};
  try {
    for (const budget of BUDGETS) {
      const row = (pipeline[budget] = { valid: 0, length: 0, stopButInvalid: 0, n: 0 });
      for (const [i, question] of asked.entries()) {
        const outcome = await orchestrator.answer({
          id: `s-${budget}-${i}`,
          messages: [{ role: "system", content: SYSTEM }, { role: "user", content: question }],
          params: { maxTokens: budget, jsonSchema: schema },
        });
        row.n += 1;
        const valid = parsesAndMatches(outcome.text, schema);
        if (valid) row.valid += 1;
        if (outcome.finishReason === "length") row.length += 1;
        if (outcome.finishReason === "stop" && !valid) row.stopButInvalid += 1;
      }
      console.log(`pipeline (zoo, vote) budget ${budget}: valid ${pct(row.valid, row.n)}, finish length ${pct(row.length, row.n)}, stop but not valid ${row.stopButInvalid} of ${row.n}`);
    }
  } finally {
    await orchestrator.close();
    await rm(dir, { recursive: true, force: true });
  }

  const summary = {
    bench: "structured",
    schema,
    questions: asked.length,
    budgets: BUDGETS,
    experts: Object.fromEntries(
      Object.entries(results).map(([expert, byBudget]) => [
        expert,
        Object.fromEntries(
          Object.entries(byBudget).map(([budget, row]) => [
            budget,
            Object.fromEntries(
              Object.entries(row).map(([system, t]) => [
                system,
                { valid: t.valid, cut: t.cut, offSchema: t.offSchema, n: t.n, meanTokens: Number((t.tokens / t.n).toFixed(2)), msMedian: Number(quantile(t.ms, 0.5).toFixed(2)), msP25: Number(quantile(t.ms, 0.25).toFixed(2)), msP75: Number(quantile(t.ms, 0.75).toFixed(2)) },
              ]),
            ),
          ]),
        ),
      ]),
    ),
    pipeline,
    machine: { cpu: cpus()[0]?.model ?? "unknown", cores: cpus().length, node: process.version, loadAverage: loadavg().map((l) => Number(l.toFixed(2))) },
  };
  if (write) {
    await mkdir("bench/results", { recursive: true });
    await writeFile("bench/results/structured.json", `${JSON.stringify(summary, null, 2)}\n`);
    console.log("\nwrote bench/results/structured.json");
  }
}
