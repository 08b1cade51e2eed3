/**
 * The keyword tagger wired from config: a configured expert writes the keywords through the scheduler
 * (so a batch loads it once), and when its keywords map to no skill, tagging falls back to lexical.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { disposeRuntime } from "../../experts/llama/runtime.js";
import { parseConfig } from "../../orchestrator/config/load.js";
import { Orchestrator } from "../../orchestrator/orchestrator.js";

afterAll(() => disposeRuntime());

describe("keyword tagging from config", () => {
  it("asks the tagger model once per instance, grouped with the batch, and falls back to lexical tags", async () => {
    const dir = await mkdtemp(join(tmpdir(), "conclave-router-"));
    const config = parseConfig(
      {
        runtime: { gpu: false, maxThreads: 2 },
        models: { dir: join(dir, "models"), embedded: "synthetic" },
        generation: { maxTokens: 2 },
        aggregation: { method: "vote" },
        skills: { tagger: { kind: "keyword", model: "demo-writer" } },
        routing: { k: 1 },
      },
      dir,
    );
    const orchestrator = await Orchestrator.create(config);
    try {
      const questions = ["Solve for x: 3x = 12", "Write a SQL query that counts rows", "How do cells divide in biology?"];
      const results = await orchestrator.runBatch(questions.map((q, i) => ({ instance: { id: `q${i}`, messages: [{ role: "user", content: q }] } })));
      const writer = orchestrator.stats().experts["demo-writer"]!;
      // Random-weight keywords match nothing, so the lexical tags decide; the model was still asked.
      expect(writer.served).toBeGreaterThanOrEqual(3);
      expect(writer.loads).toBe(1);
      const skills = results.map((r) => ("outcome" in r ? r.outcome.trace.skills[0]?.skill : r.error.code));
      expect(skills).toEqual(["algebra", "sql", "biology"]);
    } finally {
      await orchestrator.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
