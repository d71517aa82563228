/**
 * Exact per-step population statistics of a batch-normalized recurrent layer's quantities (x:
 * W·x_t, h: U·h_{t−1}, the LSTM's c), pooled over the batches of a pass (Cooijmans et al. 2017,
 * "Recurrent Batch Normalization", §3: population statistics estimated per time step), and written
 * into the layer's moving mean and variance (rl.inference.recomputeBatchNormStatistics).
 *
 * Each batch b of n_b examples hands over its per-step statistics (μ_b, σ²_b, the biased batch
 * variance the kernels normalise with). Over N = Σ n_b examples, per step k and feature:
 *
 *   μ  = (1/N) Σ_b n_b μ_b                          (the mean over all examples)
 *   σ² = (1/N) Σ_b n_b (σ²_b + (μ_b − μ)²)          (the variance over all examples)
 *
 * pooled batch by batch (Chan, Golub and LeVeque's pairwise update: M2 ← M2_a + M2_b +
 * δ²·n_a·n_b/(n_a + n_b), δ = μ_b − μ_a, M2_b = n_b σ²_b), which avoids the cancellation of
 * E[v²] − E[v]² in float32.
 *
 * Shapes: statistics [K, F] per batch (K steps; only steps k < maxSteps are kept); moving
 * statistics [maxSteps, F], of which rows 0..K−1 are written and later rows left as they were.
 */
import * as tf from '@tensorflow/tfjs';
import type { SequenceNormStats } from '@regulab/kernels';
import type { KernelNormTargets } from './kernel-normalization.js';
import type { NormTarget } from './step-normalization.js';

type Quantity = 'x' | 'h' | 'c';
const FIELDS: Record<Quantity, ['meanX' | 'meanH' | 'meanC', 'varianceX' | 'varianceH' | 'varianceC']> = {
  x: ['meanX', 'varianceX'],
  h: ['meanH', 'varianceH'],
  c: ['meanC', 'varianceC'],
};

/** The pooled statistics of one quantity so far: mean and M2 = N·σ², [K, F] each. */
type Pooled = { mean: tf.Tensor2D; m2: tf.Tensor2D };

/** Pools one layer's per-step batch statistics over the batches of a pass (module doc). */
export class PopulationStatistics {
  private examples = 0;
  private readonly pooled = new Map<Quantity, Pooled>();

  /** `targets`: the layer's batch-norm weights (moving mean and variance per quantity). */
  constructor(
    private readonly where: string,
    private readonly targets: Readonly<KernelNormTargets>,
  ) {}

  /** Examples pooled so far. */
  get count(): number {
    return this.examples;
  }

  /** Pools one batch of `batch` examples (its statistics stay the caller's). */
  add(stats: SequenceNormStats, batch: number): void {
    const n = this.examples;
    const total = n + batch;
    for (const q of Object.keys(FIELDS) as Quantity[]) {
      const target = this.targets[q];
      const [meanField, varianceField] = FIELDS[q];
      const mean = stats[meanField];
      const variance = stats[varianceField];
      if (!target || !mean || !variance) continue;
      const rows = Math.min(mean.shape[0], movingRows(target));
      const old = this.pooled.get(q);
      if (old && old.mean.shape[0] !== rows) {
        throw new Error(
          `${this.where}: batches with ${old.mean.shape[0]} and ${rows} steps (internal error)`,
        );
      }
      const next = tf.tidy(() => {
        const mb = tf.slice(mean, [0, 0], [rows, -1]); // [K, F]
        const m2b = tf.mul(tf.slice(variance, [0, 0], [rows, -1]), batch); // n_b σ²_b
        if (!old) return { mean: mb, m2: m2b } as Pooled;
        const delta = tf.sub(mb, old.mean);
        return {
          mean: tf.add(old.mean, tf.mul(delta, batch / total)),
          m2: tf.add(tf.add(old.m2, m2b), tf.mul(tf.square(delta), (n * batch) / total)),
        } as Pooled;
      });
      if (old) tf.dispose([old.mean, old.m2]);
      this.pooled.set(q, { mean: tf.keep(next.mean), m2: tf.keep(next.m2) });
    }
    this.examples = total;
  }

  /** Writes μ and σ² = M2/N into rows 0..K−1 of each quantity's moving mean and variance. */
  write(): void {
    if (this.examples === 0) return;
    for (const [q, { mean, m2 }] of this.pooled) {
      const target = this.targets[q]!;
      tf.tidy(() => {
        writeRows(target.movingMean!, mean);
        writeRows(target.movingVariance!, tf.div(m2, this.examples) as tf.Tensor2D);
      });
    }
  }

  /** Frees the pooled statistics. */
  dispose(): void {
    for (const { mean, m2 } of this.pooled.values()) tf.dispose([mean, m2]);
    this.pooled.clear();
  }
}

function movingRows(target: NormTarget): number {
  return target.movingMean!.shape[0] as number;
}

/** Replaces rows 0..K−1 of a [maxSteps, F] variable by `rows` [K, F]. */
function writeRows(variable: tf.LayerVariable, rows: tf.Tensor2D): void {
  const old = variable.read() as tf.Tensor2D;
  const k = rows.shape[0];
  variable.write(k < old.shape[0] ? tf.concat([rows, tf.slice(old, [k, 0], [-1, -1])]) : rows);
}
