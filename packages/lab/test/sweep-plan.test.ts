/**
 * Planning a sweep, without training: the axes as typed, the cells and their validated configs,
 * random draws, the rungs of successive halving, and ASHA's decisions on constructed trial states.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../src/errors.js';
import { parseGridAxis, parseRangeAxis, sampleRange } from '../src/sweep/axes.js';
import { nextHalvingStep, rungOf, type TrialState } from '../src/sweep/halving.js';
import { resolveSweep, type SweepRequest, sweepRuns } from '../src/sweep/sweep-config.js';
import { plannedEpochs } from '../src/sweep/sweep-progress.js';

const request = (over: Partial<SweepRequest>): SweepRequest => ({
  target: 'charlm',
  preset: 'quick',
  overrides: { epochs: 9, optimizer: 'adamw' },
  grid: [],
  ranges: [],
  search: 'grid',
  seeds: 1,
  ...over,
});

describe('sweep axes', () => {
  it('takes flag names, option keys and model-spec paths', () => {
    expect(parseGridAxis('weight-decay=0,1e-4')).toEqual({
      name: 'weight-decay',
      target: { option: 'weightDecay' },
      values: ['0', '1e-4'],
    });
    expect(parseGridAxis('zoneoutCell=0.1').target).toEqual({ option: 'zoneoutCell' });
    expect(parseGridAxis('lstm*.unitForgetBias=true,false').target).toEqual({ spec: 'lstm*.unitForgetBias' });
    expect(parseRangeAxis('lr=1e-4:1e-2:log')).toMatchObject({ lo: 1e-4, hi: 1e-2, log: true });
  });

  it.each([
    ['--grid', 'dropout', /expected name=values/],
    ['--grid', 'bogus=1,2', /bogus: not an option of 'regulab run'/],
    ['--grid', 'seed=1,2', /seeds of a sweep come from --seed and --seeds/],
    ['--grid', 'dropout=0,,1', /an empty value/],
    ['--grid', 'dropout=0,0', /the value 0 is given twice/],
    ['--range', 'lr=1e-2:1e-4', /lo < hi/],
    ['--range', 'lr=0:1:log', /log range needs lo > 0/],
    ['--range', 'optimizer=1:2', /only numeric options/],
  ])('%s %s is refused, naming it', (flag, text, message) => {
    const parse = flag === '--grid' ? parseGridAxis : parseRangeAxis;
    expect(() => parse(text)).toThrow(ConfigError);
    expect(() => parse(text)).toThrow(message);
  });

  it('draws log-uniformly inside the range, to three significant digits', () => {
    const axis = parseRangeAxis('lr=1e-4:1e-2:log');
    expect(sampleRange(axis, 0)).toBe('0.0001');
    expect(sampleRange(axis, 0.5)).toBe('0.001'); // the geometric mean
    const draws = Array.from({ length: 200 }, (_, i) => Number(sampleRange(axis, i / 200)));
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(1e-4);
    expect(Math.max(...draws)).toBeLessThanOrEqual(1e-2);
    // Integer options give integers.
    expect(sampleRange(parseRangeAxis('hidden=8:64'), 0.51)).toBe('37');
  });
});

describe('sweep cells', () => {
  it('is every combination, first axis outermost, each config validated and seeded', () => {
    const sweep = resolveSweep(
      request({ grid: [parseGridAxis('dropout=0,0.25'), parseGridAxis('weight-decay=0,1e-4')], seeds: 2 }),
    );
    expect(sweep.cells.map((c) => c.values)).toEqual([
      { dropout: '0', 'weight-decay': '0' },
      { dropout: '0', 'weight-decay': '1e-4' },
      { dropout: '0.25', 'weight-decay': '0' },
      { dropout: '0.25', 'weight-decay': '1e-4' },
    ]);
    expect(sweep.cells[3]!.name).toBe('c4-dropout=0.25_weight-decay=1e-4');
    expect(sweep.cells[3]!.config).toMatchObject({ dropout: 0.25, weightDecay: 1e-4, epochs: 9 });
    expect(sweep.seeds).toEqual([1, 2]);
    const runs = sweepRuns(sweep);
    expect(runs.map((r) => r.key)).toContain('c4-dropout=0.25_weight-decay=1e-4/seed-2');
    expect(new Set(runs.map((r) => r.key)).size).toBe(8);
    expect(runs.find((r) => r.key.endsWith('seed-2'))!.config.seed).toBe(2);
  });

  it('applies a model-spec path as --set would', () => {
    const sweep = resolveSweep(request({ grid: [parseGridAxis('lstm*.unitForgetBias=true,false')] }));
    const lstm = (i: number) =>
      sweep.cells[i]!.config.spec.layers.find((l) => l.className === 'RegulabLSTM')!.config;
    expect([lstm(0).unitForgetBias, lstm(1).unitForgetBias]).toEqual([true, false]);
  });

  it('makes an experiment’s variants an axis', () => {
    const sweep = resolveSweep(
      request({ target: 'compare', overrides: {}, grid: [parseGridAxis('hidden=8,16')] }),
    );
    expect(sweep.axes).toEqual(['variant', 'hidden']);
    expect(sweep.cells).toHaveLength(5 * 2);
    expect(sweep.cells.find((c) => c.values.variant === 'zoneout')!.config).toMatchObject({
      zoneoutCell: 0.5,
    });
  });

  it.each([
    [{ grid: [parseGridAxis('dropout=0,1.5')] }, /cell dropout=1\.5: --dropout: must be < 1/],
    [{ grid: [parseGridAxis('dropout=0,0.5')], overrides: { dropout: 0.1 } }, /--dropout is given and swept/],
    [{ grid: [parseGridAxis('embed=4')], target: 'mnist' }, /does not apply to experiment 'mnist'/],
    [{ ranges: [parseRangeAxis('lr=1e-3:1e-2')] }, /--range needs --search random/],
    [{ search: 'random' as const, ranges: [parseRangeAxis('lr=1e-3:1e-2')] }, /needs --trials/],
    [
      { grid: [parseGridAxis('dropout=0,0.5')], halving: { rungEpochs: 1, reduction: 3 }, seeds: 2 },
      /one seed per trial/,
    ],
    [
      { grid: [parseGridAxis('dropout=0,0.5')], halving: { rungEpochs: 9, reduction: 3 } },
      /no rung below --epochs 9/,
    ],
  ])('refuses a bad sweep with the reason (%#)', (over, message) => {
    expect(() => resolveSweep(request(over))).toThrow(message);
  });

  it('draws random trials reproducibly from --seed, inside the ranges', () => {
    const ask = (seed: number) =>
      resolveSweep(
        request({
          search: 'random',
          trials: 6,
          ranges: [parseRangeAxis('lr=1e-4:1e-2:log')],
          grid: [parseGridAxis('cell=lstm,gru')],
          overrides: { epochs: 9, seed },
        }),
      );
    const a = ask(1);
    expect(a.cells.map((c) => c.values)).toEqual(ask(1).cells.map((c) => c.values));
    expect(a.cells.map((c) => c.values)).not.toEqual(ask(2).cells.map((c) => c.values));
    for (const c of a.cells) {
      expect(c.config.lr).toBeGreaterThanOrEqual(1e-4);
      expect(c.config.lr).toBeLessThanOrEqual(1e-2);
      expect(String(c.config.lr)).toBe(c.values.lr);
      expect(['lstm', 'gru']).toContain(c.values.cell);
    }
    expect(a.cells[0]!.name).toMatch(/^t1-cell=(lstm|gru)_lr=0\.\d+$/);
  });

  it('puts halving rungs at r, rη, … below --epochs, then --epochs; plans the expected budget', () => {
    const sweep = resolveSweep(
      request({
        search: 'random',
        trials: 9,
        ranges: [parseRangeAxis('lr=1e-4:1e-2:log')],
        halving: { rungEpochs: 1, reduction: 3 },
      }),
    );
    expect(sweep.halving).toEqual({ rungs: [1, 3, 9], reduction: 3 });
    // 9 trials × 1 epoch, 3 of them on to epoch 3 (+2 each), 1 on to 9 (+6): 9 + 6 + 6.
    expect(plannedEpochs(sweep)).toBe(21);
  });
});

describe('asynchronous successive halving', () => {
  const rungs = [1, 3, 9];
  const trial = (
    name: string,
    epochs: number,
    scores: number[],
    extra: Partial<TrialState> = {},
  ): TrialState => ({
    name,
    epochs,
    done: false,
    running: false,
    scores,
    ...extra,
  });

  it('starts new trials while no rung has η members', () => {
    const trials = [trial('a', 1, [2.0]), trial('b', 1, [1.5]), trial('c', 0, [])];
    expect(nextHalvingStep(trials, rungs, 3)).toEqual({ trial: 'c', untilEpoch: 1 });
  });

  it('promotes the best of the top 1/η of a rung, highest rung first', () => {
    const trials = [trial('a', 1, [2.0]), trial('b', 1, [1.5]), trial('c', 1, [1.7]), trial('d', 0, [])];
    expect(nextHalvingStep(trials, rungs, 3)).toEqual({ trial: 'b', untilEpoch: 3 });
    // b running: ⌊3/3⌋ = 1 promotion, taken; the next free worker starts d.
    trials[1] = trial('b', 1, [1.5], { running: true });
    expect(nextHalvingStep(trials, rungs, 3)).toEqual({ trial: 'd', untilEpoch: 1 });
    // Three trials at rung 1 (epochs ≥ 3): the best of them goes on to the last rung first.
    const upper = [
      trial('a', 3, [2.0, 1.9]),
      trial('b', 3, [1.5, 1.2]),
      trial('c', 3, [1.7, 1.4]),
      ...Array.from({ length: 6 }, (_, i) => trial(`x${i}`, 1, [3 + i])),
    ];
    expect(nextHalvingStep(upper, rungs, 3)).toEqual({ trial: 'b', untilEpoch: 9 });
  });

  it('continues first a trial cut short between two rungs (a restarted sweep)', () => {
    const trials = [trial('a', 1, [2.0]), trial('b', 2, [1.5]), trial('c', 0, [])];
    expect(rungOf(trials[1]!, rungs)).toBe(0);
    expect(nextHalvingStep(trials, rungs, 3)).toEqual({ trial: 'b', untilEpoch: 3 });
  });

  it('has nothing to start when every trial is done, running or not good enough', () => {
    const trials = [
      trial('a', 1, [2.0]),
      trial('b', 9, [1.5, 1.2, 1.1], { done: true }),
      trial('c', 1, [1.7]),
      trial('d', 1, [1.8], { running: true }),
    ];
    expect(nextHalvingStep(trials, rungs, 3)).toBeUndefined();
  });
});
