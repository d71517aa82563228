/**
 * Seeded Bernoulli masks with exactly the bits of tfjs's `cast(less(randomUniform(shape, 0, 1,
 * 'float32', seed), keep), 'float32')` (times a value), drawn in one pass instead of four: tfjs
 * draws the uniforms in JavaScript, one call through its generator per element, then runs Less,
 * Cast and Multiply over the whole tensor (in mlp-step's two dropout layers, ~2.5 of ~15 ms).
 *
 * tfjs's uniforms come from Baagoe's Alea (seedrandom's `alea`, seeded with the seed's string):
 *
 *   t = 2091639·s₀ + c·2⁻³²,   c ← ⌊t⌋,   (s₀, s₁, s₂) ← (s₁, s₂, t − c),   u = s₂
 *
 * Every s is a multiple of 2⁻³² in [0, 1) and 2091639·2³² < 2⁵³, so each step is exact in float64
 * and equals the integer multiply-with-carry X ← (a·X₋₃ + C) mod 2³², C ← ⌊(a·X₋₃ + C)/2³²⌋,
 * s = X·2⁻³². The native addon runs that integer form (the carry chain is one add and one shift,
 * where the float64 form waits on a multiply, an add and two conversions per element); JavaScript
 * runs the float64 form. Both give the same bits.
 *
 *   mask[i] = u_i < fround(keep) ? fround(value) : 0   (u_i rounded to float32 first, as tfjs stores it)
 *
 * Shapes: a mask of n elements is the first n uniforms of the seed, in row-major order, as
 * tfjs's randomUniform fills its buffer.
 */
import type { UniformMask } from './impl.js';

/** Alea's seeding hash (Baagoe's Mash), fed the characters of `data` one after another. */
function mash(): (data: string) => number {
  let n = 0xefc8249d;
  return (data) => {
    for (let i = 0; i < data.length; i++) {
      n += data.charCodeAt(i);
      let h = 0.02519603282416938 * n;
      n = h >>> 0;
      h -= n;
      h *= n;
      n = h >>> 0;
      h -= n;
      n += h * 0x100000000;
    }
    return (n >>> 0) * 2.3283064365386963e-10;
  };
}

/**
 * Alea's state [s₀, s₁, s₂, c] for a seed, as tfjs seeds it (`seed.toString()` of a number seed).
 * The returned array is what UniformMask continues and updates.
 */
export function aleaState(seed: number | string): Float64Array {
  const m = mash();
  const s = [m(' '), m(' '), m(' ')];
  const key = String(seed);
  for (let i = 0; i < 3; i++) {
    s[i] -= m(key);
    if (s[i] < 0) s[i] += 1;
  }
  return Float64Array.of(s[0], s[1], s[2], 1);
}

/** UniformMask in JavaScript: Alea's float64 steps, as tfjs runs them. */
export const jsUniformMask: UniformMask = (state, keep, value, out) => {
  let [s0, s1, s2, c] = state;
  const k = Math.fround(keep);
  const v = Math.fround(value);
  for (let i = 0; i < out.length; i++) {
    const t = 2091639 * s0 + c * 2.3283064365386963e-10;
    s0 = s1;
    s1 = s2;
    c = t | 0;
    s2 = t - c;
    out[i] = +(Math.fround(s2) < k) * v; // no branch: the test is a coin toss
  }
  state.set([s0, s1, s2, c]);
};
