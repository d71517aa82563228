/**
 * Alpha dropout: keeps zero mean and unit variance for SELU networks.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import * as rl from 'regulab';
import { allClose, checkGradient, expectNoLeak } from '../../../test/helpers.js';
import { meanAndStdError, roundTrip, sixSigmaFraction, values } from './stochastic-helpers.js';

const P = 0.2;
const ALPHA_PRIME = -1.6732632423543772 * 1.0507009873554805;

describe('rl.functional.alphaDropout', () => {
  it('affine correction restores zero mean and unit variance (moments of x′ for x ~ N(0, 1))', () => {
    // x′ = x·m + α′(1 − m): E[x′] = p·α′ and Var[x′] = (1 − p)(1 + p·α′²), so a·x′ + b is
    // standardized exactly when a²·Var[x′] = 1 and a·E[x′] + b = 0.
    for (const p of [0.05, 0.2, 0.5, 0.9]) {
      const { a, b } = rl.functional.alphaDropoutAffine(p);
      expect(a * a * (1 - p) * (1 + p * ALPHA_PRIME ** 2)).toBeCloseTo(1, 12);
      expect(a * p * ALPHA_PRIME + b).toBeCloseTo(0, 12);
    }
    const identity = rl.functional.alphaDropoutAffine(0);
    expect([identity.a, identity.b + 0]).toEqual([1, 0]);
  });

  it('outputs a·x + b where kept and a·α′ + b where dropped; drops a fraction p (6σ bound)', () => {
    const n = 20_000;
    const x = tf.randomNormal([n], 0, 1, 'float32', 2);
    const y = rl.functional.alphaDropout(x, P, true, 9);
    const { a, b } = rl.functional.alphaDropoutAffine(P);
    const xs = values(x);
    const droppedValue = a * ALPHA_PRIME + b;
    let dropped = 0;
    const wrong: number[] = [];
    values(y).forEach((v, i) => {
      if (Math.abs(v - droppedValue) <= 1e-5) dropped++;
      else if (Math.abs(v - (a * xs[i] + b)) > 1e-5) wrong.push(i);
    });
    expect(wrong, 'elements that are neither a·x + b nor a·α′ + b').toEqual([]);
    // (A kept input within 1e-5/a of α′ would count as dropped: probability ≈ 1e-6 per element.)
    expect(Math.abs(dropped / n - P)).toBeLessThan(sixSigmaFraction(P, n));
    tf.dispose([x, y]);
  });

  it('keeps zero mean and unit variance of standard-normal inputs (6 standard errors, 40 000 draws)', () => {
    const n = 40_000;
    const x = tf.randomNormal([n], 0, 1, 'float32', 3);
    const y = rl.functional.alphaDropout(x, P, true, 4);
    const v = y.dataSync();
    const { mean, se } = meanAndStdError(v);
    expect(Math.abs(mean)).toBeLessThan(6 * se);
    // The variance's bound uses the standard error of the mean of (y − ȳ)², estimated from the sample.
    const sq = Float64Array.from(v, (a) => (a - mean) ** 2);
    const variance = meanAndStdError(sq);
    expect(Math.abs(variance.mean - 1)).toBeLessThan(6 * variance.se);
    tf.dispose([x, y]);
  });

  it('shares draws along noise-shape axes of size 1 and is the identity at inference', () => {
    const x = tf.randomNormal([12, 10], 0, 1, 'float32', 5);
    const y = rl.functional.alphaDropout(x, 0.5, true, 6, [null, 1]);
    const { a, b } = rl.functional.alphaDropoutAffine(0.5);
    const rows = y.arraySync() as number[][];
    const droppedPerRow = rows.map(
      (row) => row.filter((v) => Math.abs(v - (a * ALPHA_PRIME + b)) < 1e-5).length,
    );
    // One draw per row: every entry of a row is dropped, or none is.
    for (const count of droppedPerRow) expect([0, 10]).toContain(count);
    expect(rl.functional.alphaDropout(x, 0.5, false, 6)).toBe(x);
    tf.dispose([x, y]);
  });

  it('gradient matches finite differences with a fixed mask (atol 2e-3, rtol 2e-2)', () => {
    const x = tf.randomNormal([3, 4], 0, 1, 'float32', 7);
    const f = (v: tf.Tensor) => tf.sum(tf.square(rl.functional.alphaDropout(v, 0.3, true, 8))) as tf.Scalar;
    checkGradient(f, x);
    x.dispose();
  });
});

describe('rl.layers.alphaDropout', () => {
  it('acts only in training, fresh per call, reproducible under a seed, any batch size', () => {
    const layer = rl.layers.alphaDropout({ rate: P, seed: 12, noiseShape: [null, 1] });
    const stream = new rl.SeedStream(12);
    const x = tf.randomNormal([6, 5], 0, 1, 'float32', 1);
    const inference = layer.apply(x) as tf.Tensor;
    allClose(inference, x, { atol: 0, rtol: 0 }, 'inference');
    const y1 = layer.apply(x, { training: true }) as tf.Tensor;
    const y2 = layer.apply(x, { training: true }) as tf.Tensor;
    const e1 = rl.functional.alphaDropout(x, P, true, stream.next(), [null, 1]);
    allClose(y1, e1, { atol: 0, rtol: 0 }, 'call 1 = seed stream');
    expect(values(y1)).not.toEqual(values(y2));
    const x2 = tf.randomNormal([11, 5], 0, 1, 'float32', 2); // tfjs's alphaDropout cannot change B with a noise shape
    const y3 = layer.apply(x2, { training: true }) as tf.Tensor;
    expect(y3.shape).toEqual([11, 5]);
    tf.dispose([x, inference, y1, y2, e1, x2, y3]);
  });

  it('rejects bad rates and noise shapes naming the layer', () => {
    for (const rate of [1, -0.3]) {
      expect(() => rl.layers.alphaDropout({ rate })).toThrow(
        `rl.layers.alphaDropout: option 'rate' must be a number in [0, 1), got ${rate}`,
      );
    }
    expect(() => rl.layers.alphaDropout({ rate: 0.1, noiseShape: [-1] })).toThrow(
      /alphaDropout: option 'noiseShape'/,
    );
    const layer = rl.layers.alphaDropout({ rate: 0.1, noiseShape: [null, 2] });
    const x = tf.ones([2, 3]);
    expect(() => layer.apply(x, { training: true })).toThrow(/alphaDropout: option 'noiseShape'/);
    x.dispose();
  });

  it('leaks no tensors', async () => {
    const layer = rl.layers.alphaDropout({ rate: P, seed: 1 });
    const x = tf.ones([4, 4]);
    await expectNoLeak(() => (layer.apply(x, { training: true }) as tf.Tensor).dispose(), 'training call');
    await expectNoLeak(() => (layer.apply(x) as tf.Tensor).dispose(), 'inference call');
    x.dispose();
  });

  it('round-trips with its noise shape (tfjs loses it)', async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.dense({ units: 3, inputShape: [2], activation: 'selu', kernelInitializer: 'leCunNormal' }),
        rl.layers.alphaDropout({ rate: 0.1, seed: 8, noiseShape: [null, 1] }),
      ],
    });
    const restored = await roundTrip(model);
    expect(restored.layers[1]).toBeInstanceOf(rl.layers.AlphaDropout);
    expect(restored.layers[1].getConfig()).toMatchObject({ rate: 0.1, seed: 8, noiseShape: [null, 1] });
    const x = tf.randomNormal([4, 2], 0, 1, 'float32', 1);
    const [a, b] = [model.predict(x), restored.predict(x)] as tf.Tensor[];
    allClose(b, a, { atol: 1e-6, rtol: 1e-6 });
    tf.dispose([x, a, b]);
    model.dispose();
    restored.dispose();
  });
});
