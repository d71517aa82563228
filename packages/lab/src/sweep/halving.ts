/**
 * Asynchronous successive halving (ASHA; Li, Jamieson, Rostamizadeh, Gonina, Ben-Tzur, Hardt,
 * Recht & Talwalkar, "A System for Massively Parallel Hyperparameter Tuning", MLSys 2020, Alg. 2),
 * with rungs measured in epochs: r₀ = --rung-epochs, r_k = r₀·η^k below the runs' --epochs, and
 * the last rung the runs' --epochs. Whenever a worker is free:
 *
 *     for k = top rung − 1 … 0:
 *       candidates = the best ⌊|rung k| / η⌋ trials of rung k (by validation loss) not yet promoted
 *       if any: train the best of them on to r_{k+1}
 *     else start a new trial (to r₀), if any is left
 *
 * "Rung k" holds the trials that have completed r_k epochs; a trial's score at rung k is its best
 * validation loss over epochs 1…r_k (the weights early stopping would keep). Promotion never waits
 * for a rung to fill, so no worker idles; a trial that is never promoted is stopped at its rung.
 * The decision reads only the trials' states (epochs trained, scores), which a restarted sweep
 * rebuilds from the run directories: a trial found between two rungs was promoted before the
 * restart and goes on to its next rung first.
 */

/** What the scheduler knows of one trial. */
export interface TrialState {
  name: string;
  /** Epochs completed (0: not started). */
  epochs: number;
  /** Finished (its last epoch, or stopped early by patience) or failed: never trained again. */
  done: boolean;
  /** Being trained now. */
  running: boolean;
  /** Best validation loss over epochs 1…rungs[k], for each rung k the trial has completed. */
  scores: number[];
}

/** The next piece of work: train `trial` on to epoch `untilEpoch`. */
export interface HalvingStep {
  trial: string;
  untilEpoch: number;
}

/** The highest rung index whose epochs the trial has completed (−1: none). */
export function rungOf(trial: TrialState, rungs: readonly number[]): number {
  let k = -1;
  while (k + 1 < rungs.length && trial.epochs >= rungs[k + 1]!) k++;
  return k;
}

/** ASHA's next step for these trials (module doc), or undefined when none can start now. */
export function nextHalvingStep(
  trials: readonly TrialState[],
  rungs: readonly number[],
  reduction: number,
): HalvingStep | undefined {
  const idle = (t: TrialState) => !t.running && !t.done;
  // Promoted before a restart, cut short between two rungs: on to its next rung.
  for (const t of trials) {
    const k = rungOf(t, rungs);
    if (idle(t) && t.epochs > 0 && t.epochs !== rungs[k]) return { trial: t.name, untilEpoch: rungs[k + 1]! };
  }
  for (let k = rungs.length - 2; k >= 0; k--) {
    const rung = trials.filter((t) => rungOf(t, rungs) >= k && t.scores[k] !== undefined);
    const top = [...rung]
      .sort((a, b) => a.scores[k]! - b.scores[k]!)
      .slice(0, Math.floor(rung.length / reduction));
    const promotable = top.find((t) => idle(t) && rungOf(t, rungs) === k);
    if (promotable) return { trial: promotable.name, untilEpoch: rungs[k + 1]! };
  }
  const fresh = trials.find((t) => idle(t) && t.epochs === 0);
  return fresh && { trial: fresh.name, untilEpoch: rungs[0]! };
}

/**
 * Where a trial ended, in words, once the sweep is over: stopped at a rung, finished every epoch,
 * stopped early by patience, or failed.
 */
export function stopWords(
  trial: Pick<TrialState, 'epochs'> & { status: 'finished' | 'failed' | 'stoppedEarly' | 'stopped' },
  rungs: readonly number[],
): string {
  if (trial.status === 'failed') return `failed after ${trial.epochs} epoch(s)`;
  if (trial.status === 'stoppedEarly') return `stopped early (patience) at epoch ${trial.epochs}`;
  const k = rungOf({ name: '', epochs: trial.epochs, done: false, running: false, scores: [] }, rungs);
  if (trial.status === 'finished') return `trained all ${trial.epochs} epochs (rung ${k})`;
  return k < 0 ? 'not started' : `stopped at rung ${k} (epoch ${rungs[k]})`;
}
