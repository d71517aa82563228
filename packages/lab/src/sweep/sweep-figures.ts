/**
 * The figures of a sweep report, as Vega-Lite specs (report/charts.ts renders them):
 *
 * - two grid axes: a heatmap of the mean best validation value per cell (report/heatmap.ts);
 * - otherwise, per axis: the mean best validation value of each cell against the axis value, a
 *   line with a band of ± one standard deviation over the seeds and a dot per seed;
 * - successive halving: every trial's validation curve, ending where the trial stopped, coloured
 *   by the rung it reached.
 */
import type { TopLevelSpec } from 'vega-lite';
import { CONFIG, type Figure } from '../report/charts.js';
import { heatmapFigure } from '../report/heatmap.js';
import { rungOf } from './halving.js';
import type { SweepConfig } from './sweep-config.js';
import { meanSd, type SweepStatistics } from './sweep-statistics.js';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/** The figures for this sweep's shape (module doc). */
export function sweepFigures(sweep: SweepConfig, stats: SweepStatistics): Figure[] {
  const figures =
    sweep.search === 'grid' && sweep.axes.length === 2
      ? [cellHeatmap(sweep, stats)]
      : sweep.axes.map((axis) => axisFigure(axis, stats));
  return sweep.halving ? [...figures, halvingFigure(sweep, stats)] : figures;
}

function cellHeatmap(sweep: SweepConfig, stats: SweepStatistics): Figure {
  const [xAxis, yAxis] = sweep.axes as [string, string];
  const m = stats.metric;
  return heatmapFigure({
    id: 'sweep-heatmap',
    title: `Validation ${m.short} at the best-loss epoch by ${xAxis} and ${yAxis}`,
    caption: `Mean over seeds ${sweep.seeds.join(', ')} of each run's validation ${m.short} at its epoch of lowest validation loss (${m.higherIsBetter ? 'higher' : 'lower'} is better), ± one standard deviation.`,
    cells: stats.cells
      .filter((c) => c.valid !== null)
      .map((c) => ({
        x: c.cell.values[xAxis]!,
        y: c.cell.values[yAxis]!,
        value: c.valid!.mean,
        text: meanSd(c.valid!, m),
      })),
    xTitle: xAxis,
    yTitle: yAxis,
    valueTitle: `valid ${m.short}`,
  });
}

/** Mean ± sd of the best validation value against one axis (numeric axes on a number scale). */
function axisFigure(axis: string, stats: SweepStatistics): Figure {
  const m = stats.metric;
  const cells = stats.cells.filter((c) => c.valid !== null);
  const numeric = cells.every((c) => Number.isFinite(Number(c.cell.values[axis])));
  const positive = numeric && cells.every((c) => Number(c.cell.values[axis]) > 0);
  const ratio = positive && cells.length > 1 ? spread(cells.map((c) => Number(c.cell.values[axis]))) : 1;
  const at = (v: string) => (numeric ? Number(v) : v);
  const means = cells.map((c) => ({
    x: at(c.cell.values[axis]!),
    mean: c.valid!.mean,
    lo: c.valid!.mean - (c.valid!.sd ?? 0),
    hi: c.valid!.mean + (c.valid!.sd ?? 0),
  }));
  const seeds = cells.flatMap((c) =>
    c.runs.filter((r) => r.best).map((r) => ({ x: at(c.cell.values[axis]!), value: r.best!.value })),
  );
  const x = {
    field: 'x',
    type: numeric ? 'quantitative' : 'ordinal',
    title: axis,
    ...(numeric ? { scale: { type: ratio >= 10 ? 'log' : 'linear', zero: false } } : {}),
    ...(numeric ? {} : { sort: [...new Set(cells.map((c) => c.cell.values[axis]))] }),
  };
  const y = { type: 'quantitative', title: `valid ${m.short} at best loss`, scale: { zero: false } };
  return {
    id: `sweep-${axis.replace(/[^A-Za-z0-9-]/g, '-')}`,
    title: `Validation ${m.short} at the best-loss epoch against ${axis}`,
    caption: `Mean (line) ± one standard deviation (band) over seeds of each cell's validation ${m.short} at the epoch of lowest validation loss; a dot per run.`,
    spec: {
      $schema: SCHEMA,
      width: 560,
      height: 280,
      config: CONFIG,
      layer: [
        {
          data: { values: means },
          mark: { type: 'area', opacity: 0.2, color: '#4c78a8' },
          encoding: { x, y: { ...y, field: 'lo' }, y2: { field: 'hi' } },
        },
        {
          data: { values: means },
          mark: { type: 'line', point: true, strokeWidth: 2, color: '#4c78a8' },
          encoding: { x, y: { ...y, field: 'mean' } },
        },
        {
          data: { values: seeds },
          mark: { type: 'point', size: 30, opacity: 0.7, color: '#e45756' },
          encoding: { x, y: { ...y, field: 'value' } },
        },
      ],
    } as TopLevelSpec,
  };
}

/** max / min of positive numbers: a range spanning a decade or more is drawn on a log scale. */
function spread(values: number[]): number {
  return Math.max(...values) / Math.min(...values);
}

/** Each trial's validation curve up to where it stopped, coloured by the last rung it reached. */
function halvingFigure(sweep: SweepConfig, stats: SweepStatistics): Figure {
  const rungs = sweep.halving!.rungs;
  const values = stats.cells.flatMap((c) =>
    c.runs.flatMap((r) => {
      const rung = rungOf(
        { name: '', epochs: r.state.epochs, done: false, running: false, scores: [] },
        rungs,
      );
      return r.state.validLoss.map((loss, i) => ({
        trial: c.cell.name,
        epoch: i + 1,
        loss,
        rung: rung < 0 ? 'none' : `rung ${rung} (epoch ${rungs[rung]})`,
      }));
    }),
  );
  return {
    id: 'sweep-halving',
    title: 'Successive halving: where each trial stopped',
    caption: `Validation loss per epoch of every trial; a line ends where the trial was stopped (rungs at epochs ${rungs.join(', ')}, η = ${sweep.halving!.reduction}).`,
    spec: {
      $schema: SCHEMA,
      width: 680,
      height: 300,
      config: CONFIG,
      data: { values },
      mark: { type: 'line', point: true, strokeWidth: 1.5 },
      encoding: {
        x: { field: 'epoch', type: 'quantitative', title: 'Epoch', axis: { tickMinStep: 1, format: 'd' } },
        y: { field: 'loss', type: 'quantitative', title: 'Validation loss', scale: { zero: false } },
        detail: { field: 'trial', type: 'nominal' },
        color: { field: 'rung', type: 'ordinal', title: 'Stopped at', scale: { scheme: 'viridis' } },
      },
    } as TopLevelSpec,
  };
}
