/**
 * Runs one experiment in a run directory: `startRun` creates the directory and writes
 * `config.json`; `continueRun` (also what `regulab resume` calls) loads the data, builds the task
 * and optimizer from `config.json`, trains from the last checkpoint, and writes `summary.json`
 * and the run's report.
 */
import { existsSync } from 'node:fs';
import * as rl from 'regulab';
import { InterruptedError, RunFailedError } from '../errors.js';
import type { MetricName } from '../store/metrics-log.js';
import {
  createRunDir,
  readJson,
  removeLeftovers,
  removeRunDir,
  runPaths,
  writeJson,
} from '../store/run-dir.js';
import { lockRunDir } from '../store/run-lock.js';
import { makeOptimizer } from '../train/optimizer.js';
import type { Progress } from '../train/progress.js';
import { train } from '../train/trainer.js';
import { buildTask } from './build-task.js';
import { type FinalScores, finalEvaluation } from './final-evaluation.js';
import { type ExperimentConfig, validateConfig } from './config.js';
import { lstmImplementation } from './recurrent-layer.js';
import { writeRunReport } from './reporting.js';

export interface RunOptions {
  progress: Progress;
  log?: (line: string) => void;
  /** Polled before every batch: true stops the run at once, its last checkpoint intact. */
  interrupted?: () => boolean;
  /** Write report.html and plots/ at the end (default true). */
  report?: boolean;
  /** Problems that do not fail the run (a report that could not be written). */
  warn?: (line: string) => void;
  /** Pause after this epoch (trainer.ts): the summary then says 'paused' and is not written. */
  untilEpoch?: number;
  /**
   * Refresh the run lock every this many ms, and take over another host's lock left unrefreshed
   * (sweep workers on several machines; store/run-lock.ts).
   */
  lockHeartbeatMs?: number;
}

/** What `summary.json` holds and `--json` prints. */
export interface RunSummary {
  runDir: string;
  experiment: string;
  /** 'paused': stopped at `untilEpoch` before its end (not written to summary.json). */
  status: 'finished' | 'failed' | 'paused';
  epochs: number;
  stoppedEarly: boolean;
  metric: MetricName;
  bestEpoch: number;
  /** The validation metric (and loss) at the best epoch (the lowest validation loss). */
  bestValid: number;
  bestValidLoss: number;
  /**
   * The test metric of the restored weights: the final evaluation's (`final`) when the run
   * recomputed batch norm's population statistics, else the best epoch's.
   */
  test: number;
  /** The final evaluation after recomputing batch norm's statistics (./final-evaluation.ts), if any. */
  final?: FinalScores;
  kernelBackend: string;
  lstm: string;
  error?: string;
}

/**
 * Creates a run directory for `config` and runs it. A run that fails while being set up (missing
 * data, a bad option found late) leaves nothing behind: it had nothing to resume.
 */
export async function startRun(config: ExperimentConfig, dir: string, opts: RunOptions): Promise<RunSummary> {
  const paths = runPaths(dir);
  createRunDir(paths);
  try {
    writeJson(paths.config, config);
    return await continueRun(dir, opts);
  } catch (e) {
    const trained =
      e instanceof RunFailedError || e instanceof InterruptedError || existsSync(paths.checkpoint);
    if (!trained) removeRunDir(paths);
    throw e;
  }
}

/** Trains the run in `dir` from its last checkpoint to the end. */
export async function continueRun(dir: string, opts: RunOptions): Promise<RunSummary> {
  const paths = runPaths(dir);
  const config = validateConfig(readJson(paths.config), paths.config);
  const unlock = lockRunDir(paths.dir, { heartbeatMs: opts.lockHeartbeatMs });
  removeLeftovers(paths);
  const task = await buildTask(config).catch((e: unknown) => {
    unlock();
    throw e;
  });
  const optimizer = makeOptimizer(config);
  const environment = { kernelBackend: rl.kernels.backend(), lstm: lstmImplementation() };
  try {
    const outcome = await train(task, optimizer, {
      paths,
      maxEpochs: config.epochs,
      patience: config.patience,
      progress: opts.progress,
      log: opts.log,
      warn: opts.warn,
      interrupted: opts.interrupted,
      untilEpoch: opts.untilEpoch,
      config,
    });
    const at = (split: string) =>
      outcome.rows.find((r) => r.epoch === outcome.bestEpoch && r.split === split)!;
    const score = (split: string) => ({ loss: at(split).loss!, metric: at(split)[task.metric]! });
    const final = outcome.finished
      ? await finalEvaluation(task, { valid: score('valid'), test: score('test') }, opts.log)
      : undefined;
    const summary: RunSummary = {
      runDir: paths.dir,
      experiment: config.experiment,
      status: outcome.finished ? 'finished' : 'paused',
      epochs: outcome.epochs,
      stoppedEarly: outcome.stoppedEarly,
      metric: task.metric,
      bestEpoch: outcome.bestEpoch,
      bestValid: at('valid')[task.metric]!,
      bestValidLoss: at('valid').loss,
      test: final?.test.metric ?? at('test')[task.metric]!,
      ...(final && { final }),
      ...environment,
    };
    if (!outcome.finished) return summary;
    writeJson(paths.summary, summary);
    if (opts.report !== false) {
      // The metrics are safe on disk: a failed report is a warning (`regulab report` can redo it).
      await writeRunReport([paths.dir], paths.report).catch((e: Error) =>
        opts.warn?.(`warning: the report could not be written: ${e.message}`),
      );
    }
    return summary;
  } catch (e) {
    if (e instanceof RunFailedError) {
      try {
        writeJson(paths.summary, {
          runDir: paths.dir,
          experiment: config.experiment,
          status: 'failed',
          error: e.message,
          ...environment,
        });
      } catch {
        // The disk that failed the run may refuse this too: the error itself says what was kept.
      }
    }
    throw e;
  } finally {
    task.dispose();
    optimizer.dispose();
    unlock();
  }
}
