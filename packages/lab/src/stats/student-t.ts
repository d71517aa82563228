/**
 * Student's t distribution with ν degrees of freedom (ν > 0, not necessarily an integer):
 *
 *   CDF   F(t; ν) = 1 − ½ I_{ν/(ν+t²)}(ν/2, ½)   for t ≥ 0, and F(−t; ν) = 1 − F(t; ν);
 *   quantile F⁻¹(p; ν): the t with F(t; ν) = p, found by bisection on F to machine precision.
 *
 * Used for confidence intervals of a mean from a few seeds (mean ± t_{0.975, n−1} · s / √n).
 */
import { regularizedIncompleteBeta } from './special.js';

function checkDf(df: number): void {
  if (!(df > 0) || !Number.isFinite(df))
    throw new RangeError(`Student t: degrees of freedom must be finite and > 0, got ${df}`);
}

/** P(T ≤ t) for T ~ Student t with `df` degrees of freedom. */
export function studentTCdf(t: number, df: number): number {
  checkDf(df);
  if (Number.isNaN(t)) return NaN;
  if (!Number.isFinite(t)) return t > 0 ? 1 : 0;
  const tail = 0.5 * regularizedIncompleteBeta(df / (df + t * t), df / 2, 0.5); // P(T > |t|)
  return t >= 0 ? 1 - tail : tail;
}

/** The p-quantile of Student t with `df` degrees of freedom (0 < p < 1). */
export function studentTQuantile(p: number, df: number): number {
  checkDf(df);
  if (!(p > 0 && p < 1)) throw new RangeError(`Student t quantile: p must be in (0, 1), got ${p}`);
  if (p === 0.5) return 0;
  // Solve on the upper tail, P(T > t) = q, where the tail is computed without cancellation.
  const q = p > 0.5 ? 1 - p : p;
  const tail = (t: number) => 0.5 * regularizedIncompleteBeta(df / (df + t * t), df / 2, 0.5);
  let lo = 0;
  let hi = 1;
  while (tail(hi) > q) {
    lo = hi;
    hi *= 2;
    if (hi > 1e300) break;
  }
  for (let i = 0; i < 2000 && hi - lo > 1e-15 * hi; i++) {
    const mid = 0.5 * (lo + hi);
    if (tail(mid) > q) lo = mid;
    else hi = mid;
  }
  const t = 0.5 * (lo + hi);
  return p > 0.5 ? t : -t;
}
