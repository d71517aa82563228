/**
 * Runs an experiment job (definition.ts): every variant for every seed, each an ordinary run
 * directory (so each resumes, and can be reported on, by itself), trained side by side in worker
 * processes (variant-workers.ts); then one report comparing the variants — with two or more
 * seeds, their mean ± sd, 95% intervals and which differences the seeds support.
 * The directory layout is in experiment-config.ts.
 */
import { existsSync } from 'node:fs';
import { InterruptedError } from '../errors.js';
import type { SeedStatistics } from '../report/index.js';
import { createRunDir, readJson, removeLeftovers, runPaths, writeJson } from '../store/run-dir.js';
import { type ExperimentJobConfig, jobRuns, jobSeeds, readExperimentJob } from './experiment-config.js';
import { writeExperimentReport } from './reporting.js';
import type { RunOptions, RunSummary } from './runner.js';
import { defaultWorkers, runAll } from './variant-workers.js';

/** One run's result in the job summary. */
export type JobRunSummary = Pick<
  RunSummary,
  'bestEpoch' | 'bestValid' | 'test' | 'epochs' | 'stoppedEarly' | 'metric'
> & {
  name: string;
  /** Only with two or more seeds. */
  seed?: number;
};

/** What the job's `summary.json` holds and `--json` prints. */
export interface JobSummary {
  runDir: string;
  experiment: string;
  report: string;
  runs: JobRunSummary[];
  /** With two or more seeds: the seeds, the statistics and the conclusions they support. */
  seeds?: number[];
  statistics?: SeedStatistics;
  conclusions?: string[];
}

export type JobOptions = RunOptions & { workers?: number };

/** Starts the job `job` in a new directory `dir`. */
export async function startExperiment(
  job: ExperimentJobConfig,
  dir: string,
  opts: JobOptions,
): Promise<JobSummary> {
  const paths = runPaths(dir);
  createRunDir(paths);
  writeJson(paths.config, job);
  return continueExperiment(dir, opts);
}

/** Runs (or resumes) every run of the job in `dir`, then writes the comparison report. */
export async function continueExperiment(dir: string, opts: JobOptions): Promise<JobSummary> {
  const paths = runPaths(dir);
  removeLeftovers(paths); // what a killed job left of its own writes (each run cleans its own)
  const { job, definition } = readExperimentJob(dir);
  const runs = jobRuns(job, paths.dir).map((run) => {
    const sub = runPaths(run.dir);
    if (!existsSync(sub.config)) {
      createRunDir(sub);
      writeJson(sub.config, run.config);
    }
    return { ...run, paths: sub };
  });
  const pending = runs.filter(
    (r) => !existsSync(r.paths.summary) || (readJson(r.paths.summary) as RunSummary).status !== 'finished',
  );
  const seeds = jobSeeds(job);
  const workers = opts.workers ?? defaultWorkers(pending.length);
  const names =
    job.variants.map((v) => v.name).join(', ') + (job.seeds ? ` × seeds ${seeds.join(', ')}` : '');
  opts.log?.(
    pending.length === 0
      ? `${runs.length} runs (${names}): already complete; writing the report again`
      : `${runs.length} runs (${pending.length} to train, ${Math.min(workers, pending.length)} at a time): ${names}`,
  );
  await runAll(
    pending.map((r) => r.dir),
    workers,
    opts,
  ).catch((e: unknown) => {
    throw e instanceof InterruptedError ? new InterruptedError(paths.dir) : e; // resume the whole job
  });
  // A report section may evaluate every run (mc-dropout): its progress shows on the bar.
  const report = await writeExperimentReport(definition, job, paths.dir, paths.report, opts.progress);
  const multi = job.seeds !== undefined;
  const summary: JobSummary = {
    runDir: paths.dir,
    experiment: job.experiment,
    report: paths.report,
    runs: runs.map((r) => ({
      name: r.variant,
      ...(multi ? { seed: r.seed } : {}),
      ...pick(readJson(r.paths.summary) as RunSummary),
    })),
  };
  if (multi)
    Object.assign(summary, { seeds, statistics: report.statistics, conclusions: report.conclusions });
  writeJson(paths.summary, summary);
  return summary;
}

function pick(s: RunSummary) {
  const { bestEpoch, bestValid, test, epochs, stoppedEarly, metric } = s;
  return { bestEpoch, bestValid, test, epochs, stoppedEarly, metric };
}
