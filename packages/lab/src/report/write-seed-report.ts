/**
 * The report of an experiment repeated over seeds: its conclusions are the seed statistics'
 * (which differences the seeds support), then a table of mean ± sd and 95% intervals per variant;
 * the learning curves and the results table show one seed (the first) of each variant, as the
 * one-seed report would.
 */
import { seedConclusions } from './seed-conclusions.js';
import { seedTableHtml } from './seed-table.js';
import { type SeedMeasure, type SeedStatistics, seedStatistics } from './seeds.js';
import { chooseMetric, type MetricInfo, type MetricName } from './metrics.js';
import { readRun } from './run-data.js';
import { summarizeRuns } from './summarize.js';
import { writeReport, type ReportOptions } from './write-report.js';

/** One variant: its name, what it is, and one run directory per seed. */
export interface SeedReportVariant {
  name: string;
  label?: string;
  runs: { seed: number; dir: string }[];
}

/** Options of `writeSeedReport`. */
export interface SeedReportOptions extends Pick<
  ReportOptions,
  'title' | 'sections' | 'moreConclusions' | 'pngScale' | 'plotsDir'
> {
  /** The variant the others are compared with (null: no comparisons). */
  baseline: string | null;
  metric?: MetricName;
  measures?: readonly SeedMeasure[];
}

/** The statistics and conclusions of the runs of `variants` (what writeSeedReport shows). */
export function seedReportStatistics(
  variants: SeedReportVariant[],
  opts: Pick<SeedReportOptions, 'baseline' | 'metric' | 'measures'>,
): { metric: MetricInfo; statistics: SeedStatistics; conclusions: string[] } {
  const data = variants.map((v) => v.runs.map((r) => ({ seed: r.seed, run: readRun(r.dir) })));
  const metric = chooseMetric(
    data.flatMap((runs) => runs.map((r) => r.run)),
    opts.metric,
  );
  const statistics = seedStatistics(
    variants.map((v, i) => ({
      name: v.name,
      label: v.label,
      runs: data[i]!.map((r) => ({ seed: r.seed, summary: summarizeRuns([r.run], metric)[0]! })),
    })),
    metric,
    { measures: opts.measures, baseline: opts.baseline },
  );
  return { metric, statistics, conclusions: seedConclusions(statistics, metric) };
}

/** Writes the report (see the module doc); returns its conclusions and statistics. */
export async function writeSeedReport(
  variants: SeedReportVariant[],
  outFile: string,
  opts: SeedReportOptions,
): Promise<{ conclusions: string[]; statistics: SeedStatistics }> {
  const { metric, statistics, conclusions: seedSaid } = seedReportStatistics(variants, opts);
  const conclusions = [...seedSaid, ...(opts.moreConclusions ?? [])];
  const shown = variants.filter((v) => v.runs.length > 0);
  const seed = Math.min(...shown.map((v) => v.runs[0]!.seed));
  await writeReport(
    shown.map((v) => (v.runs.find((r) => r.seed === seed) ?? v.runs[0]!).dir),
    outFile,
    {
      title: opts.title,
      baseline: opts.baseline ?? undefined,
      metric: metric.name,
      names: shown.map((v) => v.name),
      conclusions,
      sections: [
        {
          id: 'seeds',
          title: `Across seeds ${statistics.seeds.join(', ')}`,
          html: seedTableHtml(statistics, metric),
        },
        ...(opts.sections ?? []),
      ],
      runsNote: `seed ${seed}`,
      pngScale: opts.pngScale,
      plotsDir: opts.plotsDir,
    },
  );
  return { conclusions, statistics };
}
