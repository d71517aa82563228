/**
 * Helpers shared by the tests of the stochastic layers (dropout and its variants):
 * serialization round-trips and the binomial / mean bounds the statistical tests use.
 */
import * as tf from '@tensorflow/tfjs';

/** model.toJSON() → JSON text → tf.models.modelFromJSON, then the original weights. */
export async function roundTrip(model: tf.LayersModel): Promise<tf.LayersModel> {
  const topology = JSON.parse(model.toJSON(null, true) as string);
  const restored = await tf.models.modelFromJSON({ modelTopology: topology });
  restored.setWeights(model.getWeights());
  return restored;
}

/** Values of a tensor as a plain array (float64 copy). */
export function values(t: tf.Tensor): number[] {
  return Array.from(t.dataSync());
}

/** Fraction of exact zeros. */
export function zeroFraction(t: tf.Tensor): number {
  const v = t.dataSync();
  let zeros = 0;
  for (const a of v) if (a === 0) zeros++;
  return zeros / v.length;
}

/**
 * Six standard deviations of the fraction of successes of n Bernoulli(p) trials,
 * sqrt(p(1 − p)/n): a bound a correct implementation exceeds with probability ≈ 2e-9.
 */
export function sixSigmaFraction(p: number, n: number): number {
  return 6 * Math.sqrt((p * (1 - p)) / n);
}

/** Sample mean and the standard error of the mean (sample standard deviation / √n). */
export function meanAndStdError(xs: ArrayLike<number>): { mean: number; se: number } {
  const n = xs.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += xs[i];
  const mean = sum / n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (xs[i] - mean) ** 2;
  return { mean, se: Math.sqrt(ss / (n - 1) / n) };
}
