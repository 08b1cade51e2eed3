/**
 * Prompt reuse across requests: time to first token with and without `reusePrefix`, on one
 * generated sparse-MoE model served by conclave's llama expert (the same code path as a request).
 *
 *   chat, 5th turn   - a conversation of about 2k tokens: turns 1-4 are asked (each carrying the
 *                      answers so far), then the 5th turn's time to first token is measured;
 *   few-shot batch   - --questions questions sharing a ~1k-token few-shot prefix, asked through the
 *                      expert's --sequences sequences at once; the median time to first token.
 *
 * Both systems are loaded side by side and take turns in --slices interleaved slices (bench/stats.ts);
 * each slice uses its own conversation and few-shot block, so nothing carries over between slices.
 * Reports per-slice medians, the per-slice ratio without/with reuse with its spread, and prompt
 * tokens evaluated vs reused. Writes bench/results/prefix.json.
 *
 *   npm run bench -- prefix [--slices 5] [--questions 8] [--sequences 2] [--threads 1]
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { LlamaExpert } from "../experts/llama/llama-expert.js";
import { disposeRuntime } from "../experts/llama/runtime.js";
import type { GenerateResult } from "../experts/spec.js";
import { writeTestModelSet } from "../experts/testmodels/generate.js";
import type { ChatMessage } from "../kernel/contracts.js";
import { mulberry32 } from "../kernel/prng.js";
import { arg } from "./args.js";
import { DEFAULT_SLICES, formatRatio, formatSpread, interleave, machine, ratioReport, spread, type Spread } from "./stats.js";

const CONTEXT = 4096;
const WORDS = "the a model expert token batch cache prefix answer question river stone garden lamp orbit signal number letter table cloud".split(" ");

function positiveInt(name: string, fallback: string): number {
  const value = Number(arg(name, fallback));
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} expects a positive integer, got ${arg(name, fallback)}`);
  return value;
}

/** Seeded filler text of about `chars` characters (the generated models tokenise about a character a token). */
function text(seed: number, chars: number): string {
  const random = mulberry32(seed);
  let out = "";
  while (out.length < chars) out += `${WORDS[Math.floor(random() * WORDS.length)]} `;
  return out.slice(0, chars).trim();
}

interface System {
  name: string;
  expert: LlamaExpert;
}

interface SliceFigures {
  chatTtftMs: number;
  chatPrompt: { promptTokens: number; evaluatedTokens: number; reusedTokens: number };
  fewShotTtftMs: number;
  fewShotEvaluated: number;
  fewShotReused: number;
}

const greedy = (maxTokens: number) => ({ maxTokens, temperature: 0 });

async function chatTurn5(expert: LlamaExpert, slice: number): Promise<GenerateResult> {
  const messages: ChatMessage[] = [{ role: "system", content: `Conversation ${slice}. ${text(slice * 101, 160)}` }];
  for (let turn = 1; turn <= 5; turn++) {
    messages.push({ role: "user", content: `Turn ${turn}: ${text(slice * 101 + turn, turn < 5 ? 380 : 120)}` });
    const result = await expert.doGenerate({ messages: [...messages], params: greedy(turn < 5 ? 24 : 4) });
    if (turn === 5) return result;
    messages.push({ role: "assistant", content: result.text });
  }
  throw new Error("unreachable");
}

async function fewShot(expert: LlamaExpert, slice: number, questions: number, sequences: number): Promise<GenerateResult[]> {
  const shots = `Examples ${slice}. ${text(slice * 977, 1000)}`;
  const results: GenerateResult[] = [];
  let next = 0;
  // As many at once as the expert has sequences, as the scheduler would run them.
  await Promise.all(
    Array.from({ length: sequences }, async () => {
      while (next < questions) {
        const i = next++;
        results[i] = await expert.doGenerate({ messages: [{ role: "system", content: shots }, { role: "user", content: `Question ${i}: ${text(slice * 31 + i, 60)}` }], params: greedy(4) });
      }
    }),
  );
  return results;
}

