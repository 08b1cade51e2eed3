/**
 * The engine end to end on real node-llama-cpp: four generated sparse-MoE experts and an aggregator,
 * routed by a hand-made profile, scheduled by expert within a memory budget.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../orchestrator/config/load.js";
import type { Instance } from "../../kernel/contracts.js";
import { Orchestrator } from "../../orchestrator/orchestrator.js";
import type { Profile } from "../../orchestrator/profile/format.js";
import { disposeRuntime } from "../../experts/llama/runtime.js";
import { modelFolder, TINY_MOE, type ModelFolder } from "../helpers/models.js";

const EXPERTS = ["math", "code", "law", "science"] as const;
const AGGREGATOR = "writer";
let folder: ModelFolder;
const paths: Record<string, string> = {};

// Each expert owns some skills of the default catalog; the profile makes routing predictable.
const OWNED: Record<string, string[]> = {
  math: ["arithmetic", "algebra"],
  code: ["python-programming", "sql"],
  law: ["contract-law", "history"],
  science: ["biology", "chemistry"],
  writer: ["creative-writing", "summarization", "translation"],
};
const profile: Profile = {
  version: 1,
  experts: Object.fromEntries(
    Object.entries(OWNED).map(([id, owned]) => [
      id,
      { skills: Object.fromEntries(Object.values(OWNED).flat().map((skill) => [skill, owned.includes(skill) ? 5 : -1])) },
    ]),
  ),
  aggregator: { expertId: AGGREGATOR },
};

const QUESTIONS = [
  "What is 347 plus 589?",
  "Solve for x: 3x + 7 = 22.",
  "Write a SQL query joining orders and customers.",
  "Write a Python function that reverses a list.",
  "Is a verbal contract legally binding?",
  "What caused the fall of the Roman Empire?",
  "How does photosynthesis work?",
  "Balance the chemical equation H2 + O2 -> H2O.",
  "Write a short poem about the sea.",
  "Translate good morning into French.",
];

function batch(n: number): Array<{ instance: Instance }> {
  return Array.from({ length: n }, (_, i) => ({
    instance: { id: `q${i}`, messages: [{ role: "user", content: QUESTIONS[i % QUESTIONS.length]! }], params: { maxTokens: 4, temperature: 0 } },
  }));
}

function config(extra: Record<string, unknown> = {}, models: Record<string, string> = paths) {
  return parseConfig(
    {
      runtime: { gpu: false, maxThreads: 2 },
      experts: Object.entries(models).map(([id, model]) => ({ id, backend: "llama", model, contextSize: 512, sequences: 4, threads: 1 })),
      routing: { strategy: "symbolic", k: 3 },
      aggregation: { method: "synthesize", aggregator: AGGREGATOR, skipWhenAgree: false, maxTokens: 4 },
      ...extra,
    },
    folder.dir,
  );
}

beforeAll(async () => {
  folder = await modelFolder();
  for (const id of [...EXPERTS, AGGREGATOR]) paths[id] = (await folder.write(id, { ...TINY_MOE, experts: id === "law" ? 8 : 4 })).path;
});

afterAll(async () => {
  await disposeRuntime();
  await folder.remove();
});

describe("Orchestrator on generated MoE experts", () => {
  it("answers a 30-instance batch with every model loaded exactly once", async () => {
    const orchestrator = await Orchestrator.create(config(), { profile });
    const results = await orchestrator.runBatch(batch(30));
    expect(results.map((r) => r.id)).toEqual(batch(30).map((l) => l.instance.id));
    expect(results.every((r) => "outcome" in r)).toBe(true);
    const stats = orchestrator.stats();
    for (const id of [...EXPERTS, AGGREGATOR]) expect(stats.experts[id]!.loads, id).toBe(1);
    expect(stats.evictions).toBe(0);
    // k = 3 experts per instance, then one synthesis each.
    const served = Object.values(stats.experts).reduce((sum, e) => sum + e.served, 0);
    expect(served).toBe(30 * 3 + 30);
    expect(stats.experts[AGGREGATOR]!.served).toBeGreaterThanOrEqual(30);
    // Several sequences of a resident model were in use at once.
    expect(Math.max(...Object.values(stats.experts).map((e) => e.peakInFlight))).toBeGreaterThan(1);
    const first = results[0]!;
    expect("outcome" in first && first.outcome.trace.recruitment.recruits[0]?.expertId).toBe("math");
    expect("outcome" in first && first.outcome.trace.aggregation).toMatchObject({ method: "synthesize", aggregator: AGGREGATOR });
    await orchestrator.close();
  });

  it("completes the batch within a budget that fits only two models, loading each model once", async () => {
    const probe = await Orchestrator.create(config(), { profile });
    const needs = [...probe.statuses.values()].map((s) => s.memory!.ramBytes).sort((a, b) => b - a);
    await probe.close();
    const budget = needs[0]! + needs[1]! + 1;
    expect(needs.at(-1)! + needs.at(-2)! + needs.at(-3)!).toBeGreaterThan(budget); // three never fit
    const orchestrator = await Orchestrator.create(config({ memory: { budget } }), { profile });
    const results = await orchestrator.runBatch(batch(30));
    expect(results.filter((r) => "outcome" in r)).toHaveLength(30);
    const stats = orchestrator.stats();
    for (const id of [...EXPERTS, AGGREGATOR]) expect(stats.experts[id]!.loads, id).toBe(1);
    expect(stats.evictions).toBeGreaterThanOrEqual(3);
    await orchestrator.close();
  });

  it("lets concurrent online requests for one expert share its resident model and sequences", async () => {
    const orchestrator = await Orchestrator.create(config(), { profile });
    const instance = (i: number): Instance => ({ id: `o${i}`, messages: [{ role: "user", content: `hello ${i}` }], params: { maxTokens: 4 } });
    await Promise.all(Array.from({ length: 6 }, (_, i) => orchestrator.answer(instance(i), { expertId: "code" })));
    const code = orchestrator.stats().experts["code"]!;
    expect(code.loads).toBe(1);
    expect(code.served).toBe(6);
    expect(code.peakInFlight).toBe(4);
    await orchestrator.close();
  });

  it("streams the aggregator's text, and the chunks join to the final answer", async () => {
    const orchestrator = await Orchestrator.create(config(), { profile });
    const chunks: string[] = [];
    const outcome = await orchestrator.answer(batch(1)[0]!.instance, { onText: (t) => chunks.push(t) });
    expect(chunks.length).toBeGreaterThan(0);
    expect(chunks.join("")).toBe(outcome.text);
    expect(outcome.usage.completionTokens).toBeGreaterThan(0);
    await orchestrator.close();
  });

  it("keeps serving with a corrupt expert, which is reported by path", async () => {
    const broken = await folder.corrupt("broken-math");
    const orchestrator = await Orchestrator.create(config({}, { ...paths, math: broken }), { profile });
    expect(orchestrator.statuses.get("math")!.unavailable).toMatchObject({ code: "MODEL_LOAD_FAILED" });
    expect(orchestrator.statuses.get("math")!.unavailable!.message).toContain(broken);
    const results = await orchestrator.runBatch(batch(10));
    expect(results.every((r) => "outcome" in r)).toBe(true);
    // Routing never picks the broken expert, and the math question still gets an answer.
    const first = results[0]!;
    expect("outcome" in first && first.outcome.trace.recruitment.recruits.map((r) => r.expertId)).not.toContain("math");
    expect(orchestrator.stats().experts["math"]!.loads).toBe(0);
    await orchestrator.close();
    await orchestrator.close();
  });

  it("runs the per-instance baseline with one load per model per instance", async () => {
    const orchestrator = await Orchestrator.create(config(), { profile });
    const results = await orchestrator.runBatch(batch(3), { perInstanceLoading: true });
    expect(results.every((r) => "outcome" in r)).toBe(true);
    // 3 experts + the aggregator per instance, all unloaded after it.
    expect(orchestrator.stats().loads).toBe(3 * 4);
    await orchestrator.close();
  });
});
