/**
 * The lab's calls into the reports module. A report problem caused by its input (a run directory
 * without metrics) is a usage error for the CLI.
 */
import { dirname, resolve } from 'node:path';
import { ConfigError } from '../errors.js';
import {
  ReportInputError,
  type ReportOptions,
  type ReportSection,
  type SeedStatistics,
  writeReport,
  seedReportStatistics,
  writeSeedReport,
} from '../report/index.js';
import type { Progress } from '../train/progress.js';
import type { ExperimentDefinition, ExperimentSection, ReportSectionInput } from './definition.js';
import { type ExperimentJobConfig, jobRuns } from './experiment-config.js';

/** Writes the HTML report (and plots/) of one or more runs; returns the conclusions it drew. */
export async function writeRunReport(
  runDirs: string[],
  outFile: string,
  opts: ReportOptions = {},
): Promise<string[]> {
  return asUsageError(async () => (await writeReport(runDirs, outFile, opts)).conclusions);
}

/**
 * The report of an experiment job in `dir`: with one seed, the report of its variants' runs side
 * by side (as `regulab report` would write it); with more, the multi-seed report (mean ± sd, 95%
 * intervals, what the seeds support). The definition's own section, if any, comes after the
 * conclusions in both. `progress` shows how far a section that computes for long is.
 */
export async function writeExperimentReport(
  definition: ExperimentDefinition,
  job: ExperimentJobConfig,
  dir: string,
  outFile: string,
  progress?: Progress,
): Promise<{ conclusions: string[]; statistics: SeedStatistics | null }> {
  const runs = jobRuns(job, dir);
  const variants = job.variants.map((v) => ({
    name: v.name,
    label: v.label,
    runs: runs.filter((r) => r.variant === v.name).map((r) => ({ seed: r.seed, dir: r.dir })),
  }));
  const section = async (statistics: SeedStatistics | null): Promise<ExperimentSection[]> => {
    const input: ReportSectionInput = {
      variants,
      statistics,
      reportDir: dirname(resolve(outFile)),
      progress,
    };
    return definition.report.section ? [await definition.report.section(input)] : [];
  };
  const split = (sections: ExperimentSection[]) => ({
    sections: sections.map(({ conclusions: _, ...s }): ReportSection => s),
    moreConclusions: sections.flatMap((s) => s.conclusions ?? []),
  });
  return asUsageError(async () => {
    if (job.seeds === undefined) {
      const { sections, moreConclusions } = split(await section(null));
      const conclusions = await writeRunReport(
        runs.map((r) => r.dir),
        outFile,
        {
          title: definition.report.title,
          baseline: definition.baseline,
          ...(definition.report.metric ? { metric: definition.report.metric } : {}),
          ...(sections.length ? { sections, moreConclusions } : {}),
        },
      );
      return { conclusions, statistics: null };
    }
    const opts = {
      title: definition.report.title,
      baseline: definition.baseline,
      metric: definition.report.metric,
      measures: definition.report.measures,
    };
    const own = definition.report.section
      ? await section(seedReportStatistics(variants, opts).statistics)
      : [];
    return writeSeedReport(variants, outFile, { ...opts, ...split(own) });
  });
}

async function asUsageError<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof ReportInputError) throw new ConfigError(e.message);
    throw e;
  }
}
