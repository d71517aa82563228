/**
 * What a sweep needs to know of one of its run directories, read from the directory alone (so a
 * restarted sweep, `sweep --status` and a coordinator reading a shared store all see the same):
 * epochs completed (the epochs with a validation row in metrics.jsonl), whether the run has ended
 * (summary.json) and how, and its best validation loss up to any epoch (successive halving's score).
 */
import { existsSync } from 'node:fs';
import { readMetrics } from '../store/metrics-log.js';
import { readJson, runPaths } from '../store/run-dir.js';

export interface RunState {
  /** Epochs completed. */
  epochs: number;
  /** From summary.json: 'finished' or 'failed'; undefined while the run has not ended. */
  status?: 'finished' | 'failed';
  stoppedEarly: boolean;
  error?: string;
  /** Validation loss per completed epoch (index epoch − 1). */
  validLoss: number[];
}

export function readRunState(dir: string): RunState {
  const paths = runPaths(dir);
  const valid = existsSync(paths.metrics)
    ? readMetrics(paths.metrics)
        .filter((r) => r.split === 'valid')
        .sort((a, b) => a.epoch - b.epoch)
    : [];
  const summary = existsSync(paths.summary)
    ? (readJson(paths.summary) as { status?: string; stoppedEarly?: boolean; error?: string })
    : {};
  const status = summary.status === 'finished' || summary.status === 'failed' ? summary.status : undefined;
  return {
    epochs: valid.length === 0 ? 0 : valid.at(-1)!.epoch,
    status,
    stoppedEarly: summary.stoppedEarly === true,
    ...(summary.error === undefined ? {} : { error: summary.error }),
    validLoss: valid.map((r) => r.loss),
  };
}

/** The best validation loss over epochs 1…`epoch` (undefined before the run reached it). */
export function bestLossUpTo(state: RunState, epoch: number): number | undefined {
  if (state.epochs < epoch && state.status === undefined) return undefined;
  const losses = state.validLoss.slice(0, epoch);
  return losses.length === 0 ? undefined : Math.min(...losses);
}
