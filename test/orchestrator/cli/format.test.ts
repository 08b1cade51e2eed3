import { describe, expect, it } from "vitest";
import { formatSummary, formatTrace } from "../../../orchestrator/cli/format.js";
import type { RoutingTrace } from "../../../kernel/contracts.js";

describe("CLI formatting", () => {
  it("shows skills, recruits with reasons, failures, aggregation and stage times", () => {
    const trace: RoutingTrace = {
      skills: [{ skill: "sql", score: 0.8, keyword: "joins" }],
      recruitment: { strategy: "symbolic", recruits: [{ expertId: "coder", weight: 0.7, reason: "sql +5" }] },
      aggregation: { method: "synthesize", aggregator: "writer", reason: "writer synthesises 2 answers" },
      answers: [],
      failures: [{ expertId: "broken", code: "MODEL_LOAD_FAILED", message: "failed to load /m/broken.gguf" }],
      warnings: ["coder: seed ignored"],
      times: { tagMs: 1.2, recruitMs: 0.1, runMs: 950, aggregateMs: 400, totalMs: 1351.3 },
    };
    const text = formatTrace(trace);
    expect(text).toContain("sql 0.80 (“joins”)");
    expect(text).toMatch(/coder\s+weight 0\.70\s+sql \+5/);
    expect(text).toContain("✗ broken: MODEL_LOAD_FAILED failed to load /m/broken.gguf");
    expect(text).toContain("aggregation synthesize by writer: writer synthesises 2 answers");
    expect(text).toContain("experts 950 ms");
    expect(text).toContain("total 1351 ms");
    expect(text).toContain("warning     coder: seed ignored");
  });

  it("shows each thinking expert's thought on one line, and nothing for the others", () => {
    const trace: RoutingTrace = {
      skills: [{ skill: "counting", score: 0.9 }],
      recruitment: { strategy: "symbolic", recruits: [{ expertId: "thinker", weight: 1, reason: "counting" }] },
      aggregation: { method: "vote", reason: "majority" },
      answers: [
        { expertId: "thinker", text: "2", reasoning: "e|d0e1\nc1a1d1e2", ms: 5 },
        { expertId: "plain", text: "2", ms: 4 },
        { expertId: "rambler", text: "3", reasoning: "x ".repeat(300), ms: 9 },
      ],
      failures: [],
      warnings: [],
      times: { tagMs: 1, recruitMs: 0, runMs: 9, aggregateMs: 0, totalMs: 10 },
    };
    const lines = formatTrace(trace).split("\n").filter((line) => line.startsWith("thought"));
    expect(lines[0]).toBe("thought     thinker: e|d0e1 c1a1d1e2");
    expect(lines[1]).toMatch(/^thought {5}rambler: (x ){99}x…$/);
    expect(lines).toHaveLength(2);
  });

  it("says why routing abstained", () => {
    const reason = 'best skill "addition" scores 0.200 < routing.abstain.threshold 0.45: answered with the abstain message';
    const trace: RoutingTrace = {
      skills: [{ skill: "addition", score: 0.2 }],
      recruitment: { strategy: "symbolic", recruits: [], abstain: { threshold: 0.45, best: { skill: "addition", score: 0.2 }, reason } },
      aggregation: { method: "abstain", reason },
      answers: [],
      failures: [],
      warnings: [],
      times: { tagMs: 1, recruitMs: 0, runMs: 0, aggregateMs: 0, totalMs: 1 },
    };
    expect(formatTrace(trace)).toContain(`abstained   ${reason}`);
    expect(formatTrace(trace)).toContain(`aggregation abstain: ${reason}`);
  });

    it("summarises a batch", () => {
    const text = formatSummary({ instances: 30, succeeded: 29, failed: 1, loads: { a: 1, b: 2 }, wallMs: 12_345, peakRssBytes: 300 * 2 ** 20, mode: "grouped" });
    expect(text).toContain("30 (29 ok, 1 failed)");
    expect(text).toContain("a×1, b×2 — grouped by expert");
    expect(text).toContain("12.35 s");
    expect(text).toContain("300 MiB");
  });
});
