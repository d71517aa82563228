/**
 * `--probe activations` (src/probes/activations.ts): per-layer activation variances in inference
 * and training mode. Checked against a hand computation on a three-unit model, statistically
 * against the dropout identity var(y) = var(x) + p/(1 − p)·E[x²], for leaving every piece of the
 * training state alone (masks streams, batch norm's moving statistics, tensors), and end to end:
 * a run with the probe trains exactly as one without, batch norm included.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type * as rl from 'regulab';
import { describe, expect, it } from 'vitest';
import { SpecModel } from '../src/model/spec-model.js';
import { activationKeys as key, activationsProbe, measuredBatch } from '../src/probes/activations.js';
import { readCheckpointFile } from '../src/store/checkpoint-file.js';
import { readProbes } from '../src/store/probes-log.js';
import { metrics } from './cli-child.js';
import { cli } from './cli-in-process.js';

/** Dense(3, linear) → dropout 0.5 → batch norm → Dense(2): small enough to compute by hand. */
function smallModel(): SpecModel {
  return new SpecModel(
    {
      layers: [
        { className: 'Dense', config: { name: 'dense', units: 3 } },
        { className: 'RegulabDropout', config: { name: 'drop', rate: 0.5 } },
        { className: 'BatchNormalization', config: { name: 'bn', epsilon: 0.001 } },
        { className: 'Dense', config: { name: 'out', units: 2 } },
      ],
    },
    { seed: 7, input: { shape: [2], dtype: 'float32' } },
  );
}

const X = [
  [1, 2],
  [0, -1],
  [3, 0.5],
  [-2, 1],
];
const W1 = [
  [1, 0, 2],
  [0, 1, -1],
];
const B1 = [0.5, 0, 0];
const BN = { gamma: [1, 2, 1], beta: [0, 0, 1], mean: [0.1, 0.2, 0.3], variance: [4, 1, 0.25] };
const W2 = [
  [1, -1],
  [0.5, 0],
  [0, 2],
];
const B2 = [0, 0.25];

function setWeights(model: SpecModel): void {
  const [dense, , bn, out] = model.layers;
  dense!.setWeights([tf.tensor2d(W1), tf.tensor1d(B1)]);
  bn!.setWeights([BN.gamma, BN.beta, BN.mean, BN.variance].map((v) => tf.tensor1d(v)));
  out!.setWeights([tf.tensor2d(W2), tf.tensor1d(B2)]);
}

/** Float64 by hand: rows × matrix + bias, per-column population variance and second moment. */
const affine = (rows: number[][], w: number[][], b: number[]) =>
  rows.map((r) => b.map((bj, j) => bj + r.reduce((s, x, i) => s + x * w[i]![j]!, 0)));
const column = (rows: number[][], j: number) => rows.map((r) => r[j]!);
const avg = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
const varianceOf = (v: number[]) => avg(v.map((x) => (x - avg(v)) ** 2));
const meanVariance = (rows: number[][]) => avg(rows[0]!.map((_, j) => varianceOf(column(rows, j))));
const meanSquare = (rows: number[][]) => avg(rows[0]!.map((_, j) => avg(column(rows, j).map((x) => x * x))));

const context = (model: SpecModel, input: () => tf.Tensor) => ({
  model,
  seed: 11,
  probeBatch: () => ({ input: input(), labels: tf.zeros([1], 'int32') }),
});

