/**
 * Runs a sweep (sweep-config.ts) in its directory: writes sweep.json once, prepares one ordinary
 * run directory per cell and seed, hands the runs to an executor — worker processes of this
 * machine (local-executor.ts), or a BullMQ queue (queue/) — through the scheduler (every run, or
 * successive halving), then writes the report and summary.json.
 *
 * Idempotent by construction: a run is keyed by its directory `<cell>/seed-<s>`, and whatever has
 * ended there (summary.json) is never trained again, so the sweep command killed and started again
 * — with the same arguments, or `regulab resume <dir>` — carries on with the same sweep, and each
 * interrupted run resumes from its own checkpoint.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { ConfigError, InterruptedError } from '../errors.js';
import { createRunDir, readJson, removeLeftovers, runPaths, writeJson } from '../store/run-dir.js';
import { makeDirectory } from '../store/make-directory.js';
import { describeCell, readSweep, type SweepConfig, sweepRuns } from './sweep-config.js';
import { SWEEP_FILE } from './sweep-dir.js';
import { drive, type Executor } from './pool.js';
import { everyRunScheduler, halvingScheduler } from './schedulers.js';
import { sweepProgress } from './sweep-progress.js';
import { runEnd, writeSweepReport } from './sweep-report.js';
import { localExecutor } from './local-executor.js';
import { readRunState } from './run-state.js';

/** Where runs are executed: `concurrency` tasks at a time through `execute`. */
export interface SweepExecutor {
  execute: Executor;
  concurrency: number;
  /** Where the runs go, for the opening line: '2 at a time', 'on the queue …'. */
  where: string;
  /** What the report should say about how the runs went (retries, stalls). */
  notes?: () => string[];
  close: () => Promise<void> | void;
}

export interface SweepOptions {
  /** Local worker processes (default: one per core, at most the runs). */
  workers?: number;
  /** Another executor (a queue); default: this machine's. */
  executor?: (dir: string) => Promise<SweepExecutor>;
  /** The progress bar (stderr, terminals only). */
  progress?: boolean;
  log?: (line: string) => void;
  interrupted?: () => boolean;
}

/** What summary.json holds and `--json` prints. */
export interface SweepSummary {
  sweepDir: string;
  target: string;
  report: string;
  metric: string;
  best: string | null;
  cells: {
    name: string;
    values: Record<string, string>;
    valid: { n: number; mean: number; sd: number | null; halfWidth: number | null } | null;
    test: { n: number; mean: number; sd: number | null; halfWidth: number | null } | null;
    runs: { seed: number; run: string; epochs: number; status: string; ended: string }[];
  }[];
  failed: { run: string; error: string }[];
  conclusions: string[];
}

/** The default directory of a sweep: a hash of what it runs, so the same command finds it again. */
export function defaultSweepDir(sweep: SweepConfig): string {
  const hash = createHash('sha256')
    .update(JSON.stringify(identity(sweep)))
    .digest('hex')
    .slice(0, 10);
  return join('runs', 'sweeps', `${sweep.target}-${hash}`);
}

/** What makes two sweeps the same one. */
function identity(s: SweepConfig) {
  return {
    target: s.target,
    preset: s.preset,
    search: s.search,
    seeds: s.seeds,
    halving: s.halving,
    cells: s.cells,
  };
}

/** Starts `sweep` in `dir`, or continues it there when `dir` already holds the same sweep. */
export async function startSweep(sweep: SweepConfig, dir: string, opts: SweepOptions): Promise<SweepSummary> {
  const file = join(dir, SWEEP_FILE);
  if (existsSync(file)) {
    // Compared as written (readSweep's validation may reorder a config's keys).
    const stored = JSON.stringify(identity(readJson(file) as SweepConfig));
    if (stored !== JSON.stringify(identity(JSON.parse(JSON.stringify(sweep)) as SweepConfig)))
      throw new ConfigError(
        `${dir} holds another sweep (its ${SWEEP_FILE} differs): continue it with 'regulab resume ${dir}', or give another --out`,
      );
    opts.log?.(`continuing the sweep in ${dir}`);
  } else {
    makeDirectory(dir, `sweep directory ${dir}`);
    if (readdirSync(dir).length > 0)
      throw new ConfigError(`sweep directory ${dir} is not empty: give a new or empty directory`);
    writeJson(file, sweep);
  }
  return continueSweep(dir, opts);
}

