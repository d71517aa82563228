import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import * as rl from 'regulab';
import { allClose } from '../../../test/helpers.js';

describe('rl.initializers.orthogonal', () => {
  it('gives orthonormal rows (wide) or columns (tall): WWᵀ = I or WᵀW = I to 1e-5', () => {
    const wide = rl.initializers.orthogonal({ seed: 3 }).apply([8, 32]); // like a recurrent kernel [H, 4H]
    allClose(tf.matMul(wide, wide, false, true), tf.eye(8), { atol: 1e-5, rtol: 0 }, 'W Wᵀ');
    const tall = rl.initializers.orthogonal({ seed: 3, gain: 2 }).apply([4, 3, 5]); // rows = 12 ≥ cols = 5
    const flat = tf.reshape(tall, [12, 5]);
    allClose(
      tf.matMul(flat, flat, true, false),
      tf.mul(tf.eye(5), 4),
      { atol: 1e-5, rtol: 0 },
      'WᵀW = gain²·I',
    );
  });

  it('is reproducible under a seed and differs across seeds', () => {
    const a = rl.initializers.orthogonal({ seed: 11 }).apply([6, 24]).dataSync();
    const b = rl.initializers.orthogonal({ seed: 11 }).apply([6, 24]).dataSync();
    const c = rl.initializers.orthogonal({ seed: 12 }).apply([6, 24]).dataSync();
    expect(Array.from(b)).toEqual(Array.from(a));
    expect(Array.from(c)).not.toEqual(Array.from(a));
  });

  it('spans the same space as tfjs orthogonal would: Q·diag(sign R) of the seeded Gaussian draw', () => {
    // For a square matrix, W = Q with positive-diagonal R: Wᵀ·A must be upper triangular with a
    // positive diagonal, where A is the seeded Gaussian (drawn as rows, i.e. Aᵀ here).
    const seed = 5;
    const w = rl.initializers.orthogonal({ seed }).apply([5, 5]); // rows = cols: W = Q
    const a = tf.transpose(tf.randomNormal([5, 5], 0, 1, 'float32', seed)); // columns a_j
    const r = tf.matMul(w, a, true, false).arraySync() as number[][];
    for (let i = 0; i < 5; i++) {
      expect(r[i]![i]!).toBeGreaterThan(0);
      for (let j = 0; j < i; j++) expect(Math.abs(r[i]![j]!)).toBeLessThan(1e-5);
    }
  });

  it('is a tfjs Initializer: rl.layers.lstm and tf.layers.dense take an instance, and it round-trips', async () => {
    // The lab passes an instance as recurrentInitializer; tfjs's getInitializer accepts only
    // subclasses of its own Initializer, and read a plain Serializable as a malformed config.
    const init = rl.initializers.orthogonal({ seed: 3 });
    const lstm = rl.layers.lstm({ units: 4, recurrentInitializer: init });
    const dense = tf.layers.dense({ units: 4, kernelInitializer: rl.initializers.orthogonal({ seed: 3 }) });
    const x = tf.ones([1, 2, 4]);
    (lstm.apply(x) as tf.Tensor).dispose();
    const recurrent = lstm.getWeights()[1]!; // [4, 16]
    const expected = rl.initializers.orthogonal({ seed: 3 }).apply([4, 16]);
    allClose(recurrent, expected, { atol: 0, rtol: 0 });
    (dense.apply(tf.ones([1, 4])) as tf.Tensor).dispose();
    allClose(dense.getWeights()[0]!, rl.initializers.orthogonal({ seed: 3 }).apply([4, 4]), {
      atol: 0,
      rtol: 0,
    });
    const model = tf.sequential({
      layers: [tf.layers.dense({ units: 3, inputShape: [2], kernelInitializer: init })],
    });
    const restored = await tf.models.modelFromJSON({
      modelTopology: JSON.parse(model.toJSON(null, true) as string),
    });
    expect(restored.layers[0]!.getConfig()['kernelInitializer']).toEqual({
      className: 'RegulabOrthogonal',
      config: { gain: 1, seed: 3 },
    });
    tf.dispose([x, expected]);
    model.dispose();
    restored.dispose();
  });
});
