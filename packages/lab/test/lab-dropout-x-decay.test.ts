/**
 * `regulab run dropout-x-decay` (issue 14, experiment 2): the quick preset over two seeds runs
 * every cell of the dropout × decay grid, and the report's heatmaps and interactions are the
 * numbers of the runs' own metrics.jsonl, recomputed here without the report code.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DROPOUT_X_DECAY } from '../src/experiments/definitions/dropout-x-decay.js';
import { cellName, gridCells, gridVariants } from '../src/experiments/definitions/factor-grid.js';
import { gridSection } from '../src/experiments/definitions/grid-section.js';
import { findDefinition } from '../src/experiments/definitions/index.js';
import { average, type FinishedJob, restoredEpoch, rowAt, rowsOf, runQuickJob } from './experiment-job.js';

const SEEDS = [1, 2];

describe('the dropout × decay grid', () => {
  it('has every cell once: 3 dropout rates × (none + 2 L2 + 2 decoupled strengths)', () => {
    const variants = gridVariants(DROPOUT_X_DECAY);
    expect(variants).toHaveLength(15);
    expect(new Set(variants.map((v) => v.name)).size).toBe(15);
    expect(findDefinition('dropout-x-decay')!.variants).toEqual(variants);
    const both = variants.find((v) => v.name === 'drop50-wd-strong')!;
    expect(both.options).toEqual({ dropout: 0.5, weightDecay: 10 });
    expect(variants.find((v) => v.name === 'drop20-l2-weak')!.options).toEqual({
      dropout: 0.2,
      penalty: ['l2=0.001'],
    });
    expect(cellName(DROPOUT_X_DECAY, 0, 0)).toBe('none');
  });
});

describe('regulab run dropout-x-decay --preset quick --seeds 2', () => {
  let job: FinishedJob;
  beforeAll(async () => {
    job = await runQuickJob('dropout-x-decay', SEEDS.length, '--epochs', '2');
  }, 120_000);

  const section = () => gridSection(job.input, DROPOUT_X_DECAY);
  const rows = (variant: string, seed: number) => rowsOf(join(job.dir, variant, `seed-${seed}`));
  /** Test accuracy at the restored epoch, by seed. */
  const testAcc = (variant: string) =>
    SEEDS.map((s) => {
      const r = rows(variant, s);
      return rowAt(r, 'test', restoredEpoch(r)).accuracy;
    });

  it('writes the report with its heatmaps, and its conclusions end with the section’s', () => {
    const own = section();
    expect(job.summary.runs).toHaveLength(15 * SEEDS.length);
    expect(job.summary.conclusions.slice(-own.conclusions!.length)).toEqual(own.conclusions);
    for (const id of ['grid-valid-loss', 'grid-valid-accuracy', 'grid-interaction']) {
      expect(job.html).toContain(`id="fig-${id}"`);
      expect(existsSync(join(job.dir, 'plots', `${id}.png`))).toBe(true);
    }
  });

  it('the validation-loss heatmap is each cell’s restored-epoch validation loss, mean over seeds', () => {
    const figure = section().figures!.find((f) => f.id === 'grid-valid-loss')!;
    const cells = (figure.spec as { data: { values: { x: string; y: string; value: number }[] } }).data
      .values;
    expect(cells).toHaveLength(15);
    for (const { i, j, name } of gridCells(DROPOUT_X_DECAY)) {
      const cell = cells.find(
        (c) => c.x === DROPOUT_X_DECAY.a.levels[i]!.short && c.y === DROPOUT_X_DECAY.b.levels[j]!.short,
      )!;
      const expected = average(
        SEEDS.map((s) =>
          Math.min(
            ...rows(name, s)
              .filter((r) => r.split === 'valid')
              .map((r) => r.loss),
          ),
        ),
      );
      expect(cell.value).toBeCloseTo(expected, 12);
    }
  });

  it('each combination’s interaction is acc(both) − acc(A) − acc(B) + acc(none), and the verdicts add up', () => {
    const own = section();
    const figure = own.figures!.find((f) => f.id === 'grid-interaction')!;
    const cells = (figure.spec as { data: { values: { x: string; y: string; value: number }[] } }).data
      .values;
    expect(cells).toHaveLength(8);
    for (const { i, j, name } of gridCells(DROPOUT_X_DECAY).filter((c) => c.i > 0 && c.j > 0)) {
      const [aName, bName] = [cellName(DROPOUT_X_DECAY, i, 0), cellName(DROPOUT_X_DECAY, 0, j)];
      const [both, a, b, none] = [name, aName, bName, 'none'].map(testAcc);
      const I = average(SEEDS.map((_, k) => both![k]! - a![k]! - b![k]! + none![k]!));
      const cell = cells.find(
        (c) => c.x === DROPOUT_X_DECAY.a.levels[i]!.short && c.y === DROPOUT_X_DECAY.b.levels[j]!.short,
      )!;
      expect(cell.value).toBeCloseTo(I * 100, 9); // in percentage points
      const said = `(“${name}”): gain(both) − gain(${aName}) − gain(${bName}) = `;
      expect(own.conclusions!.some((c) => c.includes(said))).toBe(true);
    }
    const tally = own.conclusions!.find((c) => c.startsWith('Of the 8 combinations, '))!;
    const counts = [...tally.matchAll(/(\d+) (additive|diminishing|harmful|more than additive)/g)].map((m) =>
      Number(m[1]),
    );
    expect(counts.reduce((p, q) => p + q, 0)).toBe(8);
  });
});
