/**
 * A sample of a few numbers (one per seed) described by its mean, its standard deviation and the
 * confidence interval of its mean:
 *
 *   x̄ = (1/n) Σ xᵢ,   s = √( Σ (xᵢ − x̄)² / (n − 1) ),   x̄ ± t_{(1+level)/2, n−1} · s / √n.
 *
 * The interval assumes the values are independent draws from a normal distribution (Student t);
 * with n < 2 there is no spread to measure, and sd and interval are null.
 */
import { studentTQuantile } from './student-t.js';

/** Mean, spread and interval of a sample. */
export interface SampleStats {
  n: number;
  mean: number;
  /** Sample standard deviation (n − 1 in the denominator); null when n < 2. */
  sd: number | null;
  /** The confidence level of the interval, e.g. 0.95. */
  level: number;
  /** Half the width of the interval of the mean (t · s / √n); null when n < 2. */
  halfWidth: number | null;
}

export function mean(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('mean: no values');
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/** The sample standard deviation (n − 1 in the denominator); null for fewer than 2 values. */
export function sampleSd(values: readonly number[]): number | null {
  if (values.length < 2) return null;
  const m = mean(values);
  return Math.sqrt(values.reduce((a, x) => a + (x - m) ** 2, 0) / (values.length - 1));
}

/** Describes `values` (finite numbers, at least one) with a `level` interval of the mean. */
export function describeSample(values: readonly number[], level = 0.95): SampleStats {
  if (!(level > 0 && level < 1)) throw new RangeError(`confidence level must be in (0, 1), got ${level}`);
  const bad = values.find((v) => !Number.isFinite(v));
  if (bad !== undefined) throw new RangeError(`describeSample: values must be finite, got ${bad}`);
  const n = values.length;
  const sd = sampleSd(values);
  const halfWidth = sd === null ? null : (studentTQuantile((1 + level) / 2, n - 1) * sd) / Math.sqrt(n);
  return { n, mean: mean(values), sd, level, halfWidth };
}
