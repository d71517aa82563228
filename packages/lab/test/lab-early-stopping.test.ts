import { describe, expect, it } from 'vitest';
import { initialEarlyStopping, observe } from '../src/train/early-stopping.js';

/** Feeds validation losses through the rule; returns the stop epoch (or null) and the best epoch. */
function replay(losses: number[], patience: number) {
  let s = initialEarlyStopping();
  for (const [i, loss] of losses.entries()) {
    const r = observe(s, i + 1, loss, patience);
    s = r.state;
    if (r.stop) return { stopAt: i + 1, best: s.bestEpoch };
  }
  return { stopAt: null, best: s.bestEpoch };
}

describe('early stopping on the validation loss (Keras 3 rule, minDelta 0)', () => {
  it('stops after `patience` epochs without a strictly lower loss and keeps the best epoch', () => {
    expect(replay([3, 2, 2.5, 2.1, 2.0, 2.2], 2)).toEqual({ stopAt: 4, best: 2 });
    // an equal value is not an improvement
    expect(replay([3, 2, 2, 2, 2], 3)).toEqual({ stopAt: 5, best: 2 });
  });

  it('resets the wait on every improvement', () => {
    expect(replay([5, 6, 4, 5, 3, 4, 4.5], 2)).toEqual({ stopAt: 7, best: 5 });
  });

  it('never stops with patience 0', () => {
    expect(replay([1, 2, 3, 4, 5, 6], 0)).toEqual({ stopAt: null, best: 1 });
  });
});
