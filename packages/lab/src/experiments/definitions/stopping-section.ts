/**
 * The report section of the early-stopping experiment (./early-stopping.ts). From the validation
 * losses of a run that never stopped, the epoch where patience p would have stopped it and the
 * epoch whose weights it would have restored follow by the trainer's own rule
 * (train/early-stopping.ts `observe`); the test accuracy of the restored weights is the test row
 * of the restored epoch (the trainer scores test after every epoch). Then:
 *
 *   cost of not stopping  test(last epoch, weights not restored) − test(restored, patience p),
 *                         paired over the seeds;
 *   L2 of similar effect  among the penalized runs (never stopped), the one whose last-epoch
 *                         validation loss is closest to the early-stopped run's restored one
 *                         (patience `compareAt`), and its test accuracy against early stopping's.
 */
import type { TopLevelSpec } from 'vega-lite';
import { CONFIG, type Figure } from '../../report/charts.js';
import { tableSectionHtml } from '../../report/section-html.js';
import type { RunData } from '../../report/index.js';
import { pairedDifference, type PairedDifference } from '../../stats/index.js';
import { initialEarlyStopping, observe } from '../../train/early-stopping.js';
import type { ExperimentSection, ReportSectionInput } from '../definition.js';
import { percentWithInterval, ppWithInterval, quoted, seedCount } from './format.js';
import { type BySeed, describeSeeds, valuesBySeed } from './seed-values.js';
import { readRun } from '../../report/index.js';

/** Which runs the section reads and which patiences it simulates. */
export interface StoppingOptions {
  /** The variant trained without stopping and without a penalty. */
  unstopped: string;
  patiences: readonly number[];
  /** The patience early stopping is compared with L2 at. */
  compareAt: number;
}

/** Where patience p stops a run, from its validation losses. */
export interface Stop {
  /** The last epoch trained (the run's last when it never stops). */
  epoch: number;
  stopped: boolean;
  /** The epoch whose weights are restored: the best validation loss up to `epoch`. */
  restored: number;
}

/** Replays the trainer's early stopping over `run`'s validation losses (see the module doc). */
export function stopWith(run: RunData, patience: number): Stop {
  const valid = run.rows.filter((r) => r.split === 'valid').sort((a, b) => a.epoch - b.epoch);
  let state = initialEarlyStopping();
  for (const r of valid) {
    const seen = observe(state, r.epoch, r.loss!, patience);
    state = seen.state;
    if (seen.stop) return { epoch: r.epoch, stopped: true, restored: state.bestEpoch };
  }
  return { epoch: valid.at(-1)!.epoch, stopped: false, restored: state.bestEpoch };
}

const value = (run: RunData, split: 'train' | 'valid' | 'test', epoch: number, key: 'loss' | 'accuracy') =>
  run.rows.find((r) => r.split === split && r.epoch === epoch)?.[key] ?? null;
const lastEpoch = (run: RunData) => Math.max(...run.rows.map((r) => r.epoch));
const mean = (x: BySeed) => [...x.values()].reduce((p, q) => p + q, 0) / x.size;

