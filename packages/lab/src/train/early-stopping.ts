/**
 * Early stopping on the validation loss, with the rule of Keras 3's `EarlyStopping` (mode 'min',
 * minDelta 0, restore_best_weights) as `rl.callbacks.earlyStopping` implements it for `fit`. The
 * lab's loop keeps it as a plain value instead, because the whole state (best value, best epoch,
 * wait) must go into every checkpoint for a resumed run to stop where an uninterrupted one would.
 *
 *     improved = best is unset or x < best
 *     wait ← wait + 1; if improved: best ← x, bestEpoch ← e, wait ← 0
 *     stop when patience > 0 and wait ≥ patience
 */
export interface EarlyStoppingState {
  best: number | null;
  bestEpoch: number;
  wait: number;
}

export function initialEarlyStopping(): EarlyStoppingState {
  return { best: null, bestEpoch: 0, wait: 0 };
}

/** The state after epoch `epoch` scored `value`; `improved` says whether to snapshot the weights. */
export function observe(
  s: EarlyStoppingState,
  epoch: number,
  value: number,
  patience: number,
): { state: EarlyStoppingState; improved: boolean; stop: boolean } {
  const improved = s.best === null || value < s.best;
  const state = improved ? { best: value, bestEpoch: epoch, wait: 0 } : { ...s, wait: s.wait + 1 };
  return { state, improved, stop: patience > 0 && state.wait >= patience };
}
