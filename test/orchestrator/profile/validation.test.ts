import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isConclaveError } from "../../../kernel/errors.js";
import { grade } from "../../../orchestrator/profile/grade.js";
import { parseValidation, readValidation } from "../../../orchestrator/profile/validation.js";

const lines = (...items: unknown[]) => items.map((item) => (typeof item === "string" ? item : JSON.stringify(item))).join("\n");

describe("validation files", () => {
  it("reads questions, chats, grading and skills; ids default to the line number", () => {
    const { items, problems } = parseValidation(
      lines(
        { id: "q1", question: "What is 6 x 7?", answer: 42, skills: ["arithmetic", "arithmetic"] },
        "",
        { messages: [{ role: "system", content: "Be brief." }, { role: "user", content: "Capital of France?" }], answer: "Paris" },
        { id: 7, question: "Pick one", answer: "b" },
        { question: "Anything", grade: "regex", pattern: "/^yes/i" },
        { question: "Pi?", answer: "3.14159", tolerance: 0.01 },
      ),
      "val.jsonl",
    );
    expect(problems).toEqual([]);
    expect(items.map((i) => [i.id, i.line, i.spec.kind])).toEqual([
      ["q1", 1, "number"],
      ["3", 3, "exact"],
      ["7", 4, "choice"],
      ["5", 5, "regex"],
      ["6", 6, "number"],
    ]);
    expect(items[0]!.skills).toEqual(["arithmetic"]);
    expect(items[1]!.skills).toBeUndefined();
    expect(items[1]!.messages).toHaveLength(2);
    expect(items[1]!.question).toBe("Capital of France?");
    expect(grade("YES indeed", items[3]!.spec).correct).toBe(true);
    expect(grade("3.15", items[4]!.spec).correct).toBe(true);
  });

  it("reports each bad line with file:line and the reason, and keeps the rest", () => {
    const { items, problems } = parseValidation(
      lines(
        { id: "a", question: "ok", answer: 1 },
        "{not json",
        [1, 2],
        { question: "no answer" },
        { question: "both", messages: [{ role: "user", content: "x" }], answer: 1 },
        { answer: 1 },
        { question: "bad kind", answer: 1, grade: "fuzzy" },
        { question: "letter", answer: "Paris", grade: "choice" },
        { question: "regex", grade: "regex", pattern: "(" },
        { question: "typo", answer: 1, grdae: "exact" },
        { question: "empty skills", answer: 1, skills: [] },
        { messages: [{ role: "robot", content: "x" }], answer: 1 },
        { id: "a", question: "duplicate", answer: 2 },
        { id: "b", question: "ok too", answer: "B" },
      ),
      "val.jsonl",
    );
    expect(items.map((i) => i.id)).toEqual(["a", "b"]);
    const byLine = Object.fromEntries(problems.map((p) => [p.line, p.message]));
    expect(Object.keys(byLine).map(Number)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
    for (const message of Object.values(byLine)) expect(message).toMatch(/^val\.jsonl:\d+: /);
    expect(byLine[2]).toMatch(/not valid JSON/);
    expect(byLine[3]).toMatch(/must be a JSON object/);
    expect(byLine[4]).toMatch(/answer is required/);
    expect(byLine[5]).toMatch(/"question" or "messages"/);
    expect(byLine[6]).toMatch(/"question" or "messages"/);
    expect(byLine[7]).toMatch(/^val\.jsonl:7: grade: /);
    expect(byLine[8]).toMatch(/letter A-J/);
    expect(byLine[9]).toMatch(/not a valid regular expression/);
    expect(byLine[10]).toMatch(/grdae/);
    expect(byLine[11]).toMatch(/at least one skill/);
    expect(byLine[12]).toMatch(/messages\[0\]\.role/);
    expect(byLine[13]).toBe('val.jsonl:13: duplicate id "a" (first on line 1)');
  });

  it("fails with VALIDATION_INVALID when the file is missing or has no usable line", async () => {
    const dir = await mkdtemp(join(tmpdir(), "conclave-validation-"));
    try {
      const empty = join(dir, "bad.jsonl");
      await writeFile(empty, lines({ question: "no answer" }, "nope"));
      await expect(readValidation(empty)).rejects.toSatisfy((e) => isConclaveError(e) && e.code === "VALIDATION_INVALID" && /no usable validation question.*bad\.jsonl:1: answer is required/.test(e.message));
      await expect(readValidation(join(dir, "missing.jsonl"))).rejects.toThrowError(/missing\.jsonl: cannot read the validation set: no such file/);
      const good = join(dir, "good.jsonl");
      await writeFile(good, lines({ question: "ok", answer: 1 }, "nope") + "\n");
      const read = await readValidation(good);
      expect([read.items.length, read.problems.length]).toEqual([1, 1]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
