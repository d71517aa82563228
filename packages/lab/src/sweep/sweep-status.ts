/**
 * `regulab sweep --status <dir>`: how far a sweep is, read from its directory alone (no queue
 * needed, so it works from any machine that sees the store): runs ended, failed, part-trained and
 * not started, epochs done of those planned, and with successive halving how many trials reached
 * each rung.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { rungOf } from './halving.js';
import { readRunState } from './run-state.js';
import { readSweep, sweepRuns } from './sweep-config.js';
import { plannedEpochs, sweepDone } from './sweep-progress.js';

export interface SweepStatus {
  sweepDir: string;
  target: string;
  axes: string[];
  runs: number;
  finished: number;
  failed: number;
  /** Part-trained: some epochs, no result yet (training now, paused at a rung, or interrupted). */
  started: { run: string; epochs: number }[];
  notStarted: number;
  epochs: { done: number; planned: number };
  /** Successive halving: trials whose last completed rung is each rung. */
  rungs?: { epoch: number; trials: number }[];
  /** summary.json exists: the sweep has ended and written its report. */
  reported: boolean;
}

export function sweepStatus(dir: string): SweepStatus {
  const sweep = readSweep(dir);
  const states = sweepRuns(sweep).map((r) => ({ run: r.key, state: readRunState(join(dir, r.key)) }));
  const done = sweepDone(sweep, dir);
  const status: SweepStatus = {
    sweepDir: dir,
    target: sweep.target,
    axes: sweep.axes,
    runs: states.length,
    finished: states.filter((s) => s.state.status === 'finished').length,
    failed: states.filter((s) => s.state.status === 'failed').length,
    started: states
      .filter((s) => s.state.status === undefined && s.state.epochs > 0)
      .map((s) => ({ run: s.run, epochs: s.state.epochs })),
    notStarted: states.filter((s) => s.state.status === undefined && s.state.epochs === 0).length,
    epochs: { done: done.epochs, planned: plannedEpochs(sweep) },
    reported: existsSync(join(dir, 'summary.json')),
  };
  if (sweep.halving) {
    const { rungs } = sweep.halving;
    status.rungs = rungs.map((epoch, k) => ({
      epoch,
      trials: states.filter(
        (s) => rungOf({ ...s.state, name: '', done: false, running: false, scores: [] }, rungs) === k,
      ).length,
    }));
  }
  return status;
}
