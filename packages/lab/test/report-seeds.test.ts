/**
 * The multi-seed statistics and the conclusions drawn from them, on constructed inputs whose
 * answers are known: the values are chosen so the paired differences have a stated mean and
 * spread (interval half-width = t_{0.975, n−1} · s_d / √n, t from the NIST table).
 */
import { describe, expect, it } from 'vitest';
import {
  metricInfo,
  type RunSummary,
  seedConclusions,
  seedStatistics,
  type SeedGroup,
} from '../src/report/index.js';

/** A run summary with only the numbers the seed statistics read. */
function run(valid: number, test: number | null): RunSummary {
  return {
    name: 'r',
    dir: '/r',
    epochs: 3,
    best: { epoch: 3, value: valid },
    trainAtBest: null,
    lastValid: null,
    lastTrain: null,
    test,
    testAfterBnStatistics: false,
    seconds: null,
    validWorsening: 0,
    overfits: false,
    stillImproving: true,
    configDiff: {},
  };
}

function group(name: string, tests: number[], seeds = tests.map((_, i) => i + 1)): SeedGroup {
  return { name, runs: tests.map((t, i) => ({ seed: seeds[i]!, summary: run(t + 0.1, t) })) };
}

const bpc = metricInfo('bpc');

describe('seedStatistics', () => {
  it('mean ± sd per variant and paired differences from the baseline, per measure', () => {
    const stats = seedStatistics(
      [group('base', [1.5, 1.6, 1.7]), group('better', [1.4, 1.52, 1.58]), group('same', [1.6, 1.5, 1.7])],
      bpc,
      { baseline: 'base' },
    );
    expect(stats.seeds).toEqual([1, 2, 3]);
    expect(stats.measures).toEqual(['test', 'valid']);
    const base = stats.variants[0]!.measures.test!;
    expect(base.mean).toBeCloseTo(1.6, 12);
    expect(base.sd!).toBeCloseTo(0.1, 12);
    expect(base.halfWidth!).toBeCloseTo((4.302652729749462 * 0.1) / Math.sqrt(3), 12);
    // better − base = −0.10, −0.08, −0.12: mean −0.10, sd 0.02.
    const better = stats.comparisons.find((c) => c.variant === 'better' && c.measure === 'test')!;
    expect(better.difference.mean).toBeCloseTo(-0.1, 12);
    expect(better.difference.sd!).toBeCloseTo(0.02, 12);
    expect(better.difference.supported).toBe(true);
    const same = stats.comparisons.find((c) => c.variant === 'same' && c.measure === 'test')!;
    expect(same.difference.mean).toBeCloseTo(0, 12);
    expect(same.difference.supported).toBe(false);
    expect(stats.comparisons).toHaveLength(4);
  });

  it('pairs only seeds both ran, and leaves runs without a test value out of the test measure', () => {
    const a = { name: 'a', runs: [1, 2, 3].map((s) => ({ seed: s, summary: run(1, s === 2 ? null : s) })) };
    const stats = seedStatistics([a, group('base', [1, 2], [1, 3])], bpc, { baseline: 'base' });
    expect(stats.variants[0]!.measures.test!.values).toEqual([
      { seed: 1, value: 1 },
      { seed: 3, value: 3 },
    ]);
    expect(stats.comparisons.find((c) => c.measure === 'test')!.difference.seeds).toEqual([1, 3]);
    expect(() => seedStatistics([a], bpc, { baseline: 'nope' })).toThrow(
      /baseline 'nope' is not a variant \(a\)/,
    );
  });
});

describe('seedConclusions', () => {
  it('says which differences the seeds support and which they cannot separate', () => {
    const stats = seedStatistics(
      [group('base', [1.5, 1.6, 1.7]), group('better', [1.4, 1.52, 1.58]), group('same', [1.6, 1.5, 1.7])],
      bpc,
      { baseline: 'base', measures: ['test'] },
    );
    const half = ((4.302652729749462 * 0.02) / Math.sqrt(3)).toFixed(3); // 0.050
    expect(seedConclusions(stats, bpc)).toEqual([
      'By mean test BPC, “better” is best: 1.500 ± 0.092 (sd over 3 seeds).',
      `“better”'s test BPC is lower (better) than “base”'s by 0.100 ± ${half} (95% CI, paired over 3 seeds; p = 0.013): supported by the 3 seeds.`,
      '“same” and “base” are not distinguishable by test BPC with 3 seeds: the difference, +0.000 ± 0.248 (95% CI), includes 0.',
    ]);
  });

  it('accuracy: higher is better, differences in percentage points', () => {
    const acc = metricInfo('accuracy');
    const stats = seedStatistics([group('base', [0.9, 0.91]), group('reg', [0.92, 0.93])], acc, {
      baseline: 'base',
      measures: ['test'],
    });
    const lines = seedConclusions(stats, acc);
    expect(lines[0]).toBe('By mean test accuracy, “reg” is best: 92.50% ± 0.71% (sd over 2 seeds).');
    // Differences 0.02, 0.02: sd 0, so the interval has zero width and the difference is supported.
    expect(lines[1]).toMatch(
      /^“reg”'s test accuracy is higher \(better\) than “base”'s by 2\.00 percentage points ± 0\.00 percentage points \(95% CI, paired over 2 seeds; p < 0\.001\): supported by the 2 seeds\.$/,
    );
  });

  it('with one seed: intervals need ≥ 2 seeds', () => {
    const stats = seedStatistics([group('base', [1.5]), group('reg', [1.4])], bpc, {
      baseline: 'base',
      measures: ['test'],
    });
    expect(seedConclusions(stats, bpc)).toEqual([
      'Intervals need ≥ 2 seeds per variant, and this experiment has 1 seed: run it with --seeds 3 (or more) to learn which differences are more than seed-to-seed variation.',
      '“reg” vs “base” on test BPC: −0.100 with 1 seed in common; an interval needs ≥ 2 seeds.',
    ]);
  });
});
