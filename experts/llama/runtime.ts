/**
 * One node-llama-cpp runtime per process, shared by every local expert.
 *
 * Why a singleton: `getLlama()` loads the native binding and costs ~0.7 s; every model must come from
 * the same instance to share its thread pool. llama.cpp writes the real reason of a failed load only
 * to its logger (the thrown error just says "Failed to load model"), so the runtime keeps the recent
 * warnings and errors, and `logsSince(mark)` hands a failing load the lines it produced.
 *
 * Never builds or downloads (`build: "never"`): tests and production both use the prebuilt binaries
 * that ship in the npm package.
 */
import { getLlama, LlamaLogLevel, type Llama } from "node-llama-cpp";

export interface RuntimeOptions {
  /** "auto" picks CUDA/Vulkan/Metal when present; false forces CPU. */
  gpu: "auto" | false;
  /** Upper bound on threads across all contexts; keep it at or below the core count. */
  maxThreads: number;
}

interface LogLine {
  seq: number;
  level: LlamaLogLevel;
  message: string;
}

const KEEP_LINES = 200;
let logSeq = 0;
const recentLogs: LogLine[] = [];
let runtime: { options: RuntimeOptions; llama: Promise<Llama> } | undefined;

function remember(level: LlamaLogLevel, message: string): void {
  if (level !== LlamaLogLevel.error && level !== LlamaLogLevel.warn) return;
  recentLogs.push({ seq: ++logSeq, level, message: message.trim() });
  if (recentLogs.length > KEEP_LINES) recentLogs.shift();
}

/** Returns the shared runtime, creating it on first use. Later calls with other options reuse the first. */
export function getRuntime(options: RuntimeOptions): Promise<Llama> {
  if (!runtime) {
    const llama = getLlama({
      gpu: options.gpu,
      build: "never",
      maxThreads: options.maxThreads,
      logLevel: LlamaLogLevel.warn,
      logger: remember,
      progressLogs: false,
    });
    runtime = { options, llama };
    // A failed start must not poison every later call.
    llama.catch(() => {
      runtime = undefined;
    });
  }
  return runtime.llama;
}

/** A position in the log, to ask later for what was logged after it. */
export function logMark(): number {
  return logSeq;
}

/** Warning and error lines logged after `mark`, oldest first. */
export function logsSince(mark: number): string[] {
  return recentLogs.filter((line) => line.seq > mark && line.message.length > 0).map((line) => line.message);
}

/** Releases the native runtime (tests and shutdown). Safe to call twice. */
export async function disposeRuntime(): Promise<void> {
  const current = runtime;
  runtime = undefined;
  if (!current) return;
  const llama = await current.llama.catch(() => undefined);
  await llama?.dispose();
}
