/**
 * A new user's first run: no config at all, so the embedded zoo serves, tags the skill, routes to a
 * specialist by its measured profile and answers right.
 */
import { afterAll, describe, expect, it } from "vitest";
import { disposeRuntime } from "../../../experts/llama/runtime.js";
import { runCli } from "../../helpers/cli.js";

afterAll(async () => {
  await disposeRuntime();
});

describe("conclave run with no config", () => {
  it.each([
    ["Sort the letters of garden.", "adegnr", "sorting"],
    ["What is 47 plus 38?", "85", "addition"],
    ["Spell stone backwards.", "enots", "reversal"],
    ["Uppercase river.", "RIVER", "uppercase"],
  ])("answers %j with %s", async (question, answer, skill) => {
    const saved = process.env.CONCLAVE_CONFIG;
    delete process.env.CONCLAVE_CONFIG;
    try {
      const result = await runCli(["run", question]);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toMatch(/serving the embedded zoo of 6 trained tiny experts/);
      expect(result.stdout.split("\n")[0]).toBe(answer);
      expect(result.stdout).toMatch(new RegExp(`skills\\s+${skill} `));
    } finally {
      if (saved !== undefined) process.env.CONCLAVE_CONFIG = saved;
    }
  });
});
