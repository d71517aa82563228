/**
 * Seeded zoneout masks drawn by a counter-based hash, so a kernel can draw a [T, B, H] mask inside
 * its loop (no mask tensor to generate and copy) and JavaScript can reproduce it bit for bit.
 *
 * Element n = (k·B + b)·H + j of the mask (processing step k, example b, unit j) is
 *   u = fmix32(fmix32(seed) + n·0x9E3779B9 mod 2³²)        (murmur3's finaliser over a Weyl sequence)
 *   d = 1 (keep the previous value) if (u >>> 8) < ⌊rate·2²⁴⌋, else 0
 * so P(d = 1) = ⌊rate·2²⁴⌋/2²⁴ (rate to within 6e-8). Every fast backend implements exactly this.
 */

/** murmur3's 32-bit finaliser (an invertible mix with full avalanche). */
export function fmix32(x: number): number {
  let z = x >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** The keep threshold of a rate in [0, 1]: d = 1 iff (u >>> 8) < threshold. */
export function zoneoutThreshold(rate: number): number {
  if (!(rate >= 0 && rate <= 1)) throw new Error(`zoneout rate must lie in [0, 1], got ${rate}`);
  return Math.floor(rate * 16777216);
}

/**
 * The two numbers a kernel needs for a seeded draw, derived here once for every backend (the
 * native and WebAssembly loaders pass them in): key = fmix32(seed), threshold = ⌊rate·2²⁴⌋ with
 * rate the float64 given (not rounded to float32 first).
 */
export function zoneoutDraw(seed: number, rate: number): { key: number; threshold: number } {
  return { key: fmix32(seed), threshold: zoneoutThreshold(rate) };
}

/**
 * The seeded zoneout mask [T, B, H] (1 = keep), flattened.
 * Shapes: returns a Float32Array of steps·batch·units elements in [k][b][j] order.
 */
export function zoneoutMaskFromSeed(
  seed: number,
  rate: number,
  steps: number,
  batch: number,
  units: number,
): Float32Array {
  const { key, threshold } = zoneoutDraw(seed, rate);
  const out = new Float32Array(steps * batch * units);
  for (let n = 0; n < out.length; n++) {
    const u = fmix32((key + Math.imul(n, 0x9e3779b9)) >>> 0);
    out[n] = u >>> 8 < threshold ? 1 : 0;
  }
  return out;
}
