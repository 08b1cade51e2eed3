/**
 * Statistics for benchmarks that must hold on a shared, noisy machine.
 *
 * - `interleave(systems, slices, run)` runs every system once per slice, in forward order on even
 *   slices and backward on odd ones, so a noisy moment lands on all systems alike and none is always
 *   first. It returns, per system, one value (of any shape) per slice.
 * - `spread(values)` gives the median, min, max and quartiles of one figure over the slices.
 * - `ratios(a, b)` gives the same for the per-slice ratio a[i] / b[i]: slice i of every system ran
 *   back to back, so the ratio cancels most of the drift between slices, which a ratio of two
 *   medians would not.
 * - `verdict(r)` says whether a ratio differs from 1 by more than its spread: only when every slice
 *   points the same way (min > 1 or max < 1). With 5 slices and no real difference that happens by
 *   chance with probability 2/32, so the default is at least 5 slices.
 * - `machine()` records the load average (and cores) next to the figures in the JSON.
 *
 * Pure except `interleave` (which awaits the caller's effects) and `machine` (reads os).
 */
import { cpus, loadavg } from "node:os";

/** The default and smallest sensible number of interleaved slices. */
export const DEFAULT_SLICES = 5;

export interface Spread {
  n: number;
  median: number;
  min: number;
  max: number;
  /** First and third quartiles (linear interpolation). */
  q1: number;
  q3: number;
}

export interface Verdict {
  /** "higher": every slice's ratio > 1; "lower": every one < 1; "within noise" otherwise. */
  direction: "higher" | "lower" | "within noise";
  /** True when the difference is larger than the spread of the slices. */
  significant: boolean;
}

/** Quantile q (0..1) of ascending `sorted`, interpolated linearly between ranks. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const position = (sorted.length - 1) * q;
  const low = Math.floor(position);
  const high = Math.ceil(position);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (position - low);
}

/** Nearest-rank percentile p (0..100) of ascending `sorted`: a value that was observed. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1]!;
}

export function spread(values: readonly number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    n: sorted.length,
    median: quantile(sorted, 0.5),
    min: sorted[0] ?? NaN,
    max: sorted[sorted.length - 1] ?? NaN,
    q1: quantile(sorted, 0.25),
    q3: quantile(sorted, 0.75),
  };
}

/** The spread of the per-slice ratios a[i] / b[i]. */
export function ratios(a: readonly number[], b: readonly number[]): Spread {
  if (a.length !== b.length) throw new Error(`ratios: ${a.length} slices against ${b.length}`);
  return spread(a.map((value, i) => value / b[i]!));
}

export function verdict(ratio: Spread): Verdict {
  if (ratio.min > 1) return { direction: "higher", significant: true };
  if (ratio.max < 1) return { direction: "lower", significant: true };
  return { direction: "within noise", significant: false };
}

/** A ratio's summary for JSON: median, range, quartiles and the verdict. */
export function ratioReport(a: readonly number[], b: readonly number[]): Spread & Verdict {
  const ratio = ratios(a, b);
  return { ...ratio, ...verdict(ratio) };
}

/** "1.02x [0.97-1.08], within noise" (or "higher"/"lower" when every slice agrees). */
export function formatRatio(ratio: Spread, digits = 2): string {
  const v = verdict(ratio);
  return `${ratio.median.toFixed(digits)}x [${ratio.min.toFixed(digits)}-${ratio.max.toFixed(digits)}], ${v.direction}${v.significant ? " (beyond the spread)" : ""}`;
}

/** "12.3 [11.9-13.0]": median and range. */
export function formatSpread(s: Spread, digits = 1): string {
  return `${s.median.toFixed(digits)} [${s.min.toFixed(digits)}-${s.max.toFixed(digits)}]`;
}

/**
 * Runs `run(system, slice)` for every slice and system, interleaved (forward on even slices,
 * backward on odd ones). Returns each system's per-slice results in slice order.
 */
export async function interleave<S, R>(systems: readonly S[], slices: number, run: (system: S, slice: number) => Promise<R>): Promise<Map<S, R[]>> {
  if (!Number.isInteger(slices) || slices < 1) throw new Error(`interleave: slices must be a positive integer, got ${slices}`);
  const results = new Map<S, R[]>(systems.map((system) => [system, []]));
  for (let slice = 0; slice < slices; slice++) {
    const order = slice % 2 === 0 ? systems : [...systems].reverse();
    for (const system of order) results.get(system)!.push(await run(system, slice));
  }
  return results;
}

/** The machine's state, for the bench JSON: figures from a loaded machine read differently. */
export function machine(): { cpu: string; cores: number; node: string; loadavg: number[] } {
  return {
    cpu: cpus()[0]?.model ?? "unknown",
    cores: cpus().length,
    node: process.version,
    loadavg: loadavg().map((value) => Number(value.toFixed(2))),
  };
}
