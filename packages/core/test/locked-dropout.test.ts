/**
 * Locked (variational) dropout and spatial dropout 1-D: one mask [B, 1, F] per sequence.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import * as rl from 'regulab';
import { allClose, checkGradient, expectNoLeak } from '../../../test/helpers.js';
import { meanAndStdError, roundTrip, sixSigmaFraction, zeroFraction } from './stochastic-helpers.js';

const P = 0.4;

function positive(shape: number[], seed = 1): tf.Tensor {
  return tf.randomUniform(shape, 1, 2, 'float32', seed);
}

/** Asserts y = x·m[b, f]/(1 − p) with m in {0, 1} constant across time, and returns the [B, F] mask. */
function expectLockedMask(x: tf.Tensor, y: tf.Tensor, rate: number): number[][] {
  const xa = x.arraySync() as number[][][];
  const ya = y.arraySync() as number[][][];
  return ya.map((seq, b) =>
    seq[0].map((_, f) => {
      const kept = seq[0][f] !== 0 ? 1 : 0;
      seq.forEach((step, t) => {
        const expected = (xa[b][t][f] * kept) / (1 - rate);
        expect(Math.abs(step[f] - expected), `[${b}, ${t}, ${f}]`).toBeLessThanOrEqual(1e-6 * expected);
      });
      return kept;
    }),
  );
}

describe('rl.functional.lockedDropout', () => {
  it('uses one mask per sequence and feature, constant across time; outputs 0 or x/(1 − p)', () => {
    const x = positive([6, 9, 5]);
    const y = rl.functional.lockedDropout(x, P, true, 21);
    const mask = expectLockedMask(x, y, P);
    expect(mask.flat()).toContain(0);
    expect(mask.flat()).toContain(1);
    tf.dispose([x, y]);
  });

  it('drops a fraction p of the (sequence, feature) pairs (6σ binomial bound on B·F = 20 000 draws)', () => {
    const [b, t, f] = [200, 3, 100];
    const x = tf.ones([b, t, f]);
    const y = rl.functional.lockedDropout(x, P, true, 4);
    // Each (b, f) pair is one draw repeated T times, so the zero fraction of y is that of the B·F draws.
    expect(Math.abs(zeroFraction(y) - P)).toBeLessThan(sixSigmaFraction(P, b * f));
    const { mean } = meanAndStdError(y.dataSync());
    // E[y] = 1; the B·F independent draws each have variance p/(1 − p).
    expect(Math.abs(mean - 1)).toBeLessThan(6 * Math.sqrt(P / ((1 - P) * b * f)));
    tf.dispose([x, y]);
  });

  it('is the identity at inference and rejects inputs that are not [B, T, F]', () => {
    const x = positive([2, 3, 4]);
    expect(rl.functional.lockedDropout(x, P, false, 1)).toBe(x);
    const flat = tf.ones([2, 3]);
    expect(() => rl.functional.lockedDropout(flat, P, true, 1)).toThrow(/rank 3.*\[2, 3\]/);
    expect(() => rl.functional.lockedDropout(x, 1, true, 1)).toThrow(rl.RegulabConfigError);
    tf.dispose([x, flat]);
  });

  it('gradient matches finite differences with a fixed mask (atol 2e-3, rtol 2e-2)', () => {
    const x = tf.randomNormal([2, 3, 4], 0, 1, 'float32', 5);
    const w = tf.randomNormal([2, 3, 4], 0, 1, 'float32', 6);
    const f = (v: tf.Tensor) =>
      tf.sum(tf.mul(tf.tanh(rl.functional.lockedDropout(v, 0.5, true, 12)), w)) as tf.Scalar;
    checkGradient(f, x);
    tf.dispose([x, w]);
  });
});

describe.each([
  ['lockedDropout', rl.layers.lockedDropout, rl.layers.LockedDropout],
  ['spatialDropout1d', rl.layers.spatialDropout1d, rl.layers.SpatialDropout1d],
] as const)('rl.layers.%s', (name, make, cls) => {
  it('masks [B, 1, F], constant across time, fresh on every call, for any batch size and length', () => {
    const layer = make({ rate: P, seed: 7 });
    const seen: string[] = [];
    for (const [b, t] of [
      [5, 8],
      [3, 2],
      [5, 8],
    ]) {
      const x = positive([b, t, 6], b + t);
      const y = layer.apply(x, { training: true }) as tf.Tensor;
      expect(y.shape).toEqual([b, t, 6]);
      seen.push(JSON.stringify(expectLockedMask(x, y, P)));
      tf.dispose([x, y]);
    }
    // Calls 1 and 3 see the same input shape; equal 30-element masks would have probability < 1e-6.
    expect(seen[2]).not.toEqual(seen[0]);
  });

  it('is the identity at inference', () => {
    const layer = make({ rate: P });
    const x = positive([2, 4, 3]);
    const y = layer.apply(x, { training: false }) as tf.Tensor;
    allClose(y, x, { atol: 0, rtol: 0 });
    tf.dispose([x, y]);
  });

  it('is reproducible under a seed (call k uses the k-th seed of SeedStream(seed))', () => {
    const x = positive([4, 5, 6]);
    const layer = make({ rate: P, seed: 99 });
    const stream = new rl.SeedStream(99);
    for (let call = 0; call < 2; call++) {
      const y = layer.apply(x, { training: true }) as tf.Tensor;
      const expected = rl.functional.lockedDropout(x, P, true, stream.next());
      allClose(y, expected, { atol: 0, rtol: 0 }, `call ${call}`);
      tf.dispose([y, expected]);
    }
    x.dispose();
  });

  it('rejects bad rates naming the layer, and inputs of the wrong rank', () => {
    for (const rate of [1, -0.1, 3]) {
      expect(() => make({ rate })).toThrow(
        `rl.layers.${name}: option 'rate' must be a number in [0, 1), got ${rate}`,
      );
    }
    const layer = make({ rate: P });
    const x = tf.ones([2, 3]);
    expect(() => layer.apply(x, { training: true })).toThrow(/ndim/);
    x.dispose();
  });

  it('leaks no tensors', async () => {
    const layer = make({ rate: P, seed: 1 });
    const x = positive([3, 4, 5]);
    await expectNoLeak(() => (layer.apply(x, { training: true }) as tf.Tensor).dispose(), 'training call');
    await expectNoLeak(() => (layer.apply(x) as tf.Tensor).dispose(), 'inference call');
    x.dispose();
  });

  it('round-trips through model.toJSON → modelFromJSON', async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.dense({ units: 4, inputShape: [5, 3] }),
        make({ rate: 0.25, seed: 5 }),
        tf.layers.lstm({ units: 2 }),
      ],
    });
    const restored = await roundTrip(model);
    const layer = restored.layers[1];
    expect(layer).toBeInstanceOf(cls);
    expect(layer.getConfig()).toMatchObject({ rate: 0.25, seed: 5 });
    const x = positive([3, 5, 3]);
    const a = model.predict(x) as tf.Tensor;
    const b = restored.predict(x) as tf.Tensor;
    allClose(b, a, { atol: 1e-6, rtol: 1e-6 });
    tf.dispose([x, a, b]);
    model.dispose();
    restored.dispose();
  });
});
