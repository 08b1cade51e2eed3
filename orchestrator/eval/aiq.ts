/**
 * RouterBench's AIQ (Average Improvement in Quality, Hu et al. 2024, §3.2): the area under a router
 * family's accuracy-cost curve over a cost range, divided by the range's width.
 *
 * The curve is the family's non-decreasing convex hull: any two operating points can be mixed (route a
 * fraction of queries each way), which gives every point on the segment between them, hence the upper
 * convex hull; and spending more can never be forced to lose accuracy, hence non-decreasing (flat
 * after the most accurate point). We also put the free, useless router (cost 0, accuracy 0) in every
 * family, so the hull is defined from cost 0 and a family that only works at high cost is charged for
 * the range where it cannot operate. The same range must be used for every family compared (we use
 * the cheapest to the dearest single expert). Pure.
 */
export interface CostPoint {
  cost: number;
  accuracy: number;
}

const cross = (o: CostPoint, a: CostPoint, b: CostPoint) => (a.cost - o.cost) * (b.accuracy - o.accuracy) - (a.accuracy - o.accuracy) * (b.cost - o.cost);

export function nonDecreasingHull(points: readonly CostPoint[]): CostPoint[] {
  const all = [{ cost: 0, accuracy: 0 }, ...points].sort((a, b) => a.cost - b.cost || b.accuracy - a.accuracy);
  const upper: CostPoint[] = [];
  for (const p of all) {
    if (upper.length > 0 && upper.at(-1)!.cost === p.cost) continue; // same cost: the first (most accurate) stays
    while (upper.length >= 2 && cross(upper.at(-2)!, upper.at(-1)!, p) >= 0) upper.pop();
    upper.push(p);
  }
  // Non-decreasing: the hull ends at its most accurate point; beyond it the curve is flat.
  let best = 0;
  upper.forEach((p, i) => {
    if (p.accuracy > upper[best]!.accuracy) best = i;
  });
  return upper.slice(0, best + 1);
}

/** The hull's accuracy at a cost: linear between vertices, flat after the last. */
export function hullAt(hull: readonly CostPoint[], cost: number): number {
  if (cost >= hull.at(-1)!.cost) return hull.at(-1)!.accuracy;
  for (let i = 1; i < hull.length; i++) {
    const a = hull[i - 1]!;
    const b = hull[i]!;
    if (cost <= b.cost) return a.accuracy + ((b.accuracy - a.accuracy) * (cost - a.cost)) / (b.cost - a.cost);
  }
  return hull.at(-1)!.accuracy;
}

/** AIQ over [minCost, maxCost]: exact integral of the piecewise-linear hull, divided by the width. */
export function aiq(points: readonly CostPoint[], minCost: number, maxCost: number): number {
  if (!(maxCost > minCost)) throw new Error("aiq needs maxCost > minCost");
  const hull = nonDecreasingHull(points);
  const cuts = [minCost, ...hull.map((p) => p.cost).filter((c) => c > minCost && c < maxCost), maxCost];
  let area = 0;
  for (let i = 1; i < cuts.length; i++) area += ((hullAt(hull, cuts[i - 1]!) + hullAt(hull, cuts[i]!)) / 2) * (cuts[i]! - cuts[i - 1]!);
  return area / (maxCost - minCost);
}
