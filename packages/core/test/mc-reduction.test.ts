/**
 * The Monte Carlo reduction under rl.inference.mcPredict: mean, variance, entropy and mutual
 * information streamed over chunks of samples, on constructed probabilities and against float64
 * hand computations.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { allClose } from '../../../test/helpers.js';
import { McReduction } from '../src/inference/mc-reduction.js';
import { disposeResult, entropies, momentsOf } from './mc-helpers.js';
import { values } from './stochastic-helpers.js';

describe('the Monte Carlo reduction (mean, variance, entropy, mutual information)', () => {
  it('on constructed probabilities: two certain, disagreeing samples have H[p̄] = ln 2, expected entropy 0, I = ln 2', () => {
    const reduction = new McReduction([1, 2], true);
    const samples = tf.tensor3d([[[1, 0]], [[0, 1]]]); // [S=2, B=1, C=2]
    reduction.add(samples);
    const r = reduction.result();
    allClose(r.mean, [0.5, 0.5], { atol: 0 }, 'mean');
    allClose(r.variance, [0.25, 0.25], { atol: 0 }, 'variance');
    allClose(r.entropy!, [Math.LN2], { atol: 1e-6 }, 'H[p̄]');
    allClose(r.mutualInformation!, [Math.LN2], { atol: 1e-6 }, 'I (expected entropy 0: 0 · log 0 = 0)');
    disposeResult(r);
    samples.dispose();
  });

  it('streamed in chunks of 1 and 2 samples: against a float64 hand computation on uneven probabilities', () => {
    const rows = [
      [0.7, 0.2, 0.1],
      [0.1, 0.6, 0.3],
      [0.5, 0.25, 0.25],
    ];
    const reduction = new McReduction([1, 3], true);
    const first = tf.tensor3d([[rows[0]!]]); // [1, 1, 3]
    const rest = tf.tensor3d([[rows[1]!], [rows[2]!]]);
    reduction.add(first);
    reduction.add(rest);
    const r = reduction.result();
    const { mean, variance } = momentsOf(rows);
    const hbar = entropies(mean, 3)[0]!;
    const expectedH = rows.reduce((s, row) => s + entropies(row, 3)[0]!, 0) / 3;
    allClose(r.mean, mean, { atol: 1e-7 }, 'mean');
    allClose(r.variance, variance, { atol: 1e-7 }, 'variance');
    allClose(r.entropy!, [hbar], { atol: 1e-6 }, 'H[p̄]');
    allClose(r.mutualInformation!, [hbar - expectedH], { atol: 1e-6 }, 'I');
    expect(hbar - expectedH).toBeGreaterThan(0.1); // the samples disagree: the check has teeth
    disposeResult(r);
    tf.dispose([first, rest]);
  });

  it('keeps a small variance of a large mean (Welford, float64): values 1e4 ± 1e-2', () => {
    const reduction = new McReduction([1], false);
    const chunk = tf.tensor2d([[1e4 + 1e-2], [1e4 - 1e-2]]); // float32: 10000.009765625, 9999.990234375
    reduction.add(chunk);
    const r = reduction.result();
    const [a, b] = values(chunk);
    allClose(r.variance, [((a! - b!) / 2) ** 2], { atol: 0, rtol: 1e-6 }, 'variance');
    expect(r.entropy).toBeNull();
    disposeResult(r);
    chunk.dispose();
  });
});
