/**
 * `regulab run dropout-rate` (issue 14, experiment 7): the quick preset over two seeds runs every
 * rate at both training-set sizes, and the section's optimum, target loss, epochs to it and
 * figure are the numbers of the runs' own metrics.jsonl, recomputed here without the report code.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DROPOUT_RATE_SWEEP } from '../src/experiments/definitions/dropout-rate.js';
import { findDefinition } from '../src/experiments/definitions/index.js';
import { rateSweepSection, sizeResult } from '../src/experiments/definitions/rate-sweep-section.js';
import { average, type FinishedJob, restoredEpoch, rowAt, rowsOf, runQuickJob } from './experiment-job.js';

const SEEDS = [1, 2];
const { rates, sizes, name } = DROPOUT_RATE_SWEEP;

describe('regulab run dropout-rate --preset quick --seeds 2', () => {
  let job: FinishedJob;
  beforeAll(async () => {
    job = await runQuickJob('dropout-rate', SEEDS.length, '--epochs', '2');
  }, 600_000);

  const rows = (size: number, rate: number, seed: number) =>
    rowsOf(join(job.dir, name(size, rate), `seed-${seed}`));
  const validAcc = (size: number, rate: number) =>
    average(
      SEEDS.map((s) => {
        const r = rows(size, rate, s);
        return rowAt(r, 'valid', restoredEpoch(r)).accuracy;
      }),
    );

  it('trains every rate at every size, and says what it found about each size', () => {
    expect(findDefinition('dropout-rate')!.variants).toHaveLength(rates.length * sizes.length);
    expect(job.summary.runs).toHaveLength(rates.length * sizes.length * SEEDS.length);
    const own = rateSweepSection(job.input, DROPOUT_RATE_SWEEP);
    expect(job.summary.conclusions.slice(-own.conclusions!.length)).toEqual(own.conclusions);
    for (const size of sizes)
      expect(
        own.conclusions!.some((c) =>
          c.startsWith(`With ${size} training images the highest mean validation accuracy is at rate `),
        ),
      ).toBe(true);
    for (const id of ['rate-valid-accuracy', 'rate-epochs-to-target'])
      expect(job.html).toContain(`id="fig-${id}"`);
  });

  it('the optimum has the highest mean validation accuracy, inside its own plateau, below any underfitting rate', () => {
    for (const size of sizes) {
      const r = sizeResult(job.input, DROPOUT_RATE_SWEEP, size)!;
      const best = Math.max(...rates.map((rate) => validAcc(size, rate)));
      expect(validAcc(size, r.optimum)).toBe(best);
      expect(r.plateau).toContain(r.optimum);
      if (r.underfitting !== null) {
        expect(r.underfitting).toBeGreaterThan(r.optimum);
        expect(r.plateau).not.toContain(r.underfitting);
      }
    }
  });

  it('the target is the worst best validation loss of rate 0, and each run’s epochs to it are the first epoch at or below it', () => {
    for (const size of sizes) {
      const r = sizeResult(job.input, DROPOUT_RATE_SWEEP, size)!;
      const bests = SEEDS.map((s) =>
        Math.min(
          ...rows(size, 0, s)
            .filter((x) => x.split === 'valid')
            .map((x) => x.loss),
        ),
      );
      expect(r.target).toBe(Math.max(...bests));
      for (const rate of rates) {
        const expected = SEEDS.map(
          (s) => rows(size, rate, s).find((x) => x.split === 'valid' && x.loss <= r.target!)?.epoch ?? null,
        );
        const e = r.epochs.get(rate)!;
        expect(e.missed).toBe(expected.filter((x) => x === null).length);
        expect(SEEDS.map((s) => e.reached.get(s) ?? null)).toEqual(expected);
      }
      // Rate 0 reaches its own worst best loss in every seed.
      expect(r.epochs.get(0)!.missed).toBe(0);
    }
  });

  it('the accuracy figure plots each (size, rate) at its mean validation accuracy', () => {
    const figure = rateSweepSection(job.input, DROPOUT_RATE_SWEEP).figures!.find(
      (f) => f.id === 'rate-valid-accuracy',
    )!;
    const points = (
      figure.spec as { layer: { data: { values: { series: string; x: number; y: number }[] } }[] }
    ).layer[0]!.data.values;
    expect(points).toHaveLength(rates.length * sizes.length);
    for (const p of points) expect(p.y).toBeCloseTo(validAcc(Number(p.series.split(' ')[0]), p.x), 12);
  });
});