export async function benchPrefix(): Promise<void> {
  const slices = positiveInt("slices", String(DEFAULT_SLICES));
  const questions = positiveInt("questions", "8");
  const sequences = positiveInt("sequences", "2");
  const threads = positiveInt("threads", "1");

  const dir = join(".cache", "bench-models", "prefix");
  await mkdir(dir, { recursive: true });
  const spec = { embedding: 256, layers: 4, heads: 4, feedForward: 512, experts: 4, expertsUsed: 2, contextLength: CONTEXT, quant: "Q8_0" as const, seed: 11 };
  const model = (await writeTestModelSet(dir, { "prefix-moe": spec }))["prefix-moe"]!;
  console.log(`model: ${model.path}, ${(model.bytes / 1e6).toFixed(1)} MB Q8_0, ${(model.activeParameters / 1e6).toFixed(1)}M active parameters, ${model.expertCount} experts (${model.expertUsedCount} used)`);
  console.log(`${slices} interleaved slices; chat: 5th turn of ~2k tokens; few-shot: ${questions} questions sharing ~1k tokens, ${sequences} sequences; ${threads} threads, CPU`);
  const loadBefore = machine().loadavg;

  const make = (reusePrefix: boolean) =>
    new LlamaExpert({
      id: reusePrefix ? "reuse" : "no-reuse",
      model: model.path,
      modelsDir: dir,
      allowDownload: false,
      contextSize: CONTEXT,
      sequences,
      threads,
      gpuLayers: 0,
      useMmap: true,
      runtime: { gpu: false, maxThreads: 2 },
      reusePrefix,
    });
  const systems: System[] = [
    { name: "without reuse", expert: make(false) },
    { name: "with reuse", expert: make(true) },
  ];
  let results = new Map<System, SliceFigures[]>();
  try {
    // Warm-up outside the figures: loads and first-use costs.
    for (const s of systems) await chatTurn5(s.expert, 0);
    results = await interleave(systems, slices, async (system, index) => {
      const slice = index + 1;
      const turn5 = await chatTurn5(system.expert, slice);
      const shots = await fewShot(system.expert, slice, questions, sequences);
      const p = turn5.prefill!;
      return {
        chatTtftMs: p.ms,
        chatPrompt: { promptTokens: p.promptTokens, evaluatedTokens: p.evaluatedTokens, reusedTokens: p.reusedTokens },
        fewShotTtftMs: spread(shots.map((r) => r.prefill!.ms)).median,
        fewShotEvaluated: shots.reduce((sum, r) => sum + r.prefill!.evaluatedTokens, 0),
        fewShotReused: shots.reduce((sum, r) => sum + r.prefill!.reusedTokens, 0),
      };
    });
  } finally {
    for (const s of systems) await s.expert.close();
    await disposeRuntime();
  }

  const [off, on] = systems.map((s) => results.get(s)!) as [SliceFigures[], SliceFigures[]];
  const chatRatio = ratioReport(off.map((f) => f.chatTtftMs), on.map((f) => f.chatTtftMs));
  const shotRatio = ratioReport(off.map((f) => f.fewShotTtftMs), on.map((f) => f.fewShotTtftMs));
  console.log(`\nsystem            chat 5th turn TTFT ms      prompt tok (evaluated/reused)   few-shot median TTFT ms   evaluated/reused per batch`);
  for (const [i, s] of systems.entries()) {
    const f = i === 0 ? off : on;
    const last = f.at(-1)!;
    console.log(
      `${s.name.padEnd(17)} ${formatSpread(spread(f.map((x) => x.chatTtftMs)), 1).padEnd(26)} ${`${last.chatPrompt.promptTokens} (${last.chatPrompt.evaluatedTokens}/${last.chatPrompt.reusedTokens})`.padEnd(31)} ` +
        `${formatSpread(spread(f.map((x) => x.fewShotTtftMs)), 1).padEnd(25)} ${last.fewShotEvaluated}/${last.fewShotReused}`,
    );
  }
  console.log(`\nTTFT without/with reuse, per slice: chat 5th turn ${formatRatio(chatRatio)}; few-shot ${formatRatio(shotRatio)}`);
  const goal = 3;
  console.log(`goal >= ${goal}x (median): chat ${chatRatio.median >= goal ? "met" : "missed"}, few-shot ${shotRatio.median >= goal ? "met" : "missed"}`);

  const r2 = (s: Spread) => Object.fromEntries(Object.entries(s).map(([k, v]) => [k, typeof v === "number" ? Number(v.toFixed(3)) : v]));
  await mkdir(join("bench", "results"), { recursive: true });
  await writeFile(
    join("bench", "results", "prefix.json"),
    `${JSON.stringify(
      {
        createdAt: new Date().toISOString(),
        machine: { ...machine(), loadavgBefore: loadBefore },
        setup: { slices, questions, sequences, threads, contextSize: CONTEXT, modelBytes: model.bytes, activeParameters: model.activeParameters, spec },
        systems: systems.map((s, i) => ({ name: s.name, slices: i === 0 ? off : on })),
        ratios: { chatTurn5Ttft: r2(chatRatio), fewShotTtft: r2(shotRatio) },
        goal: { ratio: goal, chat: chatRatio.median >= goal, fewShot: shotRatio.median >= goal },
      },
      null,
      2,
    )}\n`,
  );
  console.log(`wrote bench/results/prefix.json`);
}
