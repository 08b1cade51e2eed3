/**
 * Trains every zoo recipe, `--jobs` at a time (default 2: one per core; each training is
 * single-threaded), each in its own process, logging to `<out>/<name>.log`.
 */
import { spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { ZOO_RECIPES } from "./recipes.js";

export async function trainAll(outDir: string, jobs: number, names: readonly string[] = ZOO_RECIPES.map((r) => r.name), steps?: number): Promise<void> {
  await mkdir(outDir, { recursive: true });
  const queue = [...names];
  const failures: string[] = [];
  const worker = async () => {
    for (let name = queue.shift(); name; name = queue.shift()) {
      const log = createWriteStream(join(outDir, `${name}.log`));
      const args = ["tsx", "zoo/train-one.ts", name, "--out", outDir, ...(steps ? ["--steps", String(steps)] : [])];
      const code = await new Promise<number>((resolve) => {
        const child = spawn("npx", args, { stdio: ["ignore", "pipe", "pipe"] });
        child.stdout.pipe(log);
        child.stderr.pipe(log);
        child.stdout.on("data", (chunk: Buffer) => {
          const last = chunk.toString().trim().split("\n").at(-1);
          if (last) console.log(last);
        });
        child.on("close", (status) => resolve(status ?? 1));
      });
      if (code !== 0) failures.push(`${name} (exit ${code}; see ${join(outDir, `${name}.log`)})`);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, jobs) }, worker));
  if (failures.length > 0) throw new Error(`training failed: ${failures.join(", ")}`);
}
