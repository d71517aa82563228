/**
 * Gaussian dropout: y = x ⊙ ε, ε ~ N(1, p/(1 − p)).
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import * as rl from 'regulab';
import { allClose, checkGradient, expectNoLeak } from '../../../test/helpers.js';
import { meanAndStdError, roundTrip, values } from './stochastic-helpers.js';

const P = 0.2;
const SIGMA = Math.sqrt(P / (1 - P)); // 0.5

describe('rl.functional.gaussianDropout', () => {
  it('multiplies by noise of mean 1 and variance p/(1 − p) (6 standard errors on 40 000 draws)', () => {
    const n = 40_000;
    const x = tf.ones([n]);
    const y = rl.functional.gaussianDropout(x, P, true, 17);
    const v = y.dataSync();
    const { mean } = meanAndStdError(v);
    // Mean: standard error σ/√n. Sample variance of a normal: standard error σ²·sqrt(2/(n − 1)).
    expect(Math.abs(mean - 1)).toBeLessThan((6 * SIGMA) / Math.sqrt(n));
    let ss = 0;
    for (const a of v) ss += (a - mean) ** 2;
    const variance = ss / (n - 1);
    expect(Math.abs(variance - SIGMA ** 2)).toBeLessThan(6 * SIGMA ** 2 * Math.sqrt(2 / (n - 1)));
    tf.dispose([x, y]);
  });

  it('draws its noise as tf.randomNormal(shape, 1, sqrt(p/(1 − p)), seed)', () => {
    const x = tf.randomUniform([4, 6], -2, 2, 'float32', 3);
    const y = rl.functional.gaussianDropout(x, P, true, 555);
    const expected = tf.tidy(() => tf.mul(x, tf.randomNormal([4, 6], 1, SIGMA, 'float32', 555)));
    allClose(y, expected, { atol: 0, rtol: 1e-7 });
    tf.dispose([x, y, expected]);
  });

  it('is the identity at inference and at p = 0, and rejects p outside [0, 1)', () => {
    const x = tf.ones([3]);
    expect(rl.functional.gaussianDropout(x, P, false, 1)).toBe(x);
    expect(rl.functional.gaussianDropout(x, 0, true, 1)).toBe(x);
    for (const rate of [1, -0.2, 4]) {
      expect(() => rl.functional.gaussianDropout(x, rate, true, 1)).toThrow(/gaussianDropout: option 'rate'/);
    }
    x.dispose();
  });

  it('gradient matches finite differences with fixed noise (atol 2e-3, rtol 2e-2)', () => {
    const x = tf.randomNormal([3, 4], 0, 1, 'float32', 8);
    const f = (v: tf.Tensor) => tf.sum(tf.sin(rl.functional.gaussianDropout(v, 0.3, true, 2))) as tf.Scalar;
    checkGradient(f, x);
    x.dispose();
  });
});

describe('rl.layers.gaussianDropout', () => {
  it('acts only in training, draws fresh noise per call, reproducibly under a seed', () => {
    const x = tf.randomUniform([5, 6], 1, 2, 'float32', 1);
    const a = rl.layers.gaussianDropout({ rate: P, seed: 4 });
    const b = rl.layers.gaussianDropout({ rate: P, seed: 4 });
    const inference = a.apply(x) as tf.Tensor;
    allClose(inference, x, { atol: 0, rtol: 0 }, 'inference');
    const a1 = a.apply(x, { training: true }) as tf.Tensor;
    const a2 = a.apply(x, { training: true }) as tf.Tensor;
    const b1 = b.apply(x, { training: true }) as tf.Tensor;
    expect(values(a1)).not.toEqual(values(a2));
    allClose(b1, a1, { atol: 0, rtol: 0 }, 'same seed, first call');
    expect(a.seeds.state).toBe(2); // the inference call drew nothing
    // Any batch size.
    const x2 = tf.ones([9, 6]);
    const y2 = a.apply(x2, { training: true }) as tf.Tensor;
    expect(y2.shape).toEqual([9, 6]);
    tf.dispose([x, inference, a1, a2, b1, x2, y2]);
  });

  it('rejects rates outside [0, 1) (tfjs silently returns the input for them)', () => {
    for (const rate of [1, 1.5, -1]) {
      expect(() => rl.layers.gaussianDropout({ rate })).toThrow(
        `rl.layers.gaussianDropout: option 'rate' must be a number in [0, 1), got ${rate}`,
      );
    }
  });

  it('leaks no tensors', async () => {
    const layer = rl.layers.gaussianDropout({ rate: P, seed: 1 });
    const x = tf.ones([4, 4]);
    await expectNoLeak(() => (layer.apply(x, { training: true }) as tf.Tensor).dispose(), 'training call');
    await expectNoLeak(() => (layer.apply(x) as tf.Tensor).dispose(), 'inference call');
    x.dispose();
  });

  it('round-trips through model.toJSON → modelFromJSON', async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.dense({ units: 3, inputShape: [2] }),
        rl.layers.gaussianDropout({ rate: 0.1, seed: 8 }),
      ],
    });
    const restored = await roundTrip(model);
    expect(restored.layers[1]).toBeInstanceOf(rl.layers.GaussianDropout);
    expect(restored.layers[1].getConfig()).toMatchObject({ rate: 0.1, seed: 8 });
    const x = tf.randomNormal([4, 2], 0, 1, 'float32', 1);
    const [a, b] = [model.predict(x), restored.predict(x)] as tf.Tensor[];
    allClose(b, a, { atol: 1e-6, rtol: 1e-6 });
    tf.dispose([x, a, b]);
    model.dispose();
    restored.dispose();
  });
});
