import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { embeddingLookup } from '../src/model/embedding-lookup.js';
import { allClose, checkGradient, expectNoLeak } from '../../../test/helpers.js';

describe('embeddingLookup', () => {
  const table = tf.tensor2d([0.1, -0.2, 0.3, 0.4, 0.5, -0.6, 0.7, 0.8, -0.9], [3, 3]); // [V=3, E=3]
  const ids = tf.tensor1d([2, 0, 2, 1, 2], 'int32'); // id 2 three times: its gradient must accumulate

  it('returns the rows of tf.gather', () => {
    allClose(embeddingLookup(table, ids), tf.gather(table, ids), { atol: 0, rtol: 0 }, 'lookup value');
  });

  it("has tfjs's gather gradient (repeated ids summed), exactly", () => {
    const w = tf.tensor2d([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15], [5, 3]); // ∂L/∂y weights
    const ours = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(embeddingLookup(t as tf.Tensor2D, ids), w)))(table);
    const tfjs = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, ids), w)))(table);
    // Row 2 receives rows 0, 2, 4 of w: [1+7+13, 2+8+14, 3+9+15] (small integers: exact in float32).
    allClose(ours, tfjs, { atol: 0, rtol: 0 }, 'gradient vs tfjs');
    expect(Array.from(ours.dataSync().slice(6, 9))).toEqual([21, 24, 27]);
  });

  it('passes a finite-difference check (float32, eps 1e-2: atol 2e-3, rtol 2e-2)', () => {
    const w = tf.randomNormal([5, 3], 0, 1, 'float32', 7);
    checkGradient(
      (t) => tf.sum(tf.square(tf.mul(embeddingLookup(t as tf.Tensor2D, ids), w))),
      table,
      undefined,
      1e-2,
    );
  });

  it('leaves no tensors behind', async () => {
    await expectNoLeak(() => {
      const g = tf.grad((t: tf.Tensor) => tf.sum(embeddingLookup(t as tf.Tensor2D, ids)))(table);
      g.dispose();
    }, 'lookup + gradient');
  });
});