/** Runs every run of the sweep in `dir` that has not ended, then writes the report. */
export async function continueSweep(dir: string, opts: SweepOptions): Promise<SweepSummary> {
  const sweep = readSweep(dir);
  removeLeftovers(runPaths(dir));
  const runs = sweepRuns(sweep);
  for (const run of runs) {
    const paths = runPaths(join(dir, run.key));
    if (!existsSync(paths.config)) {
      createRunDir(paths);
      writeJson(paths.config, run.config);
    }
  }
  const pending = runs.filter((r) => readRunState(join(dir, r.key)).status === undefined).length;
  const workers = opts.workers ?? Math.max(1, Math.min(pending, availableParallelism()));
  const executor: SweepExecutor = opts.executor
    ? await opts.executor(dir)
    : {
        ...localExecutor(dir, workers, opts.interrupted),
        concurrency: workers,
        where: `${workers} at a time`,
      };
  opts.log?.(
    `${sweep.cells.length} cells × ${sweep.seeds.length} seed(s) = ${runs.length} runs (${pending} not ended)` +
      (sweep.halving ? `, successive halving at epochs ${sweep.halving.rungs.join(', ')}` : '') +
      `, ${executor.where}`,
  );
  const progress = sweepProgress(sweep, dir, opts.progress === true, opts.log);
  const next = sweep.halving ? halvingScheduler(sweep, dir) : everyRunScheduler(sweep, dir);
  let failures: Map<string, string>;
  try {
    failures = await drive(next, executor.execute, executor.concurrency, {
      interrupted: opts.interrupted,
      onDone: (task, error) => {
        progress.refresh();
        const state = readRunState(join(dir, task.key));
        progress.log(
          error !== undefined
            ? `${task.key}: failed: ${error}`
            : `${task.key}: ${state.status === undefined ? `paused at epoch ${state.epochs}` : 'done'}`,
        );
      },
    });
  } catch (e) {
    throw e instanceof InterruptedError ? new InterruptedError(dir) : e;
  } finally {
    progress.stop();
    await executor.close();
  }
  // Runs that failed in an earlier pass are failures too.
  for (const r of runs) {
    const state = readRunState(join(dir, r.key));
    if (state.status === 'failed' && !failures.has(r.key)) failures.set(r.key, state.error ?? 'failed');
  }
  const { stats, conclusions, report } = await writeSweepReport(
    sweep,
    dir,
    failures,
    executor.notes?.() ?? [],
  );
  const summary: SweepSummary = {
    sweepDir: dir,
    target: sweep.target,
    report,
    metric: stats.metric.name,
    best: stats.best === null ? null : stats.cells[stats.best]!.cell.name,
    cells: stats.cells.map((c) => ({
      name: c.cell.name,
      values: c.cell.values,
      valid: c.valid && pick(c.valid),
      test: c.test && pick(c.test),
      runs: c.runs.map((r) => ({
        seed: r.seed,
        run: r.key,
        epochs: r.state.epochs,
        status: r.state.status ?? 'stopped',
        ended: runEnd(sweep, r),
      })),
    })),
    failed: [...failures].map(([run, error]) => ({ run, error })),
    conclusions,
  };
  writeJson(join(dir, 'summary.json'), summary);
  return summary;
}

function pick(s: { n: number; mean: number; sd: number | null; halfWidth: number | null }) {
  return { n: s.n, mean: s.mean, sd: s.sd, halfWidth: s.halfWidth };
}

/** The summary as lines for the terminal. */
export function summaryLines(s: SweepSummary, format: (v: number) => string): string[] {
  return [
    ...s.cells.map((c) => {
      const v = c.valid
        ? `valid ${format(c.valid.mean)}${c.valid.sd === null ? '' : ` ± ${format(c.valid.sd)}`}`
        : 'no result';
      return `  ${c.name === s.best ? '*' : ' '} ${c.name.padEnd(28)} ${v}  (${describeCell(c.values)})`;
    }),
    ...s.conclusions.map((c) => `  ${c.replace(/[“”]/g, '')}`),
    `report: ${s.report}`,
  ];
}
