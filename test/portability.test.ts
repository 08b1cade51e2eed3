/**
 * A checkout must work in any folder: no source, test, bench or config file may name an absolute
 * path of the machine it was written on (a home, a work folder, a system binary). Paths are resolved
 * from `import.meta.url` or the package root, binaries from PATH.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { PACKAGE_ROOT } from "./helpers/paths.js";

const SKIPPED_DIRS = new Set(["node_modules", ".git", ".cache", "dist", "coverage", "tmp"]);
const CHECKED = /\.(ts|js|mjs|cjs|json|ya?ml)$/;
// Built from parts so that this file does not match itself.
const ROOTS = ["work", "root", "home", "Users", "usr", "opt", "tmp", "var", "srv", "mnt"];
const ABSOLUTE_LITERAL = new RegExp(`["'\`]/(${ROOTS.join("|")})/`);

function* sourceFiles(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRS.has(entry.name)) yield* sourceFiles(join(dir, entry.name));
    } else if (CHECKED.test(entry.name) && !entry.name.endsWith(".lock") && entry.name !== "package-lock.json") {
      yield join(dir, entry.name);
    }
  }
}

/** Lines of `text` that hold a string literal starting with a machine path. */
export function absolutePathLines(text: string): number[] {
  return text.split("\n").flatMap((line, i) => (ABSOLUTE_LITERAL.test(line) ? [i + 1] : []));
}

describe("portability", () => {
  it("the pattern catches machine paths and leaves container and URL paths alone", () => {
    expect(absolutePathLines(`spawn(x, { cwd: "/${"work"}/main" })`)).toEqual([1]);
    expect(absolutePathLines(`startRedis("/${"usr"}/bin/redis-server")`)).toEqual([1]);
    expect(absolutePathLines(`ok\nconst f = '/${"home"}/me/model.gguf'`)).toEqual([2]);
    expect(absolutePathLines(`volumes: ["./models:/models", "/data/batches"]\nurl: "/v1/chat/completions"`)).toEqual([]);
  });

  it("no source, test, bench or config file names an absolute path of this machine", () => {
    const offenders: string[] = [];
    for (const file of sourceFiles(PACKAGE_ROOT)) {
      for (const line of absolutePathLines(readFileSync(file, "utf8"))) offenders.push(`${relative(PACKAGE_ROOT, file)}:${line}`);
    }
    expect(offenders).toEqual([]);
  });
});