/** The section (see the module doc). */
export function stoppingSection(input: ReportSectionInput, opts: StoppingOptions): ExperimentSection {
  const base = input.variants.find((v) => v.name === opts.unstopped)!;
  const of = (runs: { seed: number; dir: string }[], f: (run: RunData) => number | null) =>
    valuesBySeed(runs, f);
  const last = {
    test: of(base.runs, (run) => value(run, 'test', lastEpoch(run), 'accuracy')),
    validLoss: of(base.runs, (run) => value(run, 'valid', lastEpoch(run), 'loss')),
    epochs: of(base.runs, lastEpoch),
  };
  const byPatience = opts.patiences.map((p) => ({
    patience: p,
    stop: of(base.runs, (run) => stopWith(run, p).epoch),
    restored: of(base.runs, (run) => stopWith(run, p).restored),
    test: of(base.runs, (run) => value(run, 'test', stopWith(run, p).restored, 'accuracy')),
    validLoss: of(base.runs, (run) => value(run, 'valid', stopWith(run, p).restored, 'loss')),
  }));
  const said: string[] = [];
  if (last.test.size === 0) return { id: 'stopping', title: 'Early stopping', html: '', conclusions: said };
  const n = last.test.size;
  const E = mean(last.epochs);
  const interval = (d: PairedDifference, what: string) =>
    d.halfWidth === null
      ? `${ppWithInterval(d)} with one seed (an interval needs ≥ 2)`
      : d.supported
        ? `${ppWithInterval(d)} (95% CI): ${what}, supported by the ${seedCount(d.n)}`
        : `${ppWithInterval(d)} (95% CI): the seeds cannot separate these`;

  said.push(
    `Early stopping of ${quoted(opts.unstopped)} replayed from its validation losses (${seedCount(n)}, ${E.toFixed(0)} epochs run): ` +
      byPatience
        .map(
          (b) =>
            `patience ${b.patience} stops after epoch ${mean(b.stop).toFixed(1)} and restores epoch ${mean(b.restored).toFixed(1)} ` +
            `(means), test accuracy ${percentWithInterval(describeSeeds(b.test)!)}`,
        )
        .join('; ') +
      '.',
  );
  const [lo, hi] = [byPatience[0]!, byPatience.at(-1)!];
  said.push(
    `Patience ${hi.patience} against ${lo.patience}: ${interval(pairedDifference(hi.test, lo.test), hi.test.size > 0 && mean(hi.test) > mean(lo.test) ? 'the longer wait pays' : 'the shorter wait is better')}; it trains ${(mean(hi.stop) - mean(lo.stop)).toFixed(1)} more epochs.`,
  );
  const at = byPatience.find((b) => b.patience === opts.compareAt) ?? byPatience[0]!;
  const cost = pairedDifference(last.test, at.test);
  said.push(
    `The cost of not stopping: after all ${E.toFixed(0)} epochs, with the last weights kept, test accuracy is ${percentWithInterval(describeSeeds(last.test)!)} ` +
      `and validation loss ${mean(last.validLoss).toFixed(3)} (against ${mean(at.validLoss).toFixed(3)} at the epoch patience ${at.patience} restores); ` +
      `the difference from stopping with patience ${at.patience} is ${interval(cost, cost.mean < 0 ? 'not stopping costs accuracy' : 'not stopping gains accuracy')}, ` +
      `and stopping saves ${(E - mean(at.stop)).toFixed(1)} of the ${E.toFixed(0)} epochs.`,
  );

  const penalized = input.variants
    .filter((v) => v.name !== opts.unstopped)
    .map((v) => ({
      name: v.name,
      validLoss: of(v.runs, (run) => value(run, 'valid', lastEpoch(run), 'loss')),
      test: of(v.runs, (run) => value(run, 'test', lastEpoch(run), 'accuracy')),
    }))
    .filter((v) => v.test.size > 0);
  if (penalized.length > 0) {
    const target = mean(at.validLoss);
    const similar = penalized.reduce((a, b) =>
      Math.abs(mean(b.validLoss) - target) < Math.abs(mean(a.validLoss) - target) ? b : a,
    );
    const d = pairedDifference(similar.test, at.test);
    said.push(
      `The L2 penalty of most similar effect is ${quoted(similar.name)}: trained all ${E.toFixed(0)} epochs, its last validation loss ${mean(similar.validLoss).toFixed(3)} ` +
        `is the closest to early stopping's ${target.toFixed(3)} (patience ${at.patience}; ` +
        penalized.map((v) => `${v.name} ${mean(v.validLoss).toFixed(3)}`).join(', ') +
        `). Its test accuracy ${percentWithInterval(describeSeeds(similar.test)!)} against early stopping: ` +
        `${interval(d, d.mean > 0 ? 'L2 is better' : 'early stopping is better')}; early stopping needed ${mean(at.stop).toFixed(1)} epochs.`,
    );
  }

  const row = (what: string, test: BySeed, epochs: string, validLoss: BySeed) => [
    what,
    epochs,
    mean(validLoss).toFixed(3),
    percentWithInterval(describeSeeds(test)!),
  ];
  const num = (title: string) => ({ title, num: true });
  const html = tableSectionHtml(
    `Every number is a mean over ${seedCount(n)}; test accuracy with its 95% interval. Patience p: stop after p epochs ` +
      `without a better validation loss, restore the best epoch's weights.`,
    {
      columns: [
        'schedule',
        num('epochs trained (restored)'),
        num('valid loss of the weights kept'),
        num('test accuracy'),
      ],
      rows: [
        ...byPatience.map((b) =>
          row(
            `${opts.unstopped}, patience ${b.patience}`,
            b.test,
            `${mean(b.stop).toFixed(1)} (${mean(b.restored).toFixed(1)})`,
            b.validLoss,
          ),
        ),
        row(`${opts.unstopped}, never stopped, last weights`, last.test, E.toFixed(0), last.validLoss),
        ...penalized.map((v) =>
          row(`${v.name}, never stopped, last weights`, v.test, E.toFixed(0), v.validLoss),
        ),
      ],
    },
    said,
  );
  const first = base.runs[0]!;
  const figures = [curvesFigure(readRun(first.dir), first.seed, opts.patiences)];
  return { id: 'stopping', title: 'Early stopping', html, conclusions: said, figures };
}

