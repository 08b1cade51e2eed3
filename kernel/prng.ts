/**
 * A small seeded PRNG, for everything that must come out the same on every run and machine
 * (Math.random cannot be seeded): sampled recruitment (same seed and question, same recruits) and
 * the weights of generated test models.
 */

/** FNV-1a, 32-bit: a stable hash of a string. */
export function hashString(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** mulberry32: returns a generator of floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A generator seeded by the config seed and the key (question text) together. */
export function seededRandom(seed: number, key = ""): () => number {
  // Hashing both as one string mixes every bit of the seed, however large or negative it is.
  return mulberry32(hashString(`${seed}\u0000${key}`));
}
