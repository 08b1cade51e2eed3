/**
 * External programs a test tier needs (redis-server, chromium): found from an environment variable
 * naming the binary, else by name on PATH, never at an absolute path of one machine. Where none is
 * found, `requiredBinary()` says in one line what to install and the tier is skipped; under CI=true a
 * missing program is an error, so CI never passes by skipping a tier.
 */
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

export interface BinarySpec {
  /** The environment variable that names the binary (wins over PATH). */
  envVar: string;
  /** Names to look for on PATH, in order. */
  names: readonly string[];
  /** What the tier is, for the skip line ("the queue tests"). */
  tier: string;
  /** What to install or set, in words. */
  installHint: string;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The env variable's binary if executable, else the first name found on PATH; undefined when none. */
export function findBinary(spec: Pick<BinarySpec, "envVar" | "names">, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const named = env[spec.envVar];
  if (named) return isExecutable(named) ? named : undefined;
  for (const name of spec.names) {
    for (const dir of (env["PATH"] ?? "").split(delimiter)) {
      if (dir && isExecutable(join(dir, name))) return join(dir, name);
    }
  }
  return undefined;
}

const warned = new Set<string>();

/** The binary for this run's tier, or undefined to skip it (after one line). Throws under CI=true. */
export function requiredBinary(spec: BinarySpec, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const binary = findBinary(spec, env);
  if (binary) return binary;
  if (env["CI"] === "true") throw new Error(`${spec.installHint}; CI=true requires ${spec.tier} to run`);
  if (!warned.has(spec.tier)) {
    warned.add(spec.tier);
    console.warn(`skipping ${spec.tier}: ${spec.installHint}`);
  }
  return undefined;
}
