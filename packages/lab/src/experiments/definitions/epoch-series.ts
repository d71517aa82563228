/**
 * Numbers an experiment's runs log once per epoch (a metric of a split, its seconds, a probe's
 * value), gathered per variant and seed, averaged over the seeds epoch by epoch, drawn as one
 * line per variant, and reduced to one number per seed for paired comparisons:
 *
 *   curve(v, e)      = mean over the seeds s of variant v that reached epoch e of x(v, s, e)
 *   overEpochs(v, s) = (1/K) Σ_{e=1..K} x(v, s, e),  K = the epochs every run reached
 *
 * (comparing runs over their common epochs keeps a run that stopped early from being compared at
 * a different stage of training than one that did not).
 */
import type { TopLevelSpec } from 'vega-lite';
import { type MetricName, readRun, series, type Figure } from '../../report/index.js';
import { describeSample } from '../../stats/index.js';
import { probeSeries, readProbes } from '../../store/probes-log.js';
import { runPaths } from '../../store/run-dir.js';
import type { ReportSectionInput } from '../definition.js';
import type { BySeed } from './seed-values.js';

/** Epoch → value. */
export type ByEpoch = Map<number, number>;
/** Variant → seed → epoch → value. */
export type EpochValues = Map<string, Map<number, ByEpoch>>;

/** One point of a variant's curve: the mean over `n` seeds, and their sd (null for one seed). */
export interface CurvePoint {
  variant: string;
  epoch: number;
  mean: number;
  sd: number | null;
  n: number;
}

/** The per-epoch values `read(runDir)` gives, for every run of the experiment. */
export function epochValues(input: ReportSectionInput, read: (dir: string) => ByEpoch): EpochValues {
  return new Map(input.variants.map((v) => [v.name, new Map(v.runs.map((r) => [r.seed, read(r.dir)]))]));
}

/** A run's metric on a split (the `seconds` it took, with metric 'seconds'), by epoch. */
export function metricByEpoch(split: 'train' | 'valid' | 'test', metric: MetricName | 'seconds') {
  return (dir: string): ByEpoch => {
    const run = readRun(dir);
    if (metric !== 'seconds') return new Map(series(run, split, metric).map((p) => [p.epoch, p.value]));
    return new Map(
      run.rows.filter((r) => r.split === split && r.seconds !== undefined).map((r) => [r.epoch, r.seconds!]),
    );
  };
}

/** A run's probe value `key` of probe `probe` after each epoch (probes.jsonl 'epoch' rows). */
export function probeByEpoch(probe: string, key: string) {
  return (dir: string): ByEpoch =>
    new Map(
      probeSeries(readProbes(runPaths(dir).probes), probe, key)
        .filter((p) => p.at === 'epoch')
        .map((p) => [p.epoch, p.value]),
    );
}

/** Each variant's curve: the mean and sd over its seeds at every epoch some seed reached. */
export function curves(values: EpochValues): CurvePoint[] {
  return [...values].flatMap(([variant, bySeed]) => {
    const epochs = [...new Set([...bySeed.values()].flatMap((m) => [...m.keys()]))].sort((a, b) => a - b);
    return epochs.map((epoch) => {
      const xs = [...bySeed.values()].flatMap((m) => (m.has(epoch) ? [m.get(epoch)!] : []));
      const d = describeSample(xs);
      return { variant, epoch, mean: d.mean, sd: d.sd, n: d.n };
    });
  });
}

/** K: the last epoch every run has a value for (0 when some run has none). */
export function commonEpochs(values: EpochValues): number {
  let k = Infinity;
  for (const bySeed of values.values())
    for (const m of bySeed.values()) {
      let e = 0;
      while (m.has(e + 1)) e++;
      k = Math.min(k, e);
    }
  return Number.isFinite(k) ? k : 0;
}

/** Each run's mean over epochs 1…`k` (see the module doc), by variant and seed. */
export function overEpochs(values: EpochValues, k: number): Map<string, BySeed> {
  if (!(k >= 1)) throw new RangeError(`overEpochs: need at least one common epoch, got ${k}`);
  return new Map(
    [...values].map(([variant, bySeed]) => [
      variant,
      new Map(
        [...bySeed].map(([seed, m]) => {
          let sum = 0;
          for (let e = 1; e <= k; e++) sum += m.get(e)!;
          return [seed, sum / k];
        }),
      ),
    ]),
  );
}

/**
 * A figure of curves (several series may share it: `series` names each, drawn solid, dashed, …):
 * one colour per variant, the mean over seeds per epoch, a band of ± one sd where there are two
 * or more seeds.
 */
export function curveFigure(opts: {
  id: string;
  title: string;
  caption: string;
  yTitle: string;
  variants: readonly string[];
  series: { name: string; points: CurvePoint[] }[];
  percent?: boolean;
}): Figure {
  const values = opts.series.flatMap((s) =>
    s.points.map((p) => ({
      ...p,
      series: s.name,
      lo: p.sd === null ? p.mean : p.mean - p.sd,
      hi: p.sd === null ? p.mean : p.mean + p.sd,
    })),
  );
  const epochs = values.map((v) => v.epoch);
  const x = {
    field: 'epoch',
    type: 'quantitative',
    title: 'Epoch',
    scale: { domain: [Math.min(...epochs), Math.max(1 + Math.min(...epochs), ...epochs)], nice: false },
    axis: { tickMinStep: 1, format: 'd' },
  } as const;
  const format = opts.percent ? '.0%' : '~g';
  const color = {
    field: 'variant',
    type: 'nominal',
    title: 'Variant',
    scale: { domain: [...opts.variants] },
  };
  const names = opts.series.map((s) => s.name);
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: 680,
    height: 300,
    config: { font: 'DejaVu Sans, sans-serif', background: 'white', padding: 8, view: { stroke: null } },
    data: { values },
    layer: [
      {
        mark: { type: 'area', opacity: 0.15 },
        encoding: {
          x,
          y: { field: 'lo', type: 'quantitative', title: opts.yTitle, axis: { format } },
          y2: { field: 'hi' },
          color,
          detail: { field: 'series' },
        },
      },
      {
        mark: { type: 'line', strokeWidth: 2, point: names.length === 1 },
        encoding: {
          x,
          y: { field: 'mean', type: 'quantitative', title: opts.yTitle, scale: { zero: false } },
          color,
          strokeDash: {
            field: 'series',
            type: 'nominal',
            title: 'Series',
            scale: { domain: names, range: names.map((_, i) => (i === 0 ? [1, 0] : [6, 4])) },
            legend: names.length > 1 ? {} : null,
          },
        },
      },
    ],
  };
  return { id: opts.id, title: opts.title, caption: opts.caption, spec: spec as unknown as TopLevelSpec };
}
