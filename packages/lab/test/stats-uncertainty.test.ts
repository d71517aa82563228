/**
 * The measures of predictive uncertainty in src/stats: AUROC (the Mann–Whitney statistic, against
 * hand-counted pairs and against the pair-counting definition on seeded random scores with ties)
 * and calibration (accuracy, NLL, reliability bins and ECE of a small set worked out by hand).
 */
import { describe, expect, it } from 'vitest';
import { auroc, calibration, NLL_FLOOR } from '../src/stats/index.js';

describe('auroc', () => {
  it('counts the pairs a positive wins, ties as half (hand-counted)', () => {
    // Pairs (positive, negative): 3>0, 3>2, 1>0, 1<2, 2>0, 2=2 → (1 + 1 + 1 + 0 + 1 + ½) / 6.
    expect(auroc([3, 1, 2], [0, 2])).toBeCloseTo(4.5 / 6, 15);
    expect(auroc([5, 6], [1, 2, 3])).toBe(1);
    expect(auroc([1, 2, 3], [5, 6])).toBe(0);
    expect(auroc([1, 1], [1])).toBe(0.5);
  });

  it('equals the pair-counting definition on seeded random scores with many ties', () => {
    let state = 12345;
    const next = () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const pos = Array.from({ length: 57 }, () => Math.round(next() * 20) / 10 + 0.3);
    const neg = Array.from({ length: 43 }, () => Math.round(next() * 20) / 10);
    let wins = 0;
    for (const p of pos) for (const n of neg) wins += p > n ? 1 : p === n ? 0.5 : 0;
    expect(auroc(pos, neg)).toBeCloseTo(wins / (pos.length * neg.length), 12);
  });

  it('refuses empty groups and non-finite scores', () => {
    expect(() => auroc([], [1])).toThrow(/needs positives and negatives, got 0 and 1/);
    expect(() => auroc([NaN], [1])).toThrow(/finite, got NaN/);
  });
});

describe('calibration', () => {
  // Two classes, two bins (0, ½] and (½, 1]. Confidences 0.9 ✓, 0.6 ✗, 0.7 ✓ fall in the upper bin,
  // 0.5 ✓ (a tie: the first class) in the lower one.
  const p = [0.9, 0.1, 0.6, 0.4, 0.3, 0.7, 0.5, 0.5];
  const y = [0, 1, 1, 0];

  it('gives accuracy, NLL, the reliability bins and ECE worked out by hand', () => {
    const c = calibration(p, y, 2, 2);
    expect(c.n).toBe(4);
    expect(c.accuracy).toBe(0.75);
    expect(c.nll).toBeCloseTo(-(Math.log(0.9) + Math.log(0.4) + Math.log(0.7) + Math.log(0.5)) / 4, 14);
    expect(c.bins.map((b) => [b.lower, b.upper, b.count])).toEqual([
      [0, 0.5, 1],
      [0.5, 1, 3],
    ]);
    expect(c.bins[0]!.confidence).toBe(0.5);
    expect(c.bins[0]!.accuracy).toBe(1);
    expect(c.bins[1]!.confidence).toBeCloseTo(2.2 / 3, 14);
    expect(c.bins[1]!.accuracy).toBeCloseTo(2 / 3, 14);
    // ECE = ¼·|1 − 0.5| + ¾·|⅔ − 2.2/3| = 0.125 + 0.05.
    expect(c.ece).toBeCloseTo(0.175, 14);
  });

  it('empty bins are NaN and weigh nothing; a zero probability costs −ln 1e-12; a perfect, certain set has ECE 0', () => {
    const c = calibration([1, 0, 0, 1], [1, 1], 2, 10);
    expect(c.bins.filter((b) => b.count > 0).map((b) => b.upper)).toEqual([1]);
    expect(Number.isNaN(c.bins[0]!.accuracy)).toBe(true);
    expect(c.nll).toBeCloseTo(-Math.log(NLL_FLOOR) / 2, 12); // one example certain and wrong
    expect(c.ece).toBeCloseTo(0.5, 14); // one bin: confidence 1, accuracy ½
    expect(calibration([0, 1, 1, 0], [1, 0], 2).ece).toBe(0);
  });

  it('refuses mismatched sizes, bad labels and bad bin counts, naming the value', () => {
    expect(() => calibration([0.5, 0.5], [0, 1], 2)).toThrow(/expected 2 × 2 probabilities for 2 labels/);
    expect(() => calibration([0.5, 0.5], [2], 2)).toThrow(/label 0 is 2, not a class in 0 … 1/);
    expect(() => calibration([0.5, 0.5], [0], 2, 0)).toThrow(/bins must be a positive integer, got 0/);
  });
});
