/**
 * The conclusions of a multi-seed experiment, computed from its statistics (seeds.ts): which
 * variant is best on average, and for each variant and measure whether its difference from the
 * baseline is one the seeds support (the paired 95% interval excludes 0) or one they cannot
 * separate from seed-to-seed variation. Every number in a sentence comes from the statistics.
 */
import type { MetricInfo } from './metrics.js';
import type { SeedMeasure, SeedStatistics } from './seeds.js';

const MEASURE_NAME: Record<SeedMeasure, string> = { test: 'test', valid: 'validation' };

/** The sentences, in reading order. */
export function seedConclusions(stats: SeedStatistics, metric: MetricInfo): string[] {
  const out: string[] = [];
  const q = (name: string) => `“${name}”`;
  const level = `${Math.round(stats.level * 100)}%`;
  const size = (d: number) =>
    metric.name === 'accuracy'
      ? `${(Math.abs(d) * 100).toFixed(2)} percentage points`
      : metric.format(Math.abs(d));
  const signed = (d: number) => `${d >= 0 ? '+' : '−'}${size(d)}`;
  const seedWords = (n: number) => `${n} seed${n === 1 ? '' : 's'}`;

  const most = Math.max(0, ...stats.variants.flatMap((v) => Object.values(v.measures).map((m) => m.n)));
  if (most < 2) {
    out.push(
      `Intervals need ≥ 2 seeds per variant, and this experiment has ${seedWords(most)}: run it with --seeds 3 (or more) to learn which differences are more than seed-to-seed variation.`,
    );
  }
  for (const measure of stats.measures) {
    const label = `${MEASURE_NAME[measure]} ${metric.short}`;
    const ranked = stats.variants
      .filter((v) => v.measures[measure])
      .sort((a, b) => {
        const d = a.measures[measure]!.mean - b.measures[measure]!.mean;
        return metric.higherIsBetter ? -d : d;
      });
    if (ranked.length > 1 && most >= 2) {
      const top = ranked[0]!.measures[measure]!;
      out.push(
        `By mean ${label}, ${q(ranked[0]!.name)} is best: ${metric.format(top.mean)}` +
          (top.sd !== null
            ? ` ± ${metric.format(top.sd)} (sd over ${seedWords(top.n)})`
            : ` (${seedWords(top.n)})`) +
          '.',
      );
    }
    for (const c of stats.comparisons.filter((c) => c.measure === measure)) {
      const d = c.difference;
      if (d.halfWidth === null) {
        out.push(
          `${q(c.variant)} vs ${q(c.baseline)} on ${label}: ${signed(d.mean)} with ${seedWords(d.n)} in common; ` +
            'an interval needs ≥ 2 seeds.',
        );
      } else if (d.supported) {
        const direction = d.mean < 0 ? 'lower' : 'higher';
        const verdict = d.mean < 0 !== metric.higherIsBetter ? 'better' : 'worse';
        out.push(
          `${q(c.variant)}'s ${label} is ${direction} (${verdict}) than ${q(c.baseline)}'s by ${size(d.mean)} ± ${size(d.halfWidth)} ` +
            `(${level} CI, paired over ${seedWords(d.n)}; ${formatP(d.pValue!)}): supported by the ${seedWords(d.n)}.`,
        );
      } else {
        out.push(
          `${q(c.variant)} and ${q(c.baseline)} are not distinguishable by ${label} with ${seedWords(d.n)}: ` +
            `the difference, ${signed(d.mean)} ± ${size(d.halfWidth)} (${level} CI), includes 0.`,
        );
      }
    }
  }
  return out;
}

/** `p = 0.013`, or `p < 0.001`. */
function formatP(p: number): string {
  return p < 0.001 ? 'p < 0.001' : `p = ${p.toPrecision(2)}`;
}
