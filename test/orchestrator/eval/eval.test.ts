/**
 * The whole chain on replay experts, with no model: cost in traces, /metrics and batch summaries, the
 * cascade's steps, the competence-weighted vote, and `conclave eval` figures computed by hand from
 * the fixture (test/experts/replay/fixture.ts).
 */
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../../orchestrator/config/load.js";
import { Orchestrator } from "../../../orchestrator/orchestrator.js";
import type { Profile } from "../../../orchestrator/profile/format.js";
import { ServerMetrics } from "../../../orchestrator/http/metrics.js";
import { runBatchCommand } from "../../../orchestrator/cli/batch.js";
import { readEvalSet } from "../../../orchestrator/eval/dataset.js";
import { runEval } from "../../../orchestrator/eval/run-eval.js";
import { buildSystems } from "../../../orchestrator/eval/systems.js";
import { loadCatalog } from "../../../orchestrator/catalog.js";
import { main } from "../../../orchestrator/cli/main.js";
import { prompt, writeFixture } from "../../experts/replay/fixture.js";

// Vote weights (odds, smoothed over 10 answers): strong 5, mid 2, weak 1.4. Competence: 1, 0.78, 0.67.
const profile: Profile = {
  version: 1,
  experts: {
    strong: { skills: {}, accuracy: 0.9, answered: 10 },
    mid: { skills: {}, accuracy: 0.7, answered: 10 },
    weak: { skills: {}, accuracy: 0.6, answered: 10 },
  },
};

