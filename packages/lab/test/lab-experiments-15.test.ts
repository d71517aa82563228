/**
 * Issue 15's experiments. `rnn-dropout-placement` runs end to end in-process (quick preset, one
 * epoch, two seeds), each variant's model carries its dropout where the variant says, the report
 * has its section and concludes about every variant; the claims' verdicts are checked on
 * constructed paired differences. `zoneout-paper` runs its quick preset, puts each variant beside
 * the paper's number, and names the differences of setup read from the configs.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../src/errors.js';
import { findDefinition } from '../src/experiments/definitions/index.js';
import { verdictOf } from '../src/experiments/definitions/placement-section.js';
import {
  PAPER_TEST_ACCURACY,
  paperComparison,
  setupDifferences,
} from '../src/experiments/definitions/zoneout-paper-section.js';
import { pairedDifference } from '../src/stats/index.js';
import { cli } from './cli-in-process.js';
import { runQuickJob } from './experiment-job.js';

const fresh = () => join(mkdtempSync(join(tmpdir(), 'regulab-15-')), 'job');

interface LayerConfig {
  className: string;
  config: Record<string, unknown>;
}
const layersOf = (dir: string, variant: string): LayerConfig[] =>
  JSON.parse(readFileSync(join(dir, variant, 'seed-1', 'config.json'), 'utf8')).spec.layers;

describe('regulab run rnn-dropout-placement --preset quick --seeds 2', () => {
  it('finishes; each variant drops where it says; the report checks the folklore', async () => {
    const definition = findDefinition('rnn-dropout-placement')!;
    const { dir, summary } = await runQuickJob('rnn-dropout-placement', 2, '--epochs', '1');
    expect(summary.runs).toHaveLength(definition.variants.length * 2);

    const lstms = (variant: string) => layersOf(dir, variant).filter((l) => l.className === 'RegulabLSTM');
    expect(lstms('none')).toHaveLength(2);
    for (const l of lstms('naive')) expect(l.config).toMatchObject({ recurrentDropoutMask: 'step' });
    for (const l of lstms('gal')) expect(l.config).toMatchObject({ recurrentDropoutMask: 'sequence' });
    // Zaremba: dropout layers around the two LSTMs (embedding, between, output), none inside them.
    const zaremba = layersOf(dir, 'zaremba');
    expect(zaremba.map((l) => l.className)).toEqual([
      'Embedding',
      'RegulabDropout',
      'RegulabLSTM',
      'RegulabDropout',
      'RegulabLSTM',
      'RegulabDropout',
      'Dense',
    ]);
    for (const l of zaremba.filter((l) => l.className === 'RegulabDropout')) expect(l.config.rate).toBe(0.25);
    for (const l of lstms('zaremba')) {
      expect(l.config.recurrentDropout ?? 0).toBe(0);
      expect(l.config.dropout ?? 0).toBe(0);
    }

    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html).toContain('The folklore, checked');
    const conclusions: string[] = summary.conclusions;
    expect(conclusions.some((c) => /^Folklore “a new recurrent mask every step/.test(c))).toBe(true);
    for (const v of definition.variants)
      expect(conclusions.some((c) => c.includes(`“${v.name}”`))).toBe(true);
  }, 400_000); // a minute alone; minutes on a loaded machine
});

describe('verdict of a claim "worse has a higher BPC than better"', () => {
  const seeds = (...v: number[]) => new Map(v.map((x, i) => [i + 1, x]));
  const better = seeds(3.0, 3.1, 3.2);

  it('higher on every seed by 0.05 ± 0.01: holds', () => {
    expect(verdictOf(pairedDifference(seeds(3.05, 3.16, 3.24), better))).toBe('holds');
  });
  it('lower on every seed: contradicted', () => {
    expect(verdictOf(pairedDifference(seeds(2.95, 3.04, 3.16), better))).toBe('contradicted');
  });
  it('differences of both signs: not separable; one seed: no verdict', () => {
    expect(verdictOf(pairedDifference(seeds(3.05, 3.05, 3.25), better))).toBe('not separable');
    expect(verdictOf(pairedDifference(new Map([[1, 3.1]]), new Map([[1, 3.0]])))).toBe('one seed');
  });
});

describe('regulab run zoneout-paper --preset quick', () => {
  it("finishes; the report puts each variant beside the paper's number and names the differences", async () => {
    const definition = findDefinition('zoneout-paper')!;
    const dir = fresh();
    const r = await cli('run', 'zoneout-paper', '--preset', 'quick', '--out', dir, '--json');
    expect(r.code, r.err).toBe(ExitCode.ok);
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    // One seed: the section's sentences are in the report (summary.json has conclusions with ≥ 2 seeds).
    for (const v of definition.variants) {
      const paper = PAPER_TEST_ACCURACY[v.name]!.toFixed(1).replace('.', '\\.');
      expect(html).toMatch(
        new RegExp(
          `(“|<strong>)${v.name}(”|</strong>): test accuracy [\\d.]+% here against the paper(&#39;|')s ${paper}%`,
        ),
      );
    }
    expect(html).toMatch(/Beside the paper(&#39;|')s table/);
    expect(html).toContain('56 pixels per step (14 steps)');
    const bn = JSON.parse(readFileSync(join(dir, 'recurrent-bn', 'config.json'), 'utf8')).spec.layers[0];
    expect(bn.config.normalization).toBe('batch');
    // The batch-norm variants recompute their statistics before the final scores (the preset's
    // --bn-statistics population); the others have nothing to recompute.
    const summaryOf = (variant: string) =>
      JSON.parse(readFileSync(join(dir, variant, 'summary.json'), 'utf8'));
    for (const v of ['recurrent-bn', 'bn-zoneout']) {
      expect(summaryOf(v).final).toMatchObject({ bnStatistics: 'population', examples: 32 });
      expect(summaryOf(v).test).toBe(summaryOf(v).final.test.metric);
    }
    for (const v of ['unregularized', 'zoneout']) expect(summaryOf(v).final).toBeUndefined();
    expect(html).toContain('BN population</span>');
    expect(html).not.toContain('Batch norm statistics:');
  }, 400_000); // a minute alone; minutes on a loaded machine
});

describe("the measured ranking beside the paper's (paperComparison)", () => {
  const paperOrder = ['unregularized', 'recurrent-dropout', 'zoneout', 'recurrent-bn', 'bn-zoneout'];
  it("says whether the order is the paper's and which differences 997 test digits resolve", () => {
    // 0.60 vs 0.62 on 997 digits: half-width 1.96·√((0.6·0.4 + 0.62·0.38)/997) = 4.3 points.
    const acc = new Map([
      ['unregularized', 0.6],
      ['recurrent-dropout', 0.62],
      ['zoneout', 0.7],
      ['recurrent-bn', 0.75],
      ['bn-zoneout', 0.8],
    ]);
    const said = paperComparison(acc, 997, 1);
    expect(said[0]).toBe(
      `Ranking by test accuracy here: ${[...paperOrder].reverse().join(' > ')}; the paper's: ${[...paperOrder].reverse().join(' > ')} (the same order).`,
    );
    expect(said[1]).toBe(
      '“recurrent-dropout” − “unregularized”: +2.0 ± 4.3 points: not distinguishable from unregularized on 997 test digits.',
    );
    expect(said[2]).toMatch(
      /^“zoneout” − “unregularized”: \+10\.0 ± 4\.2 points: better than unregularized, beyond/,
    );
    expect(said).toHaveLength(5);
  });
  it('names a different order, a worse variant, and narrows the interval with seeds', () => {
    const acc = new Map([
      ['unregularized', 0.7],
      ['recurrent-dropout', 0.6],
      ['zoneout', 0.715],
    ]);
    const said = paperComparison(acc, 997, 4); // 3,988 predictions per variant
    expect(said[0]).toContain('(a different order)');
    expect(said[1]).toMatch(/: −10\.0 ± 2\.1 points: worse than unregularized, beyond/);
    expect(said[2]).toMatch(/: \+1\.5 ± 2\.0 points: not distinguishable .* on 3988 test digits\.$/);
    expect(paperComparison(new Map(), 997, 1)).toEqual([]);
  });
});

describe('setup differences from the paper', () => {
  const paperLike = {
    data: 'mnist',
    trainExamples: 0,
    epochs: 150,
    patience: 0,
    pixelsPerStep: 1,
    hidden: 100,
    bnStatistics: 'population',
  };
  it('the default preset differs in data, zoneout masks, RMSProp decay, the assumed rate and seeds only', () => {
    const d = setupDifferences({ ...paperLike, lr: 0.001, batch: 64, clip: 1 }, 1);
    expect(d.map((s) => s.split(':')[0])).toEqual([
      'Data',
      'Zoneout',
      'Optimizer',
      'Recurrent dropout',
      'Seeds',
    ]);
  });
  it('a shorter run, another sequence length and model size are named with their values', () => {
    const d = setupDifferences({ ...paperLike, epochs: 3, patience: 2, pixelsPerStep: 28, hidden: 8 }, 2);
    expect(d).toContain(
      'Training: at most 3 epochs, early stopping with patience 2 (the paper: 150 epochs).',
    );
    expect(d).toContain('Sequence: 28 pixels per step (28 steps), not 1 pixel per step (784 steps).');
    expect(d).toContain('Model: 8 units, not 100.');
  });
  it("batch norm scored with training's moving averages (runs from before --bn-statistics) is named", () => {
    for (const bnStatistics of ['moving', undefined]) {
      const d = setupDifferences({ ...paperLike, bnStatistics }, 1);
      expect(d.find((s) => s.startsWith('Batch norm statistics:'))).toMatch(/moving averages/);
    }
  });
});
