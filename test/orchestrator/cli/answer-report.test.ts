import { describe, expect, it } from "vitest";
import type { InstanceOutcome } from "../../../kernel/contracts.js";
import { answerRow, formatAnswerReport, formatScore, parseExpectedAnswers } from "../../../orchestrator/cli/answer-report.js";

function outcome(text: string, experts: string[], abstained = false): { outcome: InstanceOutcome } {
  return {
    outcome: {
      id: "x",
      text,
      finishReason: "stop",
      usage: { promptTokens: 1, completionTokens: 1 },
      trace: {
        skills: [],
        recruitment: {
          strategy: "symbolic",
          recruits: experts.map((expertId) => ({ expertId, weight: 1 / experts.length, reason: "test" })),
          ...(abstained ? { abstain: { threshold: 0.45, reason: "below" } } : {}),
        },
        aggregation: { method: abstained && experts.length === 0 ? "abstain" : "vote", reason: "test" },
        answers: [],
        failures: [],
        warnings: [],
        times: { tagMs: 0, recruitMs: 0, runMs: 0, aggregateMs: 0, totalMs: 0 },
      },
    },
  };
}

describe("parseExpectedAnswers", () => {
  it("reads custom_id -> expected, numbers as text, skipping blank lines", () => {
    const expected = parseExpectedAnswers('{"custom_id":"q1","expected":"85"}\n\n{"custom_id":"q2","expected":7}\n', "answers.jsonl");
    expect([...expected]).toEqual([
      ["q1", "85"],
      ["q2", "7"],
    ]);
  });

  it("names the file and line of a bad line", () => {
    expect(() => parseExpectedAnswers('{"custom_id":"q1","expected":"85"}\n{"id":"q2"}', "answers.jsonl")).toThrowError(/answers\.jsonl line 2: expected \{"custom_id"/);
    expect(() => parseExpectedAnswers("nope", "answers.jsonl")).toThrowError(/answers\.jsonl line 1: not valid JSON/);
  });
});

describe("answerRow", () => {
  it("grades as the profiler does: exact strings case-sensitively, numbers by value", () => {
    expect(answerRow("q1", "Uppercase river.", outcome(" RIVER ", ["zoo-letters"]), "RIVER").right).toBe(true);
    expect(answerRow("q1", "Uppercase river.", outcome("river", ["zoo-letters"]), "RIVER").right).toBe(false);
    expect(answerRow("q2", "What is 47 plus 38?", outcome("47 + 38 = 85", ["zoo-numbers"]), "85").right).toBe(true);
    expect(answerRow("q2", "What is 47 plus 38?", outcome("84", ["zoo-numbers"]), "85").right).toBe(false);
  });

  it("keeps the recruited experts, and marks abstentions, failures and lines without an expected answer", () => {
    const row = answerRow("q1", "Add 8 and 65.", outcome("73", ["a", "b"]), "73");
    expect(row).toMatchObject({ experts: ["a", "b"], abstained: false, failed: false, answer: "73", expected: "73", right: true });
    expect(answerRow("q2", "hello", outcome("I can't answer that", [], true), undefined)).toMatchObject({ experts: [], abstained: true });
    expect(answerRow("q2", "hello", outcome("x", []), undefined).right).toBeUndefined();
    const failed = answerRow("q3", "Add 1 and 2.", { error: { code: "EXPERT_FAILED", message: "boom" } }, "3");
    expect(failed).toMatchObject({ failed: true, right: false, answer: "EXPERT_FAILED: boom" });
  });
});

describe("formatAnswerReport", () => {
  it("prints each question, its experts, its answer against the expected one, and the score", () => {
    const report = formatAnswerReport([
      answerRow("q1", "What is 47 plus 38?", outcome("85", ["zoo-numbers", "zoo-add-spell"]), "85"),
      answerRow("q2", "Uppercase violet.", outcome("2VEEV", ["zoo-letters"]), "VIOLET"),
      answerRow("q3", "hello", outcome("I can't answer that: ...", [], true), undefined),
    ]);
    expect(report.split("\n")).toEqual([
      "✓ q1  What is 47 plus 38?",
      '      experts zoo-numbers, zoo-add-spell  →  "85"  expected "85"',
      "✗ q2  Uppercase violet.",
      '      experts zoo-letters  →  "2VEEV"  expected "VIOLET"',
      "  q3  hello",
      "      routing abstained  →  (the abstain message)",
      "score       1/2 right (50%); 1 without an expected answer",
    ]);
  });

  it("scores an empty report as 0/0", () => {
    expect(formatScore([])).toBe("score       0/0 right (0%)");
  });
});
