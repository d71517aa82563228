/**
 * The progress of a sweep, counted in epochs (the unit every run and rung is made of): the bar
 * (cli-progress, on stderr when it is a terminal) shows epochs done of the planned total, runs
 * ended, and an ETA from the rate so far. A run that ended before its last epoch (early stopping,
 * a failure) counts its remaining epochs as done. With successive halving the total is the
 * expected budget: n·r₀ + Σ_k ⌊n/η^{k}⌋·(r_k − r_{k−1}).
 */
import cliProgress from 'cli-progress';
import { join } from 'node:path';
import { readRunState } from './run-state.js';
import { type SweepConfig, sweepRuns } from './sweep-config.js';

/** The epochs the sweep plans to train. */
export function plannedEpochs(sweep: SweepConfig): number {
  const runs = sweepRuns(sweep);
  if (!sweep.halving) return runs.reduce((a, r) => a + r.config.epochs, 0);
  const { rungs, reduction } = sweep.halving;
  return rungs.reduce(
    (a, r, k) => a + Math.floor(runs.length / reduction ** k) * (r - (k === 0 ? 0 : rungs[k - 1]!)),
    0,
  );
}

/** Epochs done and runs ended, read from the run directories. */
export function sweepDone(sweep: SweepConfig, dir: string): { epochs: number; ended: number } {
  let epochs = 0;
  let ended = 0;
  for (const r of sweepRuns(sweep)) {
    const s = readRunState(join(dir, r.key));
    if (s.status !== undefined) ended++;
    epochs += s.status !== undefined && !sweep.halving ? r.config.epochs : s.epochs;
  }
  return { epochs, ended };
}

export interface SweepProgress {
  /** Re-reads the run directories and redraws. */
  refresh(): void;
  /** A line above the bar (or on `log` when there is no bar). */
  log(line: string): void;
  stop(): void;
}

/** A progress display for the sweep in `dir`; silent when `enabled` is false. */
export function sweepProgress(
  sweep: SweepConfig,
  dir: string,
  enabled: boolean,
  log?: (line: string) => void,
): SweepProgress {
  const total = plannedEpochs(sweep);
  const runs = sweepRuns(sweep).length;
  if (!enabled || !process.stderr.isTTY) {
    return { refresh() {}, log: (line) => log?.(line), stop() {} };
  }
  const bars = new cliProgress.MultiBar(
    {
      stream: process.stderr,
      format: 'sweep |{bar}| {value}/{total} epochs | {ended}/{runs} runs ended | ETA {eta_formatted}',
      hideCursor: true,
      clearOnComplete: true,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  const start = sweepDone(sweep, dir);
  const bar = bars.create(total, Math.min(total, start.epochs), { ended: start.ended, runs });
  const refresh = () => {
    const now = sweepDone(sweep, dir);
    bar.setTotal(Math.max(total, now.epochs));
    bar.update(now.epochs, { ended: now.ended, runs });
  };
  const timer = setInterval(refresh, 2000);
  timer.unref();
  return {
    refresh,
    log: (line) => {
      bars.log(`${line}\n`);
      bars.update(); // draw it now: a line logged just before stop() would be lost
    },
    stop() {
      clearInterval(timer);
      bars.stop();
    },
  };
}
