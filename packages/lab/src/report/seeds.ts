/**
 * The numbers of an experiment repeated over seeds: per variant, the mean ± standard deviation and
 * the 95% interval of each measure (the headline metric at the best validation epoch, on test and
 * on validation), and per non-baseline variant its paired difference from the baseline over the
 * seeds both ran (stats/paired.ts). Only finished values count: a run without a validation row
 * (or a test row) leaves its seed out of that measure.
 */
import { describeSample, pairedDifference, type PairedDifference, type SampleStats } from '../stats/index.js';
import type { MetricInfo, MetricName } from './metrics.js';
import type { RunSummary } from './summarize.js';

/** A number compared across seeds, taken at each run's best validation epoch. */
export type SeedMeasure = 'test' | 'valid';

/** One variant's runs, by seed, as summarized by summarizeRuns. */
export interface SeedGroup {
  name: string;
  label?: string;
  runs: { seed: number; summary: RunSummary }[];
}

/** A variant's statistics for one measure. */
export interface MeasureStats extends SampleStats {
  /** The value of each seed that has one. */
  values: { seed: number; value: number }[];
}

/** a − baseline for one measure. */
export interface SeedComparison {
  variant: string;
  baseline: string;
  measure: SeedMeasure;
  difference: PairedDifference;
}

/** Everything the multi-seed report shows (also in the job's summary.json). */
export interface SeedStatistics {
  metric: MetricName;
  level: number;
  measures: SeedMeasure[];
  seeds: number[];
  baseline: string | null;
  variants: { name: string; label?: string; measures: Partial<Record<SeedMeasure, MeasureStats>> }[];
  comparisons: SeedComparison[];
}

/** The value of `measure` in a run summary, or null when the run has none. */
export function measureOf(summary: RunSummary, measure: SeedMeasure): number | null {
  return measure === 'test' ? summary.test : (summary.best?.value ?? null);
}

/** Statistics of `groups` (see the module doc); `baseline` is a group name or null. */
export function seedStatistics(
  groups: SeedGroup[],
  metric: MetricInfo,
  opts: { measures?: readonly SeedMeasure[]; baseline?: string | null; level?: number } = {},
): SeedStatistics {
  const measures = [...(opts.measures ?? (['test', 'valid'] as const))];
  const level = opts.level ?? 0.95;
  const baseline = opts.baseline ?? null;
  if (baseline !== null && !groups.some((g) => g.name === baseline))
    throw new Error(
      `seedStatistics: baseline '${baseline}' is not a variant (${groups.map((g) => g.name).join(', ')})`,
    );
  const valuesOf = (g: SeedGroup, m: SeedMeasure) =>
    new Map(
      g.runs
        .map((r) => [r.seed, measureOf(r.summary, m)] as const)
        .filter((e): e is readonly [number, number] => e[1] !== null),
    );
  const variants = groups.map((g) => {
    const stats: Partial<Record<SeedMeasure, MeasureStats>> = {};
    for (const m of measures) {
      const values = valuesOf(g, m);
      if (values.size === 0) continue;
      stats[m] = {
        ...describeSample([...values.values()], level),
        values: [...values].map(([seed, value]) => ({ seed, value })),
      };
    }
    return { name: g.name, ...(g.label !== undefined ? { label: g.label } : {}), measures: stats };
  });
  const comparisons: SeedComparison[] = [];
  const base = groups.find((g) => g.name === baseline);
  if (base) {
    for (const g of groups) {
      if (g === base) continue;
      for (const m of measures) {
        const a = valuesOf(g, m);
        const b = valuesOf(base, m);
        if (![...a.keys()].some((s) => b.has(s))) continue;
        comparisons.push({
          variant: g.name,
          baseline: base.name,
          measure: m,
          difference: pairedDifference(a, b, level),
        });
      }
    }
  }
  const seeds = [...new Set(groups.flatMap((g) => g.runs.map((r) => r.seed)))].sort((x, y) => x - y);
  return { metric: metric.name, level, measures, seeds, baseline: base?.name ?? null, variants, comparisons };
}