let dir: string;
let file: string;
let base: Record<string, unknown>;
beforeAll(async () => {
  ({ dir, file } = await writeFixture());
  base = {
    runtime: { gpu: false },
    experts: ["strong", "mid", "weak"].map((id) => ({ id, backend: "replay", recordings: "toy.jsonl" })),
    routing: { strategy: "symbolic", k: 3, cascade: { minCompetence: 0.5 } },
    aggregation: { method: "vote", weighting: "competence" },
  };
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function orchestratorWith(overrides: Record<string, unknown> = {}): Promise<Orchestrator> {
  const routing = { ...(base["routing"] as object), ...((overrides["routing"] as object) ?? {}) };
  const aggregation = { ...(base["aggregation"] as object), ...((overrides["aggregation"] as object) ?? {}) };
  return Orchestrator.create(parseConfig({ ...base, routing, aggregation }, dir), { profile });
}

const question = (n: number) => ({ id: `q${n}`, messages: [{ role: "user" as const, content: prompt(n) }] });

describe("cost and competence through the pipeline", () => {
  it("a much stronger expert is not outvoted by two weak ones that agree, unless weights are the recruit weights", async () => {
    const competence = await orchestratorWith();
    const recruit = await orchestratorWith({ aggregation: { weighting: "recruit" } });
    try {
      // q5: strong says A (right); mid and weak both say B.
      expect((await competence.answer(question(5))).text).toBe("A");
      expect((await recruit.answer(question(5))).text).toBe("B");
    } finally {
      await competence.close();
      await recruit.close();
    }
  });

  it("traces each answer's cost and the total; /metrics and the batch summary count US dollars per expert", async () => {
    const orchestrator = await orchestratorWith();
    try {
      const outcome = await orchestrator.answer(question(1));
      expect(outcome.trace.answers.map((a) => [a.expertId, a.cost]).sort()).toEqual([["mid", 0.002], ["strong", 0.01], ["weak", 0.001]]);
      expect(outcome.trace.cost).toBeCloseTo(0.013);
      const metrics = await new ServerMetrics(orchestrator).registry.metrics();
      expect(metrics).toMatch(/conclave_expert_cost_usd_total\{expert="strong"\} 0\.01\b/);
      const input = join(dir, "batch.jsonl");
      await writeFile(input, [2, 3].map((n) => JSON.stringify({ custom_id: `q${n}`, messages: question(n).messages })).join("\n"));
      const summary = await runBatchCommand(orchestrator, { input, output: join(dir, "out.jsonl"), perInstanceLoading: false, progress: false, model: "conclave" }, () => undefined);
      expect(summary.costUsd?.total).toBeCloseTo(2 * 0.013);
      expect(summary.costUsd?.byExpert["weak"]).toBeCloseTo(0.002);
    } finally {
      await orchestrator.close();
    }
  });

  it("the cascade stops when its cheap tier agrees and escalates when it does not, step by step in the trace", async () => {
    const orchestrator = await orchestratorWith({ routing: { strategy: "cascade" } });
    try {
      const agreed = await orchestrator.answer(question(1));
      expect(agreed.trace.cascade).toEqual([{ tier: 0, experts: ["weak", "mid"], agreement: 1, stopped: true, reason: "2 answers agree 1.00 >= 1: stop" }]);
      expect(agreed.trace.cost).toBeCloseTo(0.003);
      const escalated = await orchestrator.answer(question(4));
      expect(escalated.trace.cascade?.map((s) => [s.experts, s.stopped])).toEqual([[["weak", "mid"], false], [["strong"], true]]);
      expect(escalated.text).toBe("B");
      expect(escalated.trace.cost).toBeCloseTo(0.013);
    } finally {
      await orchestrator.close();
    }
  });
});

describe("conclave eval", () => {
  it("measures every system through the pipeline: accuracy, cost and calls per question as computed by hand", async () => {
    const items = await readEvalSet(file);
    const systems = buildSystems(["single:strong", "oracle", "symbolic-vote", "cascade", "cost:0", "cost:0.5", "cost:5"], {
      experts: ["strong", "mid", "weak"].map((id) => ({ id, model: id })),
      profile,
      catalog: await loadCatalog("default"),
      k: 3,
      seed: 0,
      lambdas: [],
    });
    const report = await runEval({ baseConfig: base, baseDir: dir, profile, items, systems, test: file });
    const row = (name: string) => report.systems.find((s) => s.name === name)!;
    expect(row("single:strong")).toMatchObject({ accuracy: 5 / 6, callsPerQuestion: 1 });
    expect(row("single:strong").costPerQuestion).toBeCloseTo(0.01);
    // Cheapest right expert per question: weak on q1-q3 and q6, mid on q4, strong on q5.
    expect(row("oracle").accuracy).toBe(1);
    expect(row("oracle").costPerQuestion).toBeCloseTo(0.016 / 6);
    expect(row("symbolic-vote").accuracy).toBeCloseTo(5 / 6);
    // q1-q3 stop after weak + mid (right); q4 escalates (right); q5 weak and mid agree on the wrong
    // answer and stop; q6 escalates and strong + mid outvote weak's right answer.
    expect(row("cascade").accuracy).toBeCloseTo(4 / 6);
    expect(row("cascade").costPerQuestion).toBeCloseTo(0.038 / 6);
    expect(row("cascade").callsPerQuestion).toBeCloseTo(14 / 6);
    expect(Object.keys(row("cost:0").recruits)).toEqual(["strong"]);
    expect(Object.keys(row("cost:0.5").recruits)).toEqual(["mid"]);
    expect(Object.keys(row("cost:5").recruits)).toEqual(["weak"]);
    expect(report.costRange).toBeUndefined(); // one single expert: no range for AIQ
  });

  it("runs from the command line: JSON report and SVG chart", async () => {
    const config = join(dir, "conclave.yaml");
    await writeFile(config, JSON.stringify(base));
    const profilePath = join(dir, "profile.json");
    await writeFile(profilePath, JSON.stringify(profile));
    const out = join(dir, "eval.json");
    const svg = join(dir, "eval.svg");
    const printed: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((text: string) => printed.push(text) > 0) as typeof process.stdout.write;
    let code: number;
    try {
      code = await main(["node", "conclave", "--config", config, "eval", "--profile", profilePath, "--test", file, "--strategies", "single,cascade", "--out", out, "--svg", svg, "--no-progress"]);
    } finally {
      process.stdout.write = write;
    }
    expect(code).toBe(0);
    const report = JSON.parse(await readFile(out, "utf8"));
    expect(report.systems.map((s: { name: string }) => s.name)).toEqual(["single:strong", "single:mid", "single:weak", "cascade"]);
    expect(report.costRange).toEqual({ min: 0.001, max: 0.01 });
    expect(Object.keys(report.aiq)).toEqual(["single", "cascade", "conclave (all routed)"]);
    expect(await readFile(svg, "utf8")).toMatch(/^<svg[\s\S]*cascade[\s\S]*<\/svg>\n$/);
    expect(printed.join("")).toMatch(/best single: single:strong \(0\.833\)/);
  });
});
