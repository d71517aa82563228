/**
 * Canaries for the TensorFlow.js 4.22 dropout defects that Regulab's layers document and avoid.
 * Each test asserts the defect is still there; when one fails after a tfjs upgrade, the doc
 * comment that cites it (src/layers/<name>.ts) is out of date.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { values } from './stochastic-helpers.js';

describe('TensorFlow.js 4.22 dropout defects', () => {
  it('tf.layers.dropout clamps bad rates silently: rate 1 (or 1.5) is the identity in training', () => {
    const x = tf.ones([4, 8]);
    for (const rate of [1, 1.5]) {
      const layer = tf.layers.dropout({ rate });
      expect(layer.getConfig().rate).toBe(1);
      const y = layer.apply(x, { training: true }) as tf.Tensor;
      expect(values(y)).toEqual(values(x));
      y.dispose();
    }
    expect(tf.layers.dropout({ rate: -0.2 }).getConfig().rate).toBe(0);
    x.dispose();
  });

  it('a seeded tf.layers.dropout / spatialDropout1d applies the same mask at every training call', () => {
    const x = tf.ones([8, 5, 6]);
    for (const layer of [
      tf.layers.dropout({ rate: 0.5, seed: 7 }),
      tf.layers.spatialDropout1d({ rate: 0.5, seed: 7 }),
    ]) {
      const a = layer.apply(x, { training: true }) as tf.Tensor;
      const b = layer.apply(x, { training: true }) as tf.Tensor;
      expect(values(a)).toEqual(values(b));
      expect(values(a)).toContain(0);
      tf.dispose([a, b]);
    }
    x.dispose();
  });

  it('tf.layers.gaussianDropout and alphaDropout silently ignore a rate of 1', () => {
    const x = tf.ones([2, 3]);
    for (const layer of [tf.layers.gaussianDropout({ rate: 1 }), tf.layers.alphaDropout({ rate: 1 })]) {
      const y = layer.apply(x, { training: true }) as tf.Tensor;
      expect(values(y)).toEqual(values(x));
      y.dispose();
    }
    x.dispose();
  });

  it('tf.layers.alphaDropout loses noiseShape in getConfig and cannot follow the batch size', () => {
    const layer = tf.layers.alphaDropout({ rate: 0.3, noiseShape: [2, 1] });
    expect(layer.getConfig()).not.toHaveProperty('noiseShape');
    const x = tf.ones([3, 4]); // batch 3 ≠ the noise shape's 2; a null entry is not substituted either
    expect(() => layer.apply(x, { training: true })).toThrow();
    const withNull = tf.layers.alphaDropout({ rate: 0.3, noiseShape: [null, 1] as unknown as number[] });
    expect(() => withNull.apply(x, { training: true })).toThrow();
    x.dispose();
  });
});
