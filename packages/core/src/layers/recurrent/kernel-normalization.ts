/**
 * A normalised layer's norm weights handed to the fused kernels (layer norm, recurrent batch norm
 * inside the native kernels; issue 13) instead of step hooks on the reference op: the same
 * semantics as ./step-normalization.ts (which stays the oracle and the path of kernels without it).
 *
 * - Layer norm: γ (and the LSTM's β_c) go in; training and inference are the same.
 * - Batch norm, training: the kernels normalise with the batch's statistics at each processing step
 *   k and return them ([T, F]); `moveBatchStatistics` then moves the population statistics of the
 *   steps k < maxSteps, m_k ← μ·m_k + (1 − μ)·stat_k (μ = momentum), as StepStatistics.update does.
 * - Batch norm, inference: the moving statistics [maxSteps, F] go in; the kernels read row
 *   min(k, maxSteps − 1) (steps past maxSteps reuse the last).
 *
 * Shapes: γ_x, γ_h [G·H]; LSTM γ_c, β_c [H]; moving and batch statistics [maxSteps or T, F].
 */
import * as tf from '@tensorflow/tfjs';
import { type SequenceNormalization, type SequenceNormStats, peekData } from '@regulab/kernels';
import type { LayerNormScope } from './options.js';
import { NORM_EPSILON, type NormKind, type NormTarget } from './step-normalization.js';
import { writableStorage } from '../../util/writable-storage.js';

/** The quantities a cell normalises: x (W·x_t), h (U·h_{t−1}) and, for the LSTM, c (the cell). */
export interface KernelNormTargets {
  x: NormTarget;
  h: NormTarget;
  c?: NormTarget;
}

/** The `normalization` argument of lstmSequence / gruSequence for one call. */
export function kernelNormalization(
  kind: NormKind,
  scope: LayerNormScope,
  w: KernelNormTargets,
  training: boolean,
): SequenceNormalization {
  const n: SequenceNormalization = {
    kind,
    scope,
    epsilon: NORM_EPSILON,
    training,
    gammaX: w.x.gamma.read() as tf.Tensor1D,
    gammaH: w.h.gamma.read() as tf.Tensor1D,
  };
  if (w.c) {
    n.gammaC = w.c.gamma.read() as tf.Tensor1D;
    n.betaC = w.c.beta!.read() as tf.Tensor1D;
  }
  if (kind === 'batch' && !training) {
    const read = (t: NormTarget, which: 'movingMean' | 'movingVariance') => t[which]!.read() as tf.Tensor2D;
    n.moving = {
      meanX: read(w.x, 'movingMean'),
      varianceX: read(w.x, 'movingVariance'),
      meanH: read(w.h, 'movingMean'),
      varianceH: read(w.h, 'movingVariance'),
    };
    if (w.c) {
      n.moving.meanC = read(w.c, 'movingMean');
      n.moving.varianceC = read(w.c, 'movingVariance');
    }
  }
  return n;
}

/** Batch norm, training: m_k ← μ·m_k + (1 − μ)·stat_k for k < min(T, maxSteps), every quantity. */
export function moveBatchStatistics(w: KernelNormTargets, stats: SequenceNormStats, momentum: number): void {
  const pairs: [NormTarget | undefined, tf.Tensor2D | undefined, tf.Tensor2D | undefined][] = [
    [w.x, stats.meanX, stats.varianceX],
    [w.h, stats.meanH, stats.varianceH],
    [w.c, stats.meanC, stats.varianceC],
  ];
  tf.tidy(() => {
    for (const [target, mean, variance] of pairs) {
      if (!target || !mean || !variance) continue;
      moveStatistic(target.movingMean!, mean, momentum);
      moveStatistic(target.movingVariance!, variance, momentum);
    }
  });
}

/**
 * One moving statistic [maxSteps, F] moved by this call's [T, F]: in one pass over the variable's
 * values where they can be written (writableStorage; each term rounded to float32 as the tfjs ops
 * below round it, so both give the same bits), else with tfjs ops. Six of these a batch-norm LSTM
 * step, [784, 400] each at pmnist's size: the ops' fresh outputs and their garbage cost more.
 */
export function moveStatistic(variable: tf.LayerVariable, stat: tf.Tensor2D, momentum: number): void {
  const old = variable.read() as tf.Tensor2D; // [maxSteps, F]
  const maxSteps = old.shape[0];
  const rows = Math.min(stat.shape[0], maxSteps);
  const s = peekData(stat);
  const m = s instanceof Float32Array ? writableStorage(old as tf.Variable) : null;
  if (m !== null) {
    const keep = Math.fround(momentum);
    const take = Math.fround(1 - momentum);
    const n = rows * (old.shape[1] as number);
    for (let i = 0; i < n; i++)
      m.values[i] = Math.fround(Math.fround(m.values[i]! * keep) + Math.fround(s[i]! * take));
    m.commit();
    return;
  }
  const head = tf.add(
    tf.mul(tf.slice(old, [0, 0], [rows, -1]), momentum),
    tf.mul(tf.slice(stat, [0, 0], [rows, -1]), 1 - momentum),
  ); // [rows, F]
  variable.write(rows < maxSteps ? tf.concat([head, tf.slice(old, [rows, 0], [-1, -1])]) : head);
}
