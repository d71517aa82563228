/**
 * Helpers of the Monte Carlo dropout tests (mc-predict, mc-reduction): float64 hand computations of
 * the moments and entropies mcPredict reduces to, and disposing a result.
 */
import * as tf from '@tensorflow/tfjs';
import type * as rl from 'regulab';

export function disposeResult(
  r: Pick<rl.inference.McPrediction, 'mean' | 'variance' | 'entropy' | 'mutualInformation'>,
): void {
  tf.dispose([r.mean, r.variance, r.entropy, r.mutualInformation].filter((t) => t !== null) as tf.Tensor[]);
}

/** Population mean and variance over samples of equal-length rows, in float64. */
export function momentsOf(samples: number[][]): { mean: number[]; variance: number[] } {
  const n = samples.length;
  const mean = samples[0]!.map((_, i) => samples.reduce((s, row) => s + row[i]!, 0) / n);
  const variance = mean.map((m, i) => samples.reduce((s, row) => s + (row[i]! - m) ** 2, 0) / n);
  return { mean, variance };
}

/** −Σ p log p over consecutive groups of `classes` entries, in float64. */
export function entropies(p: number[], classes: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < p.length; i += classes) {
    let h = 0;
    for (let c = 0; c < classes; c++) if (p[i + c]! > 0) h -= p[i + c]! * Math.log(p[i + c]!);
    out.push(h);
  }
  return out;
}
