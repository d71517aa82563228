/**
 * `--probe gradients` (src/probes/gradients.ts): the moments of the gradient across an epoch's
 * minibatches, checked against a hand computation and against a large-mean case where Σg² − (Σg)²
 * would cancel; the probe leaks no tensor, training is the same with it as without, and the rows
 * of a real run obey Σ_k ‖g_k‖² = n ‖ḡ‖² + (n − 1) P · variance.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { GradientMoments } from '../src/probes/gradient-moments.js';
import { gradientsProbe } from '../src/probes/gradients.js';
import { readProbes } from '../src/store/probes-log.js';
import { metrics } from './cli-child.js';
import { cli } from './cli-in-process.js';

/** Three batches of a gradient in two parts (variables of 2 and 1 entries). */
const BATCHES = [
  [[1, 2], [3]],
  [[3, 2], [1]],
  [[2, 5], [2]],
];

describe('GradientMoments', () => {
  it('matches the hand computation', () => {
    const m = new GradientMoments(3);
    for (const b of BATCHES) m.add(b);
    // Per weight: means 2, 3, 2; Σ (g − mean)² = 2, 6, 2; sample variances 1, 3, 1.
    // ‖g_k‖² = 14, 14, 33; ‖mean‖² = 4 + 9 + 4 = 17; noise share (2 + 6 + 2) / 61.
    const s = m.summary();
    expect(m.batches).toBe(3);
    expect(s.variance).toBeCloseTo(5 / 3, 12);
    expect(s.squaredNorm).toBeCloseTo(61 / 3, 12);
    expect(s.meanSquaredNorm).toBeCloseTo(17, 12);
    expect(s.noiseShare).toBeCloseTo(10 / 61, 12);
  });

  it('keeps the variance of a large-mean gradient (Welford, not Σg² − (Σg)²)', () => {
    const m = new GradientMoments(1);
    for (const g of [1e8 + 1, 1e8 + 2, 1e8 + 3]) m.add([[g]]);
    expect(m.summary().variance).toBeCloseTo(1, 6); // exact: 1
  });

  it('is empty before a batch, has no variance before two, and forgets on reset', () => {
    const m = new GradientMoments(3);
    expect(Object.values(m.summary()).every(Number.isNaN)).toBe(true);
    m.add(BATCHES[0]!);
    expect(m.summary().variance).toBeNaN();
    expect(m.summary().noiseShare).toBe(0); // one batch: no fluctuation
    m.reset();
    expect(m.batches).toBe(0);
    for (const b of BATCHES) m.add(b);
    expect(m.summary().variance).toBeCloseTo(5 / 3, 12);
  });

  it('refuses parts of another size, naming both', () => {
    const m = new GradientMoments(3);
    expect(() => m.add([[1, 2]])).toThrow(/the parts have 2 entries, expected 3/);
    expect(() => new GradientMoments(0)).toThrow(/size must be a positive integer, got 0/);
  });
});

describe('gradientsProbe', () => {
  it('measures the same as GradientMoments on tensors, without leaking, and resets each epoch', () => {
    const probe = gradientsProbe();
    expect(probe.measure()).toEqual({}); // the 'start' row
    const grads = BATCHES.map(([a, b]) => ({ a: tf.tensor1d(a!), b: tf.tensor1d(b!) }));
    const before = tf.memory().numTensors;
    probe.beginEpoch!(1);
    grads.forEach((g, i) => probe.observeGradients!(g, 1, i));
    const values = probe.measure();
    expect(tf.memory().numTensors).toBe(before);
    expect(values.batches).toBe(3);
    expect(values.variance).toBeCloseTo(5 / 3, 6);
    expect(values.noiseShare).toBeCloseTo(10 / 61, 6);
    probe.beginEpoch!(2);
    probe.observeGradients!(grads[0]!, 2, 0);
    expect(probe.measure()).toEqual({ squaredNorm: 14, meanSquaredNorm: 14, noiseShare: 0, batches: 1 });
    expect(() => probe.observeGradients!({ a: grads[0]!.a }, 2, 1)).toThrow(
      /--probe gradients: epoch 2, batch 2 has gradients of a, the first batch had a, b/,
    );
    tf.dispose(grads);
  });
});

describe('--probe gradients in a run', () => {
  it('logs each epoch without changing training; the rows obey the norm identity', async () => {
    const root = mkdtempSync(join(tmpdir(), 'regulab-probe-gradients-'));
    const args = [
      'run',
      'mnist',
      '--preset',
      'quick',
      '--model',
      'mlp-dropconnect',
      '--set',
      'dense_0.rate=0.5',
    ];
    const [a, b] = [join(root, 'a'), join(root, 'b')];
    const withProbe = await cli(...args, '--probe', 'gradients', '--out', a);
    expect(withProbe.code, withProbe.err).toBe(0);
    const without = await cli(...args, '--out', b);
    expect(without.code, without.err).toBe(0);
    expect(metrics(a)).toEqual(metrics(b));

    const rows = readProbes(join(a, 'probes.jsonl'));
    expect(rows.map((r) => [r.at, r.epoch, r.batch])).toEqual([
      ['start', 0, 0],
      ['epoch', 1, 4],
      ['epoch', 2, 4],
    ]);
    // The quick MLP: 784 → 16 → 10, kernels and biases.
    const P = 784 * 16 + 16 + 16 * 10 + 10;
    for (const r of rows.slice(1)) {
      const {
        variance,
        squaredNorm,
        meanSquaredNorm,
        noiseShare,
        batches: n,
      } = r.values as Record<string, number>;
      expect(n).toBe(4);
      expect(noiseShare).toBeGreaterThan(0);
      expect(noiseShare).toBeLessThan(1);
      // Σ_k ‖g_k‖² = n ‖ḡ‖² + Σ_w M[w], with Σ_w M[w] = (n − 1) P · variance (float32 gradients).
      // Both sides are float64 sums of the same float32 gradients: equal to rounding.
      const total = n * squaredNorm!;
      expect(Math.abs(total - (n * meanSquaredNorm! + (n - 1) * P * variance!)) / total).toBeLessThan(1e-9);
      expect(Math.abs(noiseShare! - ((n - 1) * P * variance!) / total)).toBeLessThan(1e-9);
    }
  }, 60_000);
});
