/**
 * Seeded Bernoulli masks (src/fused/alea-mask.ts, native/src/uniform_mask.cc, seededMaskValues):
 * - golden: bit for bit tfjs's `mul(cast(less(randomUniform([n], 0, 1, 'float32', seed), keep),
 *   'float32'), value)` (tfjs computes the reference here, in the test) for several seeds (integers,
 *   0, a fraction and a string, all hashed as their string), keeps and values, with the JavaScript
 *   and the native draw, from 1 to 100,003 elements;
 * - structural: a state continues where it stopped (n₁ then n₂ draws equal n₁ + n₂ at once);
 * - statistical: the kept fraction of 200,000 draws lies within 5σ of keep (σ = √(k(1 − k)/n),
 *   ≤ 0.0056 for keep 0.3);
 * - errors: the native call refuses a state that is not 4 values.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { seededMaskValues } from '../src/dispatch.js';
import { aleaState, jsUniformMask } from '../src/fused/alea-mask.js';
import type { UniformMask } from '../src/fused/impl.js';
import { loadNativeBinding } from '../src/native/binding.js';
import { nativeImpl } from '../src/native/native-impl.js';

const { binding } = loadNativeBinding();
const draws: { name: string; draw: UniformMask }[] = [{ name: 'plain JS', draw: jsUniformMask }];
if (binding !== null) draws.push({ name: 'native', draw: nativeImpl(binding).uniformMask! });

const bits = (a: Float32Array) => Array.from(new Uint32Array(a.slice().buffer));

/** tfjs's own ops: the reference. */
function tfjsMask(n: number, keep: number, value: number, seed: number | string): Float32Array {
  return tf.tidy(() => {
    const u = tf.randomUniform([n], 0, 1, 'float32', seed as number);
    return tf.mul(tf.cast(tf.less(u, keep), 'float32'), value).dataSync() as Float32Array;
  });
}

const CASES: [number, number, number, number | string][] = [
  // n, keep, value, seed
  [1, 0.5, 1, 1],
  [7, 0.9, 1 / 0.9, 42],
  [1000, 0.2, 1 / 0.2, 0],
  [4099, 0.5, 2, 1.5],
  [100_003, 0.7, 1 / 0.7, 123456789],
  [513, 0.35, 1, 'abc'],
];

describe('seeded Bernoulli masks with tfjs randomUniform bits', () => {
  for (const { name, draw } of draws)
    it(`equal tfjs's ops bit for bit (${name})`, () => {
      for (const [n, keep, value, seed] of CASES) {
        const got = new Float32Array(n);
        draw(aleaState(seed), keep, value, got);
        expect(bits(got), `n ${n}, keep ${keep}, seed ${seed}`).toEqual(bits(tfjsMask(n, keep, value, seed)));
      }
    });

  for (const { name, draw } of draws)
    it(`continue a state where it stopped (${name})`, () => {
      const whole = new Float32Array(3000);
      draw(aleaState(7), 0.5, 1, whole);
      const state = aleaState(7);
      const first = new Float32Array(1234);
      const rest = new Float32Array(3000 - 1234);
      draw(state, 0.5, 1, first);
      draw(state, 0.5, 1, rest);
      expect(bits(Float32Array.of(...first, ...rest))).toEqual(bits(whole));
    });

  it('seededMaskValues gives the same bits as tfjs, and keeps about keep of the draws', () => {
    expect(bits(seededMaskValues(3 * 5 * 7, 0.6, 1 / 0.6, 11))).toEqual(
      bits(tfjsMask(105, 0.6, 1 / 0.6, 11)),
    );
    const n = 200_000;
    const keep = 0.3;
    const kept = seededMaskValues(n, keep, 1, 5).reduce((a, b) => a + b, 0) / n;
    expect(Math.abs(kept - keep)).toBeLessThan(5 * Math.sqrt((keep * (1 - keep)) / n));
  });

  it.skipIf(binding === null)('native refuses a state that is not 4 values', () => {
    expect(() => binding!.uniformMask(new Float64Array(3), 0.5, 1, new Float32Array(4))).toThrow(
      /uniformMask: state must hold 4 values \(s0, s1, s2, c\), got 3/,
    );
  });
});
