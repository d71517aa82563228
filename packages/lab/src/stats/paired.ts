/**
 * Paired comparison of two variants run with the same seeds: the differences dᵢ = aᵢ − bᵢ of the
 * shared seeds, their mean d̄ and its confidence interval d̄ ± t_{(1+level)/2, n−1} · s_d / √n
 * (the paired t-test). Pairing removes what the seed does to both runs alike (the data order, and
 * the initial weights where the models match), so it separates smaller differences than Welch's
 * test on two independent samples would.
 *
 * The difference is "supported" at this level when the interval excludes 0 (equivalently, the
 * two-sided paired t-test rejects d = 0 at 1 − level); with fewer than 2 shared seeds there is
 * no interval and nothing is supported.
 */
import { describeSample, type SampleStats } from './describe.js';
import { studentTCdf } from './student-t.js';

/** The paired difference a − b over the shared seeds. */
export interface PairedDifference extends SampleStats {
  /** The seeds both samples have, in order. */
  seeds: number[];
  /** Two-sided p-value of the paired t-test of d = 0; null when n < 2. */
  pValue: number | null;
  /** The interval excludes 0 (needs n ≥ 2). */
  supported: boolean;
}

/** a − b over the seeds both have (`a` and `b` map a seed to a value). */
export function pairedDifference(
  a: ReadonlyMap<number, number>,
  b: ReadonlyMap<number, number>,
  level = 0.95,
): PairedDifference {
  const seeds = [...a.keys()].filter((s) => b.has(s)).sort((x, y) => x - y);
  if (seeds.length === 0) throw new RangeError('pairedDifference: the two samples share no seed');
  const stats = describeSample(
    seeds.map((s) => a.get(s)! - b.get(s)!),
    level,
  );
  let pValue: number | null = null;
  if (stats.sd !== null) {
    const se = stats.sd / Math.sqrt(stats.n);
    pValue = se === 0 ? (stats.mean === 0 ? 1 : 0) : 2 * studentTCdf(-Math.abs(stats.mean / se), stats.n - 1);
  }
  const supported = stats.halfWidth !== null && stats.mean !== 0 && Math.abs(stats.mean) > stats.halfWidth;
  return { ...stats, seeds, pValue, supported };
}
