/**
 * Batch norm's moving statistics moved in one pass over the variable's storage (moveStatistic in
 * kernel-normalization.ts) against the tfjs ops it replaces, m ← μ·m + (1 − μ)·stat on the first
 * min(T, maxSteps) rows: the same bits (each term rounded to float32 as the ops round it), for
 * T = maxSteps, T < maxSteps (the tail kept) and T > maxSteps (rows past the table unused); a
 * tensor that shares the variable's storage (a clone kept) is left untouched; no tensor leaks.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import * as rl from '../src/index.js';
import { moveStatistic } from '../src/layers/recurrent/kernel-normalization.js';

const H = 5;
const MAX_STEPS = 6;

/** A built batch-norm LSTM's moving_mean_x variable ([maxSteps, 4H]), filled with seeded values. */
function movingVariable(seed: number): tf.LayerVariable {
  const layer = rl.layers.lstm({ units: H, normalization: 'batch', normMaxSteps: MAX_STEPS });
  layer.build([2, MAX_STEPS, 3]);
  const v = layer.weights.find((w) => /moving_mean_x/.test(w.name))!;
  tf.tidy(() => {
    v.write(tf.randomNormal(v.shape as number[], 0, 1, 'float32', seed));
  });
  return v;
}

/** The tfjs ops moveStatistic replaces (its fallback), on copies. */
function expected(old: Float32Array, stat: tf.Tensor2D, momentum: number): Float32Array {
  return tf.tidy(() => {
    const m = tf.tensor2d(old, [MAX_STEPS, 4 * H]);
    const rows = Math.min(stat.shape[0], MAX_STEPS);
    const head = tf.add(
      tf.mul(tf.slice(m, [0, 0], [rows, -1]), momentum),
      tf.mul(tf.slice(stat, [0, 0], [rows, -1]), 1 - momentum),
    );
    const out = rows < MAX_STEPS ? tf.concat([head, tf.slice(m, [rows, 0], [-1, -1])]) : head;
    return Float32Array.from(out.dataSync());
  });
}

describe('moveStatistic: moving statistics in place', () => {
  for (const steps of [MAX_STEPS, 4, 9])
    it(`gives the tfjs ops' bits (T ${steps}, maxSteps ${MAX_STEPS}) and leaks nothing`, () => {
      const v = movingVariable(steps);
      const before = Float32Array.from(v.read().dataSync());
      const stat = tf.randomUniform([steps, 4 * H], -2, 2, 'float32', 7) as tf.Tensor2D;
      const want = expected(before, stat, 0.99);
      const n = tf.memory().numTensors;
      moveStatistic(v, stat, 0.99);
      expect(tf.memory().numTensors).toBe(n);
      expect(Float32Array.from(v.read().dataSync())).toEqual(want);
      expect(want).not.toEqual(before);
      stat.dispose();
    });

  it('leaves a tensor that shares the variable storage (a kept clone) as it was', () => {
    const v = movingVariable(3);
    const kept = tf.clone(v.read());
    const before = Float32Array.from(kept.dataSync());
    const stat = tf.randomUniform([MAX_STEPS, 4 * H], -2, 2, 'float32', 8) as tf.Tensor2D;
    const want = expected(before, stat, 0.9);
    moveStatistic(v, stat, 0.9);
    expect(Float32Array.from(kept.dataSync())).toEqual(before);
    expect(Float32Array.from(v.read().dataSync())).toEqual(want);
    tf.dispose([kept, stat]);
  });
});
