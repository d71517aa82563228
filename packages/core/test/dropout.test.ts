/**
 * Inverted dropout: rl.functional.dropout and rl.layers.dropout.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import * as rl from 'regulab';
import { allClose, checkGradient, expectNoLeak } from '../../../test/helpers.js';
import { meanAndStdError, roundTrip, sixSigmaFraction, values, zeroFraction } from './stochastic-helpers.js';

const P = 0.3;

/** Inputs in [1, 2): never 0, so a 0 in the output is a dropped element. */
function positive(shape: number[], seed = 1): tf.Tensor {
  return tf.randomUniform(shape, 1, 2, 'float32', seed);
}

describe('rl.functional.dropout', () => {
  it('outputs are exactly 0 or x/(1 − p)', () => {
    const x = positive([50, 40]);
    const y = rl.functional.dropout(x, P, true, 11);
    const xs = values(x);
    values(y).forEach((v, i) => {
      if (v !== 0) expect(Math.abs(v - xs[i] / (1 - P))).toBeLessThanOrEqual(1e-6 * xs[i]);
    });
    tf.dispose([x, y]);
  });

  it('drops a fraction p of the elements (6σ binomial bound)', () => {
    const n = 40_000;
    const x = tf.ones([n]);
    const y = rl.functional.dropout(x, P, true, 5);
    expect(Math.abs(zeroFraction(y) - P)).toBeLessThan(sixSigmaFraction(P, n));
    tf.dispose([x, y]);
  });

  it('preserves the expectation: mean of x⊙m/(1 − p) over 40 000 draws is x (6 standard errors)', () => {
    const n = 40_000;
    const x = tf.fill([n], 2.5);
    const y = rl.functional.dropout(x, P, true, 6);
    // Var[y_i] = 2.5²·p/(1 − p), so the sample mean has standard error 2.5·sqrt(p/((1 − p)n)) ≈ 0.008.
    const { mean } = meanAndStdError(y.dataSync());
    expect(Math.abs(mean - 2.5)).toBeLessThan(6 * 2.5 * Math.sqrt(P / ((1 - P) * n)));
    tf.dispose([x, y]);
  });

  it('draws its mask as uniform(seed) < 1 − p, scaled by 1/(1 − p)', () => {
    // The documented rule, recomputed from tfjs's seeded uniform draw itself.
    const x = positive([6, 7]);
    const y = rl.functional.dropout(x, P, true, 1234);
    const u = tf.randomUniform([6, 7], 0, 1, 'float32', 1234);
    const expected = tf.tidy(() => tf.mul(x, tf.div(tf.cast(tf.less(u, 1 - P), 'float32'), 1 - P)));
    allClose(y, expected, { atol: 0, rtol: 1e-6 }, 'seeded mask');
    tf.dispose([x, y, u, expected]);
  });

  it('is the identity at inference and for p = 0', () => {
    const x = positive([3, 4]);
    expect(rl.functional.dropout(x, P, false, 1)).toBe(x);
    expect(rl.functional.dropout(x, 0, true, 1)).toBe(x);
    x.dispose();
  });

  it('shares one draw along the axes where the noise shape is 1', () => {
    const x = positive([8, 5, 6]);
    const y = rl.functional.dropout(x, 0.5, true, 3, [null, 1, null]);
    const a = y.arraySync() as number[][][];
    for (let b = 0; b < 8; b++)
      for (let f = 0; f < 6; f++) {
        const dropped = a[b][0][f] === 0;
        for (let t = 1; t < 5; t++) expect(a[b][t][f] === 0).toBe(dropped);
      }
    tf.dispose([x, y]);
  });

  it('gradient matches finite differences with a fixed mask (atol 2e-3, rtol 2e-2)', () => {
    const x = tf.randomNormal([4, 5], 0, 1, 'float32', 2);
    const w = tf.randomNormal([4, 5], 0, 1, 'float32', 3);
    const f = (v: tf.Tensor) =>
      tf.sum(tf.mul(tf.square(rl.functional.dropout(v, 0.4, true, 77)), w)) as tf.Scalar;
    checkGradient(f, x);
    // Dropped elements get exactly zero gradient.
    const g = tf.grad(f)(x);
    const y = rl.functional.dropout(x, 0.4, true, 77);
    const gs = values(g);
    values(y).forEach((v, i) => {
      if (v === 0) expect(gs[i] === 0, `gradient at dropped element ${i}`).toBe(true);
    });
    tf.dispose([x, w, g, y]);
  });

  it('rejects bad rates and noise shapes', () => {
    const x = tf.ones([2, 3]);
    for (const rate of [-0.1, 1, 1.5, Number.NaN]) {
      expect(() => rl.functional.dropout(x, rate, true, 1)).toThrow(rl.RegulabConfigError);
      expect(() => rl.functional.dropout(x, rate, true, 1)).toThrow(/rl\.functional\.dropout: option 'rate'/);
    }
    expect(() => rl.functional.dropout(x, 0.5, true, 1, [2, 2])).toThrow(/noiseShape.*\[2, 3\]/);
    expect(() => rl.functional.dropout(x, 0.5, true, 1, [null])).toThrow(rl.RegulabConfigError);
    x.dispose();
  });

  it('leaks no tensors', async () => {
    const x = positive([5, 5]);
    await expectNoLeak(() => rl.functional.dropout(x, P, true, 1).dispose(), 'dropout');
    x.dispose();
  });
});

