/**
 * Residency-aware choice among close candidates. Loading a model costs seconds; a difference of a
 * few percent in suitability x competence is within what a profile measured on a few hundred
 * questions can tell apart. So when candidates are within `margin` (relative) of each other, the
 * warm one is taken: resident with a free slot, then resident, then pending (not resident but it
 * already has work queued or running, so it is being loaded or will be), then cold.
 *
 * Pure: the residency is a view passed in (the router reads it from the scheduler). Input: candidates
 * ranked best first (suitability desc, then id), k, the view, the margin. Output: the k chosen, in
 * ranked order, and each swap made (who was taken over whom), for the trace. Margin 0 or no view
 * gives exactly the first k.
 */

/** What recruitment may know of an expert's state; an expert missing from the view is cold. */
export interface ExpertResidency {
  resident: boolean;
  /** Not resident but with work queued or running: loading now or about to. */
  pending?: boolean;
  /** A free slot right now. */
  idle?: boolean;
}

export type ResidencyView = Readonly<Record<string, ExpertResidency>>;

export interface ResidencySwap {
  /** The expert taken. */
  expertId: string;
  /** The better-ranked expert it was taken over. */
  over: string;
  reason: string;
}

export function warmth(state: ExpertResidency | undefined): number {
  if (!state) return 0;
  if (state.resident) return state.idle === false ? 2 : 3;
  return state.pending ? 1 : 0;
}

export function describeWarmth(level: number): string {
  return ["cold", "pending", "resident (busy)", "resident"][level]!;
}

/** The lowest value still within `margin` (relative) of `best`. */
export function withinMargin(best: number, margin: number): number {
  return best - margin * Math.abs(best);
}

/**
 * Picks k of `ranked` greedily: each pick is the warmest candidate within the margin of the best one
 * left (ties: rank). A swap is recorded when the pick is not the best one left.
 */
export function preferWarm<T extends { expertId: string; suitability: number }>(
  ranked: readonly T[],
  k: number,
  residency: ResidencyView | undefined,
  margin: number,
): { chosen: T[]; swaps: ResidencySwap[] } {
  if (!residency || margin <= 0) return { chosen: ranked.slice(0, k), swaps: [] };
  const left = [...ranked];
  const picked = new Set<T>();
  const swaps: ResidencySwap[] = [];
  while (picked.size < k && left.length > 0) {
    const best = left[0]!;
    const floor = withinMargin(best.suitability, margin);
    let pick = 0;
    let pickWarmth = warmth(residency[best.expertId]);
    for (let i = 1; i < left.length && left[i]!.suitability >= floor; i++) {
      const w = warmth(residency[left[i]!.expertId]);
      if (w > pickWarmth) {
        pick = i;
        pickWarmth = w;
      }
    }
    const chosen = left.splice(pick, 1)[0]!;
    picked.add(chosen);
    if (chosen !== best) {
      const ratio = best.suitability === 0 ? 1 : chosen.suitability / best.suitability;
      swaps.push({
        expertId: chosen.expertId,
        over: best.expertId,
        reason: `${describeWarmth(pickWarmth)}: taken over ${best.expertId} (${describeWarmth(warmth(residency[best.expertId]))}, ${best.suitability.toFixed(2)}), ${(ratio * 100).toFixed(1)}% of its suitability, within the residency margin ${margin}`,
      });
    }
  }
  return { chosen: ranked.filter((row) => picked.has(row)), swaps };
}

/** The view from the scheduler's counters (structural, so recruitment imports no scheduler code). */
export function residencyFromStats(stats: {
  experts: Readonly<Record<string, { resident: boolean; inFlight: number; backlog: number; slots: number }>>;
}): ResidencyView {
  const view: Record<string, ExpertResidency> = {};
  for (const [id, e] of Object.entries(stats.experts)) {
    view[id] = { resident: e.resident, pending: !e.resident && (e.backlog > 0 || e.inFlight > 0), idle: e.inFlight < e.slots };
  }
  return view;
}
