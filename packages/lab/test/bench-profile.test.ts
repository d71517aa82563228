/**
 * The bench's step profile (src/bench/profile.ts): per-kernel totals and the dearest single calls
 * of a step with their input shapes (structural), medians no smaller than minima (bounds), an
 * empty call list when the steps differ, the CPU kernels restored afterwards, no leaked tensors.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { CALLS_LISTED, profileSteps } from '../src/bench/profile.js';

describe('bench step profile', () => {
  const a = tf.randomNormal([64, 64], 0, 1, 'float32', 1); // [64, 64]
  const b = tf.randomNormal([64, 32], 0, 1, 'float32', 2); // [64, 32]
  const step = () =>
    tf.tidy(() => {
      tf.sum(tf.relu(tf.matMul(a, b))).dataSync(); // [64, 32] → scalar
    });

  it('times each kernel and lists the dearest calls with their input shapes', () => {
    const relu = tf.getKernel('Relu', 'cpu')!.kernelFunc;
    const before = tf.memory().numTensors;
    const p = profileSteps(step, 5);
    expect(tf.memory().numTensors).toBe(before);
    expect(tf.getKernel('Relu', 'cpu')!.kernelFunc).toBe(relu); // restored
    expect(Object.keys(p.kernels)).toEqual(expect.arrayContaining(['BatchMatMul', 'Relu', 'Sum']));
    expect(p.kernels.Relu.calls).toBe(1);
    expect(p.calls.length).toBeGreaterThan(0);
    expect(p.calls.length).toBeLessThanOrEqual(CALLS_LISTED);
    const matmul = p.calls.find((c) => c.kernel === 'BatchMatMul')!;
    expect(matmul.inputs).toEqual([
      [64, 64],
      [64, 32],
    ]);
    for (const c of p.calls) {
      expect(c.minMs).toBeGreaterThanOrEqual(0);
      expect(c.medianMs).toBeGreaterThanOrEqual(c.minMs);
      expect(Object.keys(p.kernels)).toContain(c.kernel);
    }
    const medians = p.calls.map((c) => c.medianMs);
    expect(medians).toEqual([...medians].sort((x, y) => y - x)); // dearest first
  });

  it('lists no calls when the steps do not make the same calls', () => {
    let odd = false;
    const uneven = () =>
      tf.tidy(() => {
        odd = !odd;
        (odd ? tf.relu(a) : tf.abs(a)).dataSync();
      });
    expect(profileSteps(uneven, 4).calls).toEqual([]);
  });
});
