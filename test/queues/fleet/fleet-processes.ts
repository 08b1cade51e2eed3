/**
 * A fleet on one machine for the fleet tests and the fleet benchmark: `conclave worker` and
 * `conclave serve` started as real child processes (bin/conclave.js from the package root) on a
 * config that serves the embedded zoo in fleet mode, plus "endless", a random-weight model that never
 * stops by itself (the zoo's answers end within milliseconds, too soon to kill or leave mid-stream).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseConfig } from "../../../orchestrator/config/load.js";
import { writeTestModel } from "../../../experts/testmodels/generate.js";
import { PACKAGE_ROOT } from "../../helpers/paths.js";

export interface Child {
  name: string;
  process: ChildProcess;
  /** Everything it printed, stdout and stderr. */
  output(): string;
  /** Resolves with the first match of `pattern` in its output; rejects if it exits first. */
  line(pattern: RegExp): Promise<RegExpMatchArray>;
  /** Undefined while it runs; else how it ended. */
  exited(): string | undefined;
  /** Ends it (SIGKILL unless told otherwise) and waits for it. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export function startConclave(name: string, args: readonly string[], env: Record<string, string>): Child {
  const child = spawn(process.execPath, ["bin/conclave.js", ...args], { cwd: PACKAGE_ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let text = "";
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    text += chunk.toString();
    for (const listener of listeners) listener();
  };
  child.stdout!.on("data", onData);
  child.stderr!.on("data", onData);
  const closed = new Promise<void>((resolve) => child.once("close", () => resolve()));
  const exited = () => (child.exitCode === null && child.signalCode === null ? undefined : `${name} exited (${child.exitCode ?? child.signalCode})`);
  child.once("close", () => listeners.forEach((listener) => listener()));
  return {
    name,
    process: child,
    output: () => text,
    exited,
    line: (pattern) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const match = pattern.exec(text);
          if (match) {
            listeners.delete(check);
            resolve(match);
          } else if (exited()) {
            listeners.delete(check);
            reject(new Error(`${exited()} before printing ${pattern}:\n${text}`));
          }
        };
        listeners.add(check);
        check();
      }),
    async stop(signal = "SIGKILL") {
      if (!exited()) child.kill(signal);
      await closed;
    },
  };
}

export interface FleetSetup {
  configPath: string;
  prefix: string;
}

/**
 * Writes the fleet config (the zoo's experts and routing, plus "endless") under `dir`. `execution`
 * "local" gives the same config for an in-process baseline.
 */
export async function writeFleetConfig(dir: string, prefix: string, options: { execution?: "fleet" | "local"; heartbeatMs?: number; endless?: boolean } = {}): Promise<FleetSetup> {
  const zoo = parseConfig({}, dir);
  const experts: unknown[] = zoo.experts.map((expert) => ({ ...expert }));
  if (options.endless ?? true) {
    const endless = await writeTestModel(join(dir, "endless.gguf"), { name: "endless", experts: 0, targetBytes: 24 * 2 ** 20, seed: 7 });
    experts.push({ id: "endless", backend: "llama", model: endless.path, contextSize: 512, sequences: 1, threads: 1, gpuLayers: 0 });
  }
  const input = {
    runtime: { gpu: false, maxThreads: 1 },
    experts,
    skills: { catalog: zoo.skills.catalog, tagger: zoo.skills.tagger },
    routing: zoo.routing,
    aggregation: zoo.aggregation,
    generation: zoo.generation,
    server: { execution: options.execution ?? "fleet", heartbeatMs: options.heartbeatMs ?? 300 },
    batches: { dir: join(dir, "batches"), queue: { prefix, lockDurationMs: 2000, stalledIntervalMs: 1000 } },
  };
  const configPath = join(dir, "conclave.json");
  await writeFile(configPath, JSON.stringify(input, null, 2));
  return { configPath, prefix };
}

/** Starts `conclave serve` on a free port and resolves with its base URL once it listens. */
export async function startApi(name: string, configPath: string, env: Record<string, string>): Promise<{ child: Child; url: string }> {
  const child = startConclave(name, ["--config", configPath, "serve", "--port", "0", "--host", "127.0.0.1"], env);
  const [, url] = await child.line(/conclave listening on (http:\/\/\S+):/);
  return { child, url: url! };
}

/** Starts `conclave worker --id <id>` and resolves once it drains. */
export async function startWorker(id: string, configPath: string, env: Record<string, string>): Promise<Child> {
  const child = startConclave(id, ["--config", configPath, "worker", "--id", id], env);
  await child.line(/conclave worker \S+ on /);
  return child;
}
