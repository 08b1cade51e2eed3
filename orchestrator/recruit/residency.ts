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

/** An expert's state by id (a lookup, so a view over many experts allocates nothing per expert). */
export type ResidencyView = (expertId: string) => ExpertResidency | undefined;

/** A view over a plain record of states. */
export function residencyOf(states: Readonly<Record<string, ExpertResidency>>): ResidencyView {
  return (expertId) => (Object.hasOwn(states, expertId) ? states[expertId] : undefined);
}

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
 * left (ties: rank). The view comes from a thunk, called only when some candidate past the k-th is
 * within the margin (otherwise no swap can change who is chosen), so the common case costs nothing.
 * A swap pairs each expert taken from outside the plain top k with one it displaced, best first.
 */
export function preferWarm<T extends { expertId: string; suitability: number }>(
  ranked: readonly T[],
  k: number,
  residency: (() => ResidencyView) | undefined,
  margin: number,
): { chosen: T[]; swaps: ResidencySwap[] } {
  const plain = ranked.slice(0, k);
  const next = ranked[k];
  if (!residency || margin <= 0 || k < 1 || !next || next.suitability < withinMargin(plain[k - 1]!.suitability, margin)) return { chosen: plain, swaps: [] };
  const view = residency();
  const left = [...ranked];
  const picked = new Set<T>();
  while (picked.size < k && left.length > 0) {
    const floor = withinMargin(left[0]!.suitability, margin);
    let pick = 0;
    let pickWarmth = warmth(view(left[0]!.expertId));
    for (let i = 1; i < left.length && left[i]!.suitability >= floor; i++) {
      const w = warmth(view(left[i]!.expertId));
      if (w > pickWarmth) {
        pick = i;
        pickWarmth = w;
      }
    }
    picked.add(left.splice(pick, 1)[0]!);
  }
  const chosen = ranked.filter((row) => picked.has(row));
  const displaced = plain.filter((row) => !picked.has(row));
  const swaps = chosen
    .filter((row) => !plain.includes(row))
    .map((row, i): ResidencySwap => {
      const over = displaced[i]!;
      const ratio = over.suitability === 0 ? 1 : row.suitability / over.suitability;
      return {
        expertId: row.expertId,
        over: over.expertId,
        reason:
          `${describeWarmth(warmth(view(row.expertId)))}: taken over ${over.expertId} (${describeWarmth(warmth(view(over.expertId)))}, ${over.suitability.toFixed(2)}), ` +
          `${(ratio * 100).toFixed(1)}% of its suitability, within the residency margin ${margin}`,
      };
    });
  return { chosen, swaps };
}

/** The view from the scheduler's counters (structural, so recruitment imports no scheduler code). */
export function residencyFromStats(stats: {
  experts: Readonly<Record<string, { resident: boolean; loading?: boolean; inFlight: number; backlog: number; slots: number }>>;
}): ResidencyView {
  return (expertId) => {
    const e = Object.hasOwn(stats.experts, expertId) ? stats.experts[expertId] : undefined;
    return e && { resident: e.resident, pending: !e.resident && (e.loading === true || e.backlog > 0 || e.inFlight > 0), idle: e.inFlight < e.slots };
  };
}
