/**
 * Reuse of the CPU kernels' output arrays (src/fused/recycled-outputs.ts), on by default. An array
 * comes back only once the one tensor that held it is freed, never when its storage was read out
 * (dataSync) or another tensor was a view of it (tfjs's Slice), and a reused array starts zeroed:
 * training steps of an LSTM and of a small CNN (convolution, ReLU and its one-pass gradient, max
 * pooling, bias sums) give bit for bit the losses they give without reuse.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpuKernels, lstmSequence, setKernelBackend } from '../src/dispatch.js';
import { recycleOutputs, recycledBytesHeld } from '../src/fused/recycled-outputs.js';

type Storage = { data: { get(id: object): { values: unknown } } };
const storage = (t: tf.Tensor) => (tf.backend() as unknown as Storage).data.get(t.dataId).values;

const N = 4096; // above MIN_ELEMENTS of the fast kernels and MIN_FLOATS of the reuse
const a = () => tf.range(0, N, 1, 'float32'); // [N]
const b = () => tf.fill([N], 0.5); // [N]

describe('recycled kernel outputs', () => {
  let x: tf.Tensor1D;
  let y: tf.Tensor1D;
  beforeAll(async () => {
    await tf.setBackend('cpu');
    expect(recycleOutputs()).toBe(true); // the default
    expect(setKernelBackend('wasm')).toBe('wasm');
    expect(cpuKernels()).toBe(true);
    recycleOutputs(true);
    x = a() as tf.Tensor1D;
    y = b() as tf.Tensor1D;
  });
  afterAll(() => {
    tf.dispose([x, y]);
    recycleOutputs(true);
    setKernelBackend('auto');
  });

  it('reuses the array of a freed output for the next output of its size, zeroed', () => {
    const t1 = tf.add(x, y);
    const first = storage(t1);
    t1.dispose();
    expect(recycledBytesHeld()).toBeGreaterThanOrEqual(N * 4);
    const t2 = tf.sub(x, y);
    expect(storage(t2)).toBe(first);
    expect(t2.dataSync()[3]).toBe(2.5);
    t2.dispose();
  });

  it('never reuses storage that was read out with dataSync', () => {
    const t1 = tf.add(x, y);
    const read = t1.dataSync();
    const snapshot = read.slice();
    t1.dispose();
    const t2 = tf.mul(x, y);
    expect(storage(t2)).not.toBe(read);
    expect(read).toEqual(snapshot);
    t2.dispose();
  });

  it('never reuses storage another tensor views (a contiguous slice)', () => {
    const t1 = tf.add(x, y);
    const s = tf.slice(t1, [10], [100]); // tfjs's own Slice (small): a subarray of t1's storage
    const expected = Float32Array.from({ length: 100 }, (_, i) => i + 10.5);
    t1.dispose();
    const t2 = tf.mul(x, y);
    const t3 = tf.sub(x, y);
    expect(s.dataSync()).toEqual(expected);
    tf.dispose([s, t2, t3]);
  });

  it('gives the same training losses as fresh arrays, without leaking tensors', () => {
    const losses = (recycle: boolean): number[] => {
      recycleOutputs(recycle);
      const counts: number[] = [];
      const B = 4;
      const T = 12;
      const D = 8;
      const H = 32;
      const w = tf.variable(tf.randomNormal([D, 4 * H], 0, 0.2, 'float32', 1)); // [D, 4H]
      const u = tf.variable(tf.randomNormal([H, 4 * H], 0, 0.2, 'float32', 2)); // [H, 4H]
      const bias = tf.variable(tf.zeros([4 * H])); // [4H]
      const head = tf.variable(tf.randomNormal([H, 16], 0, 0.2, 'float32', 3)); // [H, 16]
      const xs = tf.randomNormal([B, T, D], 0, 1, 'float32', 4) as tf.Tensor3D; // [B, T, D]
      const labels = tf.oneHot(tf.randomUniform([B * T], 0, 16, 'int32', 5), 16); // [B·T, 16]
      const opt = tf.train.adam(0.01);
      const out: number[] = [];
      for (let step = 0; step < 3; step++) {
        const loss = opt.minimize(
          () => {
            const zeros = tf.zeros([B, H]) as tf.Tensor2D; // [B, H]
            const r = lstmSequence({
              x: xs,
              h0: zeros,
              c0: zeros,
              kernel: w as tf.Tensor2D,
              recurrentKernel: u as tf.Tensor2D,
              bias: bias as tf.Tensor1D,
            });
            const logits = tf.matMul(tf.reshape(r.sequence, [B * T, H]), head); // [B·T, 16]
            return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
          },
          true,
          [w, u, bias, head],
        )!;
        out.push(loss.dataSync()[0]);
        loss.dispose();
        counts.push(tf.memory().numTensors);
      }
      expect(counts[2]).toBe(counts[0]); // flat from the first step on (Adam's slots exist then)
      opt.dispose();
      tf.dispose([w, u, bias, head, xs, labels]);
      return out;
    };
    const fresh = losses(false);
    const reused = losses(true);
    expect(reused).toEqual(fresh);
    expect(recycledBytesHeld()).toBeGreaterThan(0);
    expect(fresh.every(Number.isFinite)).toBe(true);
  });

  it('gives a small CNN the same training losses as fresh arrays, and reuses its arrays', () => {
    const losses = (recycle: boolean): number[] => {
      recycleOutputs(recycle);
      const filter = tf.variable(tf.randomNormal([3, 3, 3, 16], 0, 0.3, 'float32', 6)); // [3, 3, 3, 16]
      const bias = tf.variable(tf.fill([16], 0.01)); // [16]
      const head = tf.variable(tf.randomNormal([7 * 7 * 16, 5], 0, 0.05, 'float32', 7)); // [784, 5]
      const xs = tf.randomUniform([8, 16, 16, 3], 0, 1, 'float32', 8) as tf.Tensor4D; // [8, 16, 16, 3]
      const labels = tf.oneHot(tf.randomUniform([8], 0, 5, 'int32', 9), 5); // [8, 5]
      const opt = tf.train.adam(0.01);
      const out: number[] = [];
      const counts: number[] = [];
      for (let step = 0; step < 3; step++) {
        const loss = opt.minimize(
          () => {
            const y = tf.relu(tf.add(tf.conv2d(xs, filter as tf.Tensor4D, 1, 'valid'), bias)); // [8, 14, 14, 16]
            const pooled = tf.maxPool(y as tf.Tensor4D, 2, 2, 'valid'); // [8, 7, 7, 16]
            const logits = tf.matMul(tf.reshape(pooled, [8, 7 * 7 * 16]), head); // [8, 5]
            return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
          },
          true,
          [filter, bias, head],
        )!;
        out.push(loss.dataSync()[0]);
        loss.dispose();
        counts.push(tf.memory().numTensors);
      }
      expect(counts[2]).toBe(counts[1]);
      opt.dispose();
      tf.dispose([filter, bias, head, xs, labels]);
      return out;
    };
    const fresh = losses(false);
    expect(recycledBytesHeld()).toBe(0);
    const reused = losses(true);
    expect(reused).toEqual(fresh);
    expect(recycledBytesHeld()).toBeGreaterThanOrEqual(8 * 14 * 14 * 16 * 4); // at least a conv output
    expect(fresh.every(Number.isFinite)).toBe(true);
  });

  it('refuses a switch that is not a boolean', () => {
    expect(() => recycleOutputs('yes' as unknown as boolean)).toThrow(/expected true, false or nothing/);
  });
});
