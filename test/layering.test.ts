/**
 * Imports run one way: the orchestrator uses experts, skills and queues, which use the kernel; none
 * of them reaches back up. `queues/` gets at the engine only through the port it defines itself
 * (queues/engine.ts), which the orchestrator fills in.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { PACKAGE_ROOT } from "./helpers/paths.js";

function* tsFiles(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* tsFiles(path);
    else if (entry.name.endsWith(".ts")) yield path;
  }
}

/** Top-level folders that the relative imports (static, dynamic and `export ... from`) of a file reach. */
export function importedLayers(file: string, source: string): string[] {
  const specifiers = [...source.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)["'](\.{1,2}\/[^"']+)["']/g)].map((m) => m[1]!);
  return specifiers.map((spec) => relative(PACKAGE_ROOT, resolve(dirname(file), spec)).split(/[\\/]/)[0]!);
}

/** Each layer and the layers it must never import. */
const FORBIDDEN: Record<string, string[]> = {
  kernel: ["orchestrator", "experts", "skills", "queues"],
  experts: ["orchestrator", "queues"],
  skills: ["orchestrator", "queues", "experts"],
  queues: ["orchestrator"],
};

describe("layering", () => {
  it("reads relative imports of every form and resolves them to their top-level folder", () => {
    const file = join(PACKAGE_ROOT, "queues", "bullmq", "worker.ts");
    const source = `import type { A } from "../../orchestrator/a.js";\nexport { B } from "../engine.js";\nconst c = await import("../../kernel/c.js");\nimport "./side.js";`;
    expect(importedLayers(file, source)).toEqual(["orchestrator", "queues", "kernel", "queues"]);
  });

  for (const [layer, forbidden] of Object.entries(FORBIDDEN)) {
    it(`${layer}/ imports nothing from ${forbidden.join(", ")}`, () => {
      const offenders: string[] = [];
      for (const file of tsFiles(join(PACKAGE_ROOT, layer))) {
        for (const target of importedLayers(file, readFileSync(file, "utf8"))) {
          if (forbidden.includes(target)) offenders.push(`${relative(PACKAGE_ROOT, file)} -> ${target}/`);
        }
      }
      expect(offenders).toEqual([]);
    });
  }
});
