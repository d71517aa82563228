/**
 * A line chart of a measured quantity against a setting (accuracy against the dropout rate, the
 * share of small weights against the penalty strength) as a Vega-Lite spec: one coloured line
 * per series through its points, each point with a vertical bar over its interval (e.g. the 95%
 * interval of a mean over seeds) when it has one.
 */
import type { TopLevelSpec } from 'vega-lite';
import { CONFIG, type Figure } from './charts.js';

/** One point of a series: the setting `x`, the value `y`, and its interval [lo, hi] if known. */
export interface SeriesPoint {
  series: string;
  x: number;
  y: number;
  lo?: number;
  hi?: number;
}

/** What `seriesFigure` draws. */
export interface SeriesFigureOptions {
  id: string;
  title: string;
  caption: string;
  points: SeriesPoint[];
  xTitle: string;
  yTitle: string;
  /** The legend's title. */
  seriesTitle: string;
  /** A logarithmic x axis (for strengths spanning decades). Default false. */
  logX?: boolean;
  /** The y axis format (d3-format), e.g. '.0%' for shares. Default: vega's. */
  yFormat?: string;
}

/** The line chart (see the module doc). */
export function seriesFigure(opts: SeriesFigureOptions): Figure {
  const bad = opts.points.find((p) => !Number.isFinite(p.x) || !Number.isFinite(p.y));
  if (bad !== undefined)
    throw new RangeError(
      `seriesFigure ${opts.id}: point (${bad.x}, ${bad.y}) of '${bad.series}' is not finite; leave it out instead`,
    );
  const series = [...new Set(opts.points.map((p) => p.series))];
  const x = {
    field: 'x',
    type: 'quantitative',
    title: opts.xTitle,
    scale: opts.logX ? { type: 'log' } : { zero: false, nice: false },
  } as const;
  const y = {
    field: 'y',
    type: 'quantitative',
    title: opts.yTitle,
    scale: { zero: false },
    ...(opts.yFormat ? { axis: { format: opts.yFormat } } : {}),
  } as const;
  const color = {
    field: 'series',
    type: 'nominal',
    title: opts.seriesTitle,
    scale: { domain: series },
  } as const;
  const intervals = opts.points.filter((p) => p.lo !== undefined && p.hi !== undefined);
  return {
    id: opts.id,
    title: opts.title,
    caption: opts.caption,
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      width: 560,
      height: 280,
      config: CONFIG,
      layer: [
        {
          data: { values: opts.points },
          mark: { type: 'line', strokeWidth: 2, point: { filled: true, size: 50 } },
          encoding: { x, y, color },
        },
        ...(intervals.length > 0
          ? [
              {
                data: { values: intervals },
                mark: { type: 'rule', strokeWidth: 1.5, opacity: 0.7 },
                encoding: { x, y: { ...y, field: 'lo' }, y2: { field: 'hi' }, color },
              },
            ]
          : []),
      ],
    } as TopLevelSpec,
  };
}
