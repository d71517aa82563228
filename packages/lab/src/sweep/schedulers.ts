/**
 * The schedulers of a sweep (pool.ts): a grid or random search hands out every run that has not
 * ended, in cell and seed order; successive halving (halving.ts) decides from the trials' states.
 * Both read the run directories, so a restarted sweep carries on where the last one stopped.
 */
import { join } from 'node:path';
import { nextHalvingStep, rungOf, type TrialState } from './halving.js';
import type { Scheduler } from './pool.js';
import { readRunState, type RunState } from './run-state.js';
import { type SweepConfig, sweepRuns } from './sweep-config.js';

/** Every run not yet ended (finished or failed), once each. */
export function everyRunScheduler(sweep: SweepConfig, dir: string): Scheduler {
  const ended = new Set<string>();
  return (running, failed) => {
    for (const run of sweepRuns(sweep)) {
      if (ended.has(run.key) || running.has(run.key) || failed.has(run.key)) continue;
      if (readRunState(join(dir, run.key)).status !== undefined) {
        ended.add(run.key);
        continue;
      }
      return { key: run.key };
    }
    return undefined;
  };
}

/** The state of each trial (cell, one seed) as successive halving sees it. */
export function trialStates(
  sweep: SweepConfig,
  dir: string,
  running: ReadonlySet<string> = new Set(),
  failed: ReadonlySet<string> = new Set(),
): (TrialState & { key: string; run: RunState })[] {
  const rungs = sweep.halving!.rungs;
  return sweepRuns(sweep).map((r) => {
    const run = readRunState(join(dir, r.key));
    const trial = { name: r.key, epochs: run.epochs, done: false, running: false, scores: [] };
    const reached = rungOf(trial, rungs);
    return {
      ...trial,
      key: r.key,
      run,
      done: run.status !== undefined || failed.has(r.key),
      running: running.has(r.key),
      scores: rungs.slice(0, reached + 1).map((epochs) => Math.min(...run.validLoss.slice(0, epochs))),
    };
  });
}

/** Asynchronous successive halving over the sweep's cells. */
export function halvingScheduler(sweep: SweepConfig, dir: string): Scheduler {
  const { rungs, reduction } = sweep.halving!;
  return (running, failed) => {
    const step = nextHalvingStep(trialStates(sweep, dir, running, failed), rungs, reduction);
    return (
      step && {
        key: step.trial,
        untilEpoch: step.untilEpoch,
        priority: rungs.length - rungs.indexOf(step.untilEpoch),
      }
    );
  };
}
