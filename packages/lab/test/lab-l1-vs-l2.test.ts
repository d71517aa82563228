/**
 * `regulab run l1-vs-l2` (issue 14, experiment 5): the sweep's variants, the weight histogram on
 * values worked out by hand, pruning at ratio 0 reproducing the trainer's own test score, and the
 * quick job's section reporting the numbers of its runs, recomputed here.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { findDefinition } from '../src/experiments/definitions/index.js';
import { PENALTY_SWEEP } from '../src/experiments/definitions/l1-vs-l2.js';
import {
  magnitudeHistogram,
  penaltySweepSection,
} from '../src/experiments/definitions/penalty-sweep-section.js';
import { flatMnistLoader, prunedTestAccuracy } from '../src/experiments/definitions/pruning.js';
import { average, type FinishedJob, restoredEpoch, rowAt, rowsOf, runQuickJob } from './experiment-job.js';

const SEEDS = [1, 2];

describe('the penalty sweep', () => {
  it('has no penalty and each penalty at each strength, with the λ the label says', () => {
    const variants = findDefinition('l1-vs-l2')!.variants;
    expect(variants).toHaveLength(1 + PENALTY_SWEEP.penalties.length * PENALTY_SWEEP.scales.length);
    expect(variants.find((v) => v.name === 'l1-x0p3')!.options).toEqual({ penalty: ['l1=0.000009'] });
    expect(variants.find((v) => v.name === 'elastic-x10')!.options).toEqual({
      penalty: ['l1=0.00015', 'l2=0.0015'],
    });
  });

  it('bins log₁₀(|w| / max of its kernel), 2-D weights only, zeros in the lowest bin', () => {
    const t = (shape: number[], v: number[]) => ({
      dtype: 'float32' as const,
      shape,
      data: Float32Array.from(v),
    });
    // Kernel max 1: |w| = 1 → log 0 (last bin), 0.1 → −1, 0.001 → −3, 0 → −∞ (first bin).
    const h = magnitudeHistogram(
      new Map([
        ['d/0', t([2, 2], [1, -0.1, 0.001, 0])],
        ['d/1', t([2], [5, 5])],
      ]),
    );
    expect(h).toHaveLength(20);
    const share = (log: number) => h.find((b) => b.x - 0.125 <= log && log < b.x + 0.125)!.share;
    expect(h[0]!.share).toBe(0.25);
    expect(h.at(-1)!.share).toBe(0.25);
    expect(share(-1)).toBe(0.25);
    expect(share(-3 + 1e-9)).toBe(0.25);
    expect(h.reduce((a, b) => a + b.share, 0)).toBeCloseTo(1, 12);
  });
});

describe('regulab run l1-vs-l2 --preset quick --seeds 2', () => {
  let job: FinishedJob;
  beforeAll(async () => {
    job = await runQuickJob('l1-vs-l2', SEEDS.length);
  }, 600_000);

  it('pruning at ratio 0 scores exactly the test accuracy the trainer recorded at the restored epoch', async () => {
    const data = flatMnistLoader();
    for (const name of ['none', 'l1-x10']) {
      const dir = join(job.dir, name, 'seed-1');
      const rows = rowsOf(dir);
      const [unpruned, all] = (await prunedTestAccuracy(dir, [0, 1.01], data))!;
      expect(unpruned).toBe(rowAt(rows, 'test', restoredEpoch(rows)).accuracy);
      // ratio > 1 zeroes every kernel: the logits are the biases alone, one class for every image.
      expect(all).toBeLessThan(0.5);
    }
  }, 60_000);

  it('writes its figures, and its accuracy figure is each variant’s mean restored-epoch test accuracy', async () => {
    const own = await penaltySweepSection(job.input, PENALTY_SWEEP);
    expect(job.summary.conclusions.slice(-own.conclusions!.length)).toEqual(own.conclusions);
    for (const id of ['penalty-test-accuracy', 'penalty-sparsity', 'penalty-weight-histogram'])
      expect(job.html).toContain(`id="fig-${id}"`);
    const figure = own.figures!.find((f) => f.id === 'penalty-test-accuracy')!;
    const points = (
      figure.spec as { layer: { data: { values: { series: string; x: number; y: number }[] } }[] }
    ).layer[0]!.data.values;
    const testAcc = (name: string) =>
      average(
        SEEDS.map((s) => {
          const rows = rowsOf(join(job.dir, name, `seed-${s}`));
          return rowAt(rows, 'test', restoredEpoch(rows)).accuracy;
        }),
      );
    for (const p of points.filter((q) => q.series !== 'no penalty'))
      expect(p.y).toBeCloseTo(testAcc(PENALTY_SWEEP.name(p.series, p.x)), 12);
    for (const ratio of PENALTY_SWEEP.pruneRatios)
      expect(
        own.conclusions!.some((c) => c.startsWith(`Pruning the weights below ${ratio.toExponential(0)} `)),
      ).toBe(true);
  });
});
