/**
 * `npm run demo` as a new user runs it: the very command in package.json (its output files moved to
 * a temp folder), on the embedded zoo, with no config. It prints every demo question with its
 * experts, answer and expected answer, then a score that agrees with the marks.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { disposeRuntime } from "../../../experts/llama/runtime.js";
import { runCli } from "../../helpers/cli.js";
import { PACKAGE_ROOT } from "../../helpers/paths.js";

afterAll(async () => {
  await disposeRuntime();
});

/** The demo script's arguments after `node bin/conclave.js`, with -o/--summary pointed into `dir` and paths made absolute. */
async function demoArgs(dir: string): Promise<string[]> {
  const scripts = (JSON.parse(await readFile(join(PACKAGE_ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;
  const args = scripts["demo"]!.split(/\s+/).slice(2);
  return args.map((arg, i) => {
    if (args[i - 1] === "-o") return join(dir, "out.jsonl");
    if (args[i - 1] === "--summary") return join(dir, "summary.json");
    return arg.startsWith("examples/") ? join(PACKAGE_ROOT, arg) : arg;
  });
}

describe("npm run demo", () => {
  it("shows each question, its experts, its answer against the expected one, and the score", async () => {
    const dir = await mkdtemp(join(tmpdir(), "conclave-demo-"));
    const saved = process.env.CONCLAVE_CONFIG;
    delete process.env.CONCLAVE_CONFIG;
    try {
      const result = await runCli([...(await demoArgs(dir)), "--no-progress"]);
      expect(result.code, result.stderr).toBe(0);
      const questions = (await readFile(join(PACKAGE_ROOT, "examples/demo-batch.jsonl"), "utf8")).split("\n").filter((l) => l.trim());
      const lines = result.stdout.split("\n");
      const marked = lines.filter((line) => /^[✓✗] q\d+ {2}/.test(line));
      expect(marked).toHaveLength(questions.length);
      for (const raw of questions) {
        const { custom_id: id, messages } = JSON.parse(raw) as { custom_id: string; messages: Array<{ content: string }> };
        expect(marked.some((line) => line.endsWith(`${id}  ${messages.at(-1)!.content}`))).toBe(true);
      }
      expect(lines.filter((line) => /^ {6}experts zoo-.+ {2}→ {2}".*" {2}expected ".+"$/.test(line))).toHaveLength(questions.length);
      const right = marked.filter((line) => line.startsWith("✓")).length;
      expect(result.stdout).toContain(`score       ${right}/${questions.length} right (${Math.round((right / questions.length) * 100)}%)`);
      expect(result.stdout).toMatch(/instances {3}20 \(20 ok, 0 failed\)/);
    } finally {
      if (saved !== undefined) process.env.CONCLAVE_CONFIG = saved;
      await rm(dir, { recursive: true, force: true });
    }
  });
});