/** Train and validation loss per epoch of one run, each patience's stopping epoch and restored epoch marked. */
function curvesFigure(run: RunData, seed: number, patiences: readonly number[]): Figure {
  const curves = run.rows
    .filter((r) => r.split === 'train' || r.split === 'valid')
    .map((r) => ({
      epoch: r.epoch,
      loss: r.loss!,
      split: r.split === 'train' ? 'train loss' : 'valid loss',
    }));
  const stops = patiences.map((p) => ({ p, ...stopWith(run, p) }));
  const byEpoch = (key: 'epoch' | 'restored') =>
    [...new Set(stops.map((s) => s[key]))].map((epoch) => ({
      epoch,
      label: `${key === 'epoch' ? 'stop' : 'restore'} p=${stops
        .filter((s) => s[key] === epoch)
        .map((s) => s.p)
        .join(',')}`,
      loss: value(run, 'valid', epoch, 'loss')!,
    }));
  const x = {
    field: 'epoch',
    type: 'quantitative',
    title: 'Epoch',
    axis: { tickMinStep: 1, format: 'd' },
  } as const;
  return {
    id: 'early-stopping-curves',
    title: 'Where each patience stops',
    caption: `Training and validation loss per epoch of ${run.name}, seed ${seed}, trained without stopping; grey rules: where patience p stops; dots: the epoch whose weights it restores.`,
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      width: 620,
      height: 300,
      config: CONFIG,
      layer: [
        {
          data: { values: byEpoch('epoch') },
          mark: { type: 'rule', color: '#999', strokeDash: [4, 3] },
          encoding: { x },
        },
        {
          data: { values: byEpoch('epoch') },
          mark: { type: 'text', align: 'left', baseline: 'top', dx: 3, fontSize: 11, color: '#555' },
          encoding: { x, y: { value: 2 }, text: { field: 'label' } },
        },
        {
          data: { values: curves },
          mark: { type: 'line', strokeWidth: 2 },
          encoding: {
            x,
            y: { field: 'loss', type: 'quantitative', title: 'Cross-entropy loss', scale: { type: 'log' } },
            color: { field: 'split', type: 'nominal', title: 'Curve' },
          },
        },
        {
          data: { values: byEpoch('restored') },
          mark: { type: 'point', filled: true, size: 90, color: '#d62728' },
          encoding: { x, y: { field: 'loss', type: 'quantitative' }, tooltip: { field: 'label' } },
        },
      ],
    } as TopLevelSpec,
  };
}
