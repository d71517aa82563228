/**
 * Seeded per-step recurrent dropout masks (recurrentDropoutMask 'step': Gal's mask on h_{t−1} or
 * Semeniuta's on the candidate, a fresh one every step), drawn by the counter-based hash of
 * ./zoneout-hash.ts so a kernel can draw a [T, B, H] mask itself from the seed (no mask tensor to
 * generate and copy in) and JavaScript can reproduce it bit for bit.
 *
 * Element n = (k·B + b)·H + j of the mask (processing step k, example b, unit j) is
 *   u = fmix32(fmix32(seed) + n·0x9E3779B9 mod 2³²)
 *   m = 0 (dropped) if (u >>> 8) < ⌊p·2²⁴⌋, else s = fround(1/(1 − p))   (inverted dropout)
 * so P(m = 0) = ⌊p·2²⁴⌋/2²⁴ (p to within 6e-8), E[m] = 1 to within float32 rounding. The drop
 * test is zoneout's keep test: the same seed and rate drop exactly where zoneout would keep.
 * Every fast backend implements exactly this (native: dropout_fill in native/src/kernels.inc;
 * WebAssembly: dropoutFill in wasm/assembly/hash.ts).
 */
import { fmix32, zoneoutDraw } from './zoneout-hash.js';

/** What a kernel needs for a seeded dropout draw: key = fmix32(seed), threshold = ⌊p·2²⁴⌋, scale = fround(1/(1 − p)). */
export function dropoutDraw(seed: number, rate: number): { key: number; threshold: number; scale: number } {
  if (!(rate >= 0 && rate < 1)) throw new Error(`dropout rate must lie in [0, 1), got ${rate}`);
  return { ...zoneoutDraw(seed, rate), scale: Math.fround(1 / (1 - rate)) };
}

/**
 * The seeded dropout mask [T, B, H] (0 or 1/(1 − p)), flattened.
 * Shapes: returns a Float32Array of steps·batch·units elements in [k][b][j] order.
 */
export function dropoutMaskFromSeed(
  seed: number,
  rate: number,
  steps: number,
  batch: number,
  units: number,
): Float32Array {
  const { key, threshold, scale } = dropoutDraw(seed, rate);
  const out = new Float32Array(steps * batch * units);
  for (let n = 0; n < out.length; n++) {
    const u = fmix32((key + Math.imul(n, 0x9e3779b9)) >>> 0);
    out[n] = u >>> 8 < threshold ? 0 : scale;
  }
  return out;
}
