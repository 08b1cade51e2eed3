/**
 * Turning suitabilities into recruit weights (positive, summing to 1), and the reason formatting the
 * strategies share.
 */

/**
 * Weights proportional to suitability. When a chosen value is <= 0 (k reached past the experts with
 * positive evidence) every value is shifted up so the lowest sits at a tenth of the spread: order is
 * kept, and the weakest recruit still counts a little instead of getting a zero or negative vote.
 * All values equal (including all zero) -> equal weights.
 */
export function suitabilityWeights(values: readonly number[]): number[] {
  if (values.length === 0) return [];
  const min = Math.min(...values);
  const max = Math.max(...values);
  if (max === min) return equalWeights(values.length);
  const shift = min > 0 ? 0 : -min + 0.1 * (max - min);
  const shifted = values.map((value) => value + shift);
  const sum = shifted.reduce((a, b) => a + b, 0);
  return shifted.map((value) => value / sum);
}

export function equalWeights(count: number): number[] {
  return Array.from({ length: count }, () => 1 / count);
}

/** Removes duplicates, keeping first occurrences in order. */
export function distinct(ids: readonly string[]): string[] {
  return [...new Set(ids)];
}

export function fixed(value: number, digits = 2): string {
  return value.toFixed(digits);
}