describe('--probe activations', () => {
  it('measures what a hand computation gives in inference mode, and the variance shift', () => {
    const model = smallModel();
    setWeights(model);
    const values = activationsProbe(context(model, () => tf.tensor2d(X))).measure();
    const h = affine(X, W1, B1); // [4, 3]
    const normed = h.map((r) =>
      r.map((x, c) => ((x - BN.mean[c]!) / Math.sqrt(BN.variance[c]! + 0.001)) * BN.gamma[c]! + BN.beta[c]!),
    );
    const logits = affine(normed, W2, B2);
    const expected: Record<string, number> = {
      [key.variance('dense', 'inference')]: meanVariance(h),
      [key.square('dense', 'inference')]: meanSquare(h),
      [key.variance('drop', 'inference')]: meanVariance(h), // the identity at inference
      [key.variance('bn', 'inference')]: meanVariance(normed),
      [key.variance('out', 'inference')]: meanVariance(logits),
      [key.square('out', 'inference')]: meanSquare(logits),
      [key.movingVariance('bn')]: avg(BN.variance),
      [key.shift('bn')]: avg(h[0]!.map((_, c) => varianceOf(column(h, c)) / (BN.variance[c]! + 0.001))),
      // Nothing is random before the dropout: its input is the same in both modes.
      [key.variance('dense', 'train')]: meanVariance(h),
    };
    for (const [k, v] of Object.entries(expected)) expect(values[k], k).toBeCloseTo(v, 4);
    // After the dropout the masks change the values (4 × 3 units, p = 0.5: some unit is dropped).
    expect(values[key.variance('drop', 'train')]).not.toBeCloseTo(meanVariance(h), 4);
    model.layers.forEach((l) => l.dispose());
  });

  it('matches var(y) = var(x) + p/(1 − p)·E[x²] after dropout in training mode (2000 examples)', () => {
    const model = new SpecModel(
      {
        layers: [
          { className: 'Dense', config: { name: 'hidden', units: 8, activation: 'relu' } },
          { className: 'RegulabDropout', config: { name: 'drop', rate: 0.3 } },
        ],
      },
      { seed: 3, input: { shape: [4], dtype: 'float32' } },
    );
    const v = activationsProbe(
      context(model, () => tf.randomNormal([2000, 4], 0, 1, 'float32', 5)),
    ).measure();
    const p = 0.3;
    const predicted =
      v[key.variance('hidden', 'inference')]! + (p / (1 - p)) * v[key.square('hidden', 'inference')]!;
    // The train-mode moments are means of 2000 masked squares: relative sd ≈ √(p/((1−p)N))·2 ≈ 3%
    // per unit, ≈ 1% over 8 units; 6% is > 5 sd.
    expect(Math.abs(v[key.variance('drop', 'train')]! / predicted - 1)).toBeLessThan(0.06);
    const square = v[key.square('hidden', 'inference')]! / (1 - p);
    expect(Math.abs(v[key.square('drop', 'train')]! / square - 1)).toBeLessThan(0.06);
    expect(v[key.variance('drop', 'inference')]).toBe(v[key.variance('hidden', 'inference')]);
    model.layers.forEach((l) => l.dispose());
  });

  it('leaves the mask streams, the moving statistics and the tensors as they were', () => {
    const model = smallModel();
    setWeights(model);
    const probe = activationsProbe(context(model, () => tf.tensor2d(X)));
    const drop = model.layers[1] as unknown as { seeds: rl.SeedStream };
    const state = drop.seeds.state;
    const before = model.layers[2]!.getWeights().map((w) => Array.from(w.dataSync()));
    probe.measure(); // the first call may create lasting tensors (tfjs's kernels); count from the second
    const tensors = tf.memory().numTensors;
    const first = probe.measure();
    expect(tf.memory().numTensors).toBe(tensors);
    expect(probe.measure()).toEqual(first); // the same masks at every measurement
    expect(drop.seeds.state).toBe(state);
    expect(model.layers[2]!.getWeights().map((w) => Array.from(w.dataSync()))).toEqual(before);
    model.layers.forEach((l) => l.dispose());
  });

  it('measures after batches 1, 2, 4, 8, … of the first epoch only', () => {
    const at = Array.from({ length: 40 }, (_, i) => i).filter((i) => measuredBatch(1, i));
    expect(at.map((i) => i + 1)).toEqual([1, 2, 4, 8, 16, 32]);
    expect(measuredBatch(2, 0)).toBe(false);
  });

  it('does not change training of a model with dropout before batch norm (mlp-dropout-bn)', async () => {
    const root = mkdtempSync(join(tmpdir(), 'regulab-activations-'));
    const args = ['run', 'mnist', '--preset', 'quick', '--model', 'mlp-dropout-bn', '--dropout', '0.5'];
    const [a, b] = [join(root, 'a'), join(root, 'b')];
    const withProbe = await cli(...args, '--probe', 'activations', '--out', a);
    expect(withProbe.code, withProbe.err).toBe(0);
    const without = await cli(...args, '--out', b);
    expect(without.code, without.err).toBe(0);
    expect(metrics(a)).toEqual(metrics(b));
    const rows = readProbes(join(a, 'probes.jsonl'));
    // 64 images in batches of 16: 4 batches; measured after batches 1, 2, 4 of epoch 1.
    expect(rows.map((r) => [r.at, r.epoch, r.batch])).toEqual([
      ['start', 0, 0],
      ['batch', 1, 1],
      ['batch', 1, 2],
      ['batch', 1, 4],
      ['epoch', 1, 4],
      ['epoch', 2, 4],
    ]);
    for (const r of rows) {
      for (const name of ['dense_0', 'dropout_0', 'batch_norm_0', 'softmax'])
        for (const mode of ['train', 'inference'] as const)
          expect(Number.isFinite(r.values[key.variance(name, mode)]), `${name}/${mode}`).toBe(true);
      expect(r.values[key.shift('batch_norm_0')]).toBeGreaterThan(0);
    }
    // Batch norm trained its moving statistics (the lab's trainer runs its training-mode update)
    // and the checkpoint keeps them: gamma, beta, moving mean, moving variance.
    const stored = readCheckpointFile(join(a, 'checkpoints', 'last.ckpt')).tensors;
    const bn = [0, 1, 2, 3].map((i) => stored.get(`weights/batch_norm_0/${i}`));
    expect(bn.every((t) => t !== undefined)).toBe(true);
    expect(Array.from(bn[3]!.data).some((v) => Math.abs(v - 1) > 1e-3)).toBe(true);
    expect(rows.at(-1)!.values[key.movingVariance('batch_norm_0')]).not.toBeCloseTo(1, 3);
  }, 60_000);
});
