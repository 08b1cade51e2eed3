/**
 * Trains zoo recipes `--jobs` at a time (default 2: one per core; each training is
 * single-threaded), each in its own process at a lower priority, logging to `<out>/<name>.log`.
 * A training that stops early (a signal) leaves its checkpoint; the next call resumes it.
 * `onDone` runs as each model is written (the build measures it then).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";

export interface TrainAllOptions {
  jobs: number;
  names: readonly string[];
  /** The grammar-trained recipes (NEXT_RECIPES) rather than the committed zoo's. */
  next?: boolean;
  steps?: number;
  checkpointEvery?: number;
  onDone?: (name: string) => Promise<void>;
}

/** Running trainings, and whether the build was asked to stop (no new training starts then). */
const running = new Set<ChildProcess>();
let stopping = false;

/** Asks every running training to checkpoint and exit, and starts no other; idempotent. */
export function stopTraining(): void {
  stopping = true;
  for (const child of running) child.kill("SIGTERM");
}

export async function trainAll(outDir: string, options: TrainAllOptions): Promise<void> {
  await mkdir(outDir, { recursive: true });
  const queue = [...options.names];
  const failures: string[] = [];
  const worker = async () => {
    for (let name = queue.shift(); name && !stopping; name = queue.shift()) {
      const log = createWriteStream(join(outDir, `${name}.log`), { flags: "a" });
      const args = [
        // node itself (not npx) so that a stop signal reaches the training directly.
        "-n", "10", process.execPath, "--import", "tsx", "zoo/train-one.ts", name, "--out", outDir,
        ...(options.next ? ["--next"] : []),
        ...(options.steps ? ["--steps", String(options.steps)] : []),
        ...(options.checkpointEvery ? ["--checkpoint-every", String(options.checkpointEvery)] : []),
      ];
      const { code, output } = await new Promise<{ code: number; output: string }>((resolve) => {
        const child = spawn("nice", args, { stdio: ["ignore", "pipe", "pipe"] });
        running.add(child);
        let output = "";
        child.stdout.pipe(log);
        child.stderr.pipe(log);
        child.stdout.on("data", (chunk: Buffer) => {
          output += chunk.toString();
          const last = chunk.toString().trim().split("\n").at(-1);
          if (last) console.log(last);
        });
        child.on("close", (status) => {
          running.delete(child);
          resolve({ code: status ?? 1, output });
        });
      });
      if (code !== 0) failures.push(`${name} (exit ${code}; see ${join(outDir, `${name}.log`)})`);
      else if (/: wrote /.test(output)) await options.onDone?.(name);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.jobs) }, worker));
  if (failures.length > 0) throw new Error(`training failed: ${failures.join(", ")}`);
}
