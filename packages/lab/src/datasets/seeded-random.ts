/**
 * A small, fast, seeded pseudo-random generator for data order (shuffles, permutations). Not for
 * masks: those come from the layers' own seed streams. Same seed → same sequence, on every platform.
 */

/** Mixes any number of 32-bit integers into one well-spread 32-bit seed (MurmurHash3 finaliser). */
export function mixSeeds(...parts: number[]): number {
  let h = 0x6a09e667;
  for (const p of parts) {
    h = Math.imul(h ^ (p >>> 0), 0x9e3779b1);
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

/** mulberry32: returns a function giving uniform floats in [0, 1). */
export function uniformGenerator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher–Yates shuffle of 0 … n−1 driven by `uniformGenerator(seed)`. */
export function randomPermutation(n: number, seed: number): Uint32Array {
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  const rand = uniformGenerator(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = out[i]!;
    out[i] = out[j]!;
    out[j] = t;
  }
  return out;
}
