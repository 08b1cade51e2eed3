import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expertIdFor, replayImportCommand, replayValidationCommand } from "../../../orchestrator/cli/eval-replay.js";
import { loadConfig } from "../../../orchestrator/config/load.js";
import { Orchestrator } from "../../../orchestrator/orchestrator.js";
import { fixtureLines, prompt } from "../../experts/replay/fixture.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "conclave-import-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("conclave replay import / validation", () => {
  it("turns a RouterBench CSV into recordings and a config whose replay experts answer from them", async () => {
    const csv = join(dir, "rb.csv");
    await writeFile(csv, 'sample_id,prompt,meta/llama-2-70b-chat,meta/llama-2-70b-chat|model_response,meta/llama-2-70b-chat|total_cost\nq1,"Pick one.\nA) a\nB) b",1,"B",0.0003\n');
    const config = join(dir, "cfg", "conclave.yaml");
    const lines = await replayImportCommand([csv], { out: join(dir, "rec.jsonl"), configOut: config, prompts: false }, () => undefined);
    expect(lines).toHaveLength(1);
    expect(expertIdFor("meta/llama-2-70b-chat")).toBe("meta_llama-2-70b-chat");
    const orchestrator = await Orchestrator.create(await loadConfig(config));
    try {
      const outcome = await orchestrator.answer({ id: "q1", messages: [{ role: "user", content: "Pick one.\nA) a\nB) b" }] });
      expect(outcome.text).toBe("B");
      expect(outcome.trace.cost).toBeCloseTo(0.0003);
    } finally {
      await orchestrator.close();
    }
  });

  it("writes a validation set whose answer is the letter the correct answers chose", async () => {
    const input = join(dir, "toy.jsonl");
    await writeFile(input, fixtureLines([1, 6]).join("\n"));
    const out = join(dir, "val.jsonl");
    await replayValidationCommand(input, { out }, () => undefined);
    const written = (await readFile(out, "utf8")).trim().split("\n").map((l) => JSON.parse(l));
    expect(written).toEqual([
      { id: "q1", question: prompt(1), answer: "A", grade: "choice" },
      { id: "q6", question: prompt(6), answer: "B", grade: "choice" },
    ]);
  });
});

describe("reference answers beyond multiple choice", () => {
  it("uses the number the correct answers give, and no reference for free text", async () => {
    const input = join(dir, "numbers.jsonl");
    const line = (id: string, answers: Record<string, { text: string; correct: number }>) => JSON.stringify({ id, prompt: `Q ${id}`, answers });
    await writeFile(
      input,
      [
        line("n1", { a: { text: "3 + 4 = 7, so the answer is 7.", correct: 1 }, b: { text: "#### 7", correct: 1 }, c: { text: "The answer is 8", correct: 0 } }),
        line("code", { a: { text: "def f(x):\n    return sorted(x, key=len)[::-1] if x else []", correct: 1 } }),
      ].join("\n"),
    );
    const out = join(dir, "numbers.val.jsonl");
    const printed: string[] = [];
    await replayValidationCommand(input, { out }, (text) => printed.push(text));
    expect((await readFile(out, "utf8")).trim().split("\n").map((l) => JSON.parse(l))).toEqual([{ id: "n1", question: "Q n1", answer: 7, grade: "number" }]);
    expect(printed[0]).toMatch(/1 skipped/);
  });
});