describe('rl.layers.dropout', () => {
  it('acts only when training is true', () => {
    const layer = rl.layers.dropout({ rate: 0.5, seed: 1 });
    const x = positive([20, 10]);
    for (const y of [layer.apply(x), layer.apply(x, { training: false })] as tf.Tensor[]) {
      allClose(y, x, { atol: 0, rtol: 0 }, 'inference output');
      y.dispose();
    }
    const yt = layer.apply(x, { training: true }) as tf.Tensor;
    expect(zeroFraction(yt)).toBeGreaterThan(0);
    tf.dispose([x, yt]);
  });

  it('draws a fresh mask on every training call, seeded or not', () => {
    const x = positive([30, 20]);
    for (const layer of [rl.layers.dropout({ rate: 0.5 }), rl.layers.dropout({ rate: 0.5, seed: 9 })]) {
      const a = layer.apply(x, { training: true }) as tf.Tensor;
      const b = layer.apply(x, { training: true }) as tf.Tensor;
      // Equal masks on 600 independent elements would have probability 0.5^600.
      expect(values(a)).not.toEqual(values(b));
      tf.dispose([a, b]);
    }
    x.dispose();
  });

  it('is reproducible under a seed: call k uses the k-th seed of SeedStream(seed)', () => {
    const x = positive([6, 8]);
    const l1 = rl.layers.dropout({ rate: P, seed: 42 });
    const l2 = rl.layers.dropout({ rate: P, seed: 42 });
    const stream = new rl.SeedStream(42);
    for (let call = 0; call < 3; call++) {
      const y1 = l1.apply(x, { training: true }) as tf.Tensor;
      const y2 = l2.apply(x, { training: true }) as tf.Tensor;
      const expected = rl.functional.dropout(x, P, true, stream.next());
      allClose(y1, y2, { atol: 0, rtol: 0 }, `call ${call}: same seed`);
      allClose(y1, expected, { atol: 0, rtol: 0 }, `call ${call}: seed stream`);
      tf.dispose([y1, y2, expected]);
    }
    expect(l1.seeds.state).toBe(3);
    x.dispose();
  });

  it('accepts any batch size from call to call, with a free batch axis in the noise shape', () => {
    const layer = rl.layers.dropout({ rate: 0.5, noiseShape: [null, 1] });
    for (const batch of [4, 7, 1]) {
      const x = positive([batch, 6]);
      const y = layer.apply(x, { training: true }) as tf.Tensor;
      expect(y.shape).toEqual([batch, 6]);
      const rows = y.arraySync() as number[][];
      for (const row of rows) expect(new Set(row.map((v) => v === 0)).size).toBe(1);
      tf.dispose([x, y]);
    }
  });

  it('rejects rates outside [0, 1) naming the layer, the option and the value', () => {
    for (const rate of [1, -0.5, 2, Number.NaN]) {
      expect(() => rl.layers.dropout({ rate })).toThrow(rl.RegulabConfigError);
      expect(() => rl.layers.dropout({ rate })).toThrow(
        `rl.layers.dropout: option 'rate' must be a number in [0, 1), got ${rate}`,
      );
    }
    expect(() => rl.layers.dropout({ rate: 0.5, seed: 1.5 })).toThrow(/option 'seed'.*1\.5/);
    expect(() => rl.layers.dropout({ rate: 0.5, noiseShape: [0, 1] })).toThrow(/option 'noiseShape'/);
    const layer = rl.layers.dropout({ rate: 0.5, noiseShape: [null, 3] });
    const x = tf.ones([2, 4]);
    expect(() => layer.apply(x, { training: true })).toThrow(/rl\.layers\.dropout: option 'noiseShape'/);
    x.dispose();
  });

  it('leaks no tensors in training or inference', async () => {
    const layer = rl.layers.dropout({ rate: P, seed: 1 });
    const x = positive([5, 5]);
    await expectNoLeak(() => (layer.apply(x, { training: true }) as tf.Tensor).dispose(), 'training call');
    // At inference tfjs's apply() hands back a clone of x, which the caller owns.
    await expectNoLeak(() => (layer.apply(x) as tf.Tensor).dispose(), 'inference call');
    x.dispose();
  });

  it('round-trips through model.toJSON → modelFromJSON with the same config and outputs', async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.dense({ units: 6, inputShape: [4] }),
        rl.layers.dropout({ rate: 0.4, seed: 3, noiseShape: [null, 1] }),
        tf.layers.dense({ units: 2 }),
      ],
    });
    const restored = await roundTrip(model);
    const layer = restored.layers[1];
    expect(layer).toBeInstanceOf(rl.layers.Dropout);
    const config = layer.getConfig();
    expect([config.rate, config.seed, config.noiseShape]).toEqual([0.4, 3, [null, 1]]);
    const x = positive([5, 4]);
    const a = model.predict(x) as tf.Tensor;
    const b = restored.predict(x) as tf.Tensor;
    allClose(b, a, { atol: 1e-6, rtol: 1e-6 }, 'restored predictions');
    // The restored layer draws the masks a fresh layer with the same seed draws.
    const h = positive([5, 6], 8);
    const fresh = rl.layers.dropout({ rate: 0.4, seed: 3, noiseShape: [null, 1] });
    const ya = fresh.apply(h, { training: true }) as tf.Tensor;
    const yb = layer.apply(h, { training: true }) as tf.Tensor;
    allClose(yb, ya, { atol: 0, rtol: 0 }, 'restored seeded masks');
    tf.dispose([x, a, b, h, ya, yb]);
    model.dispose();
    restored.dispose();
  });
});
