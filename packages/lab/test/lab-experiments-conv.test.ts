/**
 * Issue 14's `conv` and `dropconnect` experiments: each runs end to end in-process (quick preset,
 * one epoch, two seeds), and the numbers its report states are recomputed here from the runs'
 * own files (metrics.jsonl, probes.jsonl); the per-epoch averaging and pairing they rest on are
 * checked on values worked out by hand.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findDefinition } from '../src/experiments/definitions/index.js';
import {
  commonEpochs,
  curves,
  type EpochValues,
  overEpochs,
} from '../src/experiments/definitions/epoch-series.js';
import { allPairs, pairSentence } from '../src/experiments/definitions/paired-sentences.js';
import { pairedDifference } from '../src/stats/index.js';
import { readProbes } from '../src/store/probes-log.js';
import { runQuickJob } from './experiment-job.js';

const SEEDS = [1, 2];

async function runQuick(name: string) {
  const { dir, summary } = await runQuickJob(name, 2, '--epochs', '1');
  return { dir, summary, conclusions: summary.conclusions };
}

const rows = (dir: string) =>
  readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { epoch: number; split: string; seconds: number; accuracy: number });
const meanOf = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('regulab run conv --preset quick --seeds 2', () => {
  it('trains all five variants and states the best mean test accuracy its runs give', async () => {
    const { dir, summary, conclusions } = await runQuick('conv');
    const variants = findDefinition('conv')!.variants.map((v) => v.name);
    expect(summary.runs).toHaveLength(variants.length * SEEDS.length);
    // The best variant by mean test accuracy (first on ties), from the runs' summaries.
    const test = (v: string) =>
      meanOf(summary.runs.filter((r: { name: string }) => r.name === v).map((r: { test: number }) => r.test));
    const best = variants.reduce((a, b) => (test(b) > test(a) ? b : a));
    expect(conclusions).toContainEqual(
      expect.stringMatching(
        new RegExp(`^Best mean test accuracy: “${best}”, ${(test(best) * 100).toFixed(2)}%; `),
      ),
    );
    for (const v of variants) expect(conclusions.some((c) => c.includes(`“${v}”`))).toBe(true);
    // The spatial variant really has spatial dropout and only it (the spec's slots are rate 0).
    const spec = JSON.parse(readFileSync(join(dir, 'spatial', 'seed-1', 'config.json'), 'utf8')).spec;
    const rates = Object.fromEntries(
      spec.layers
        .filter((l: { config: { rate?: number } }) => 'rate' in l.config)
        .map((l: { config: { name: string; rate: number } }) => [l.config.name, l.config.rate]),
    );
    expect(rates).toEqual({
      dropout_0: 0,
      spatial_dropout_0: 0.2,
      drop_block_0: 0,
      dropout_1: 0,
      spatial_dropout_1: 0.2,
      drop_block_1: 0,
    });
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html).toContain('Which regularizer, across the seeds');
    expect(html).toContain('id="fig-accuracy-across-seeds"');
    expect(existsSync(join(dir, 'plots', 'accuracy-across-seeds.png'))).toBe(true);
  }, 240_000);
});

describe('regulab run dropconnect --preset quick --seeds 2', () => {
  it('states the seconds per epoch and the gradient noise its runs logged', async () => {
    const { dir, conclusions } = await runQuick('dropconnect');
    const variants = ['none', 'dropout', 'dropconnect'];
    const runDir = (v: string, s: number) => join(dir, v, `seed-${s}`);
    // One epoch each: the mean over the seeds of epoch 1's value, as the report formats it.
    const seconds = (v: string) =>
      meanOf(SEEDS.map((s) => rows(runDir(v, s)).find((r) => r.split === 'train')!.seconds));
    const noise = (v: string) =>
      meanOf(
        SEEDS.map(
          (s) =>
            readProbes(join(runDir(v, s), 'probes.jsonl')).find((r) => r.at === 'epoch')!.values.noiseShare!,
        ),
      );
    expect(conclusions).toContain(
      'Mean seconds per training epoch over epochs 1–1 and the seeds: ' +
        variants.map((v) => `“${v}” ${seconds(v).toFixed(3)} s`).join(', ') +
        '.',
    );
    expect(conclusions).toContainEqual(
      expect.stringContaining(variants.map((v) => `“${v}” ${noise(v).toFixed(3)}`).join(', ')),
    );
    // DropConnect vs dropout on the noise share, paired over the two seeds.
    const bySeed = (v: string) =>
      new Map(
        SEEDS.map((s) => [
          s,
          readProbes(join(runDir(v, s), 'probes.jsonl')).find((r) => r.at === 'epoch')!.values.noiseShare!,
        ]),
      );
    const d = pairedDifference(bySeed('dropconnect'), bySeed('dropout'));
    expect(conclusions.some((c) => c.startsWith(`“dropconnect” vs “dropout” on gradient noise share`))).toBe(
      true,
    );
    expect(conclusions.join('\n')).toContain(
      `“dropconnect” vs “dropout” on gradient noise share (the batch-to-batch share of the gradient energy): ${d.mean >= 0 ? '+' : '−'}${Math.abs(d.mean).toFixed(3)} ± ${d.halfWidth!.toFixed(3)}`,
    );
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html).toContain('id="fig-gradient-noise-share"');
    expect(existsSync(join(dir, 'plots', 'gradient-noise-share.svg'))).toBe(true);
  }, 240_000);
});

describe('per-epoch series over seeds', () => {
  // Variant a: seed 1 ran 3 epochs, seed 2 stopped after 2; variant b: both ran 3.
  const values: EpochValues = new Map([
    [
      'a',
      new Map([
        [
          1,
          new Map([
            [1, 1],
            [2, 2],
            [3, 3],
          ]),
        ],
        [
          2,
          new Map([
            [1, 3],
            [2, 4],
          ]),
        ],
      ]),
    ],
    [
      'b',
      new Map([
        [
          1,
          new Map([
            [1, 0],
            [2, 0],
            [3, 6],
          ]),
        ],
        [
          2,
          new Map([
            [1, 2],
            [2, 2],
            [3, 2],
          ]),
        ],
      ]),
    ],
  ]);

  it('averages each epoch over the seeds that reached it, and runs over their common epochs', () => {
    const a = curves(values).filter((p) => p.variant === 'a');
    expect(a.map((p) => [p.epoch, p.mean, p.n])).toEqual([
      [1, 2, 2],
      [2, 3, 2],
      [3, 3, 1],
    ]);
    expect(a[0]!.sd).toBeCloseTo(Math.SQRT2, 12); // sd of {1, 3}
    expect(a[2]!.sd).toBeNull();
    expect(commonEpochs(values)).toBe(2);
    const per = overEpochs(values, 2);
    expect([...per.get('a')!]).toEqual([
      [1, 1.5],
      [2, 3.5],
    ]);
    expect([...per.get('b')!]).toEqual([
      [1, 0],
      [2, 2],
    ]);
    expect(() => overEpochs(values, 0)).toThrow(/need at least one common epoch, got 0/);
  });

  it('pairs each variant with those before it and says when the seeds cannot separate them', () => {
    expect(allPairs(['none', 'x', 'y'])).toEqual([
      ['x', 'none'],
      ['y', 'none'],
      ['y', 'x'],
    ]);
    const q = {
      name: 'noise',
      format: (x: number) => x.toFixed(1),
      words: ['is noisier', 'is calmer'] as const,
    };
    // a − b = 1, 1, 1: sd 0, supported; a − b = 1, −1: mean 0, not.
    const same = pairedDifference(
      new Map([
        [1, 2],
        [2, 3],
        [3, 4],
      ]),
      new Map([
        [1, 1],
        [2, 2],
        [3, 3],
      ]),
    );
    expect(pairSentence('a', 'b', same, q)).toBe(
      '“a” vs “b” on noise: +1.0 ± 0.0 (95% CI, paired over 3 seeds): “a” is noisier — supported by the 3 seeds.',
    );
    const mixed = pairedDifference(
      new Map([
        [1, 2],
        [2, 1],
      ]),
      new Map([
        [1, 1],
        [2, 2],
      ]),
    );
    expect(pairSentence('a', 'b', mixed, q)).toMatch(
      /: \+0\.0 ± \d+\.\d \(95% CI, paired over 2 seeds\) includes 0: the seeds cannot separate these\.$/,
    );
  });
});
