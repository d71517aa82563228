/** The whole run's ETA in the progress label (train/run-eta.ts), computed by hand. */
import { describe, expect, it } from 'vitest';
import { duration, runEta } from '../src/train/run-eta.js';

describe('run ETA', () => {
  it('is empty before an epoch has finished', () => {
    expect(runEta([], 1, 50)).toBe('');
  });

  it('is the mean epoch time times the epochs left, the current one included', () => {
    // epochs of 200 s and 220 s (mean 210 s), epoch 3 of 50 starting: 48 × 210 s = 10080 s = 2h48m
    expect(runEta([200, 220], 3, 50)).toBe(', run ≤ 2h48m left');
    expect(runEta([4], 5, 5)).toBe(', run ≤ 4s left');
  });

  it('formats durations as s, m+s or h+m', () => {
    expect([duration(0), duration(59.4), duration(95), duration(3600), duration(7260)]).toEqual([
      '0s',
      '59s',
      '1m35s',
      '1h00m',
      '2h01m',
    ]);
  });
});
