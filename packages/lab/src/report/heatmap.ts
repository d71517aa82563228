/**
 * A heatmap as a Vega-Lite spec: one coloured cell per (x, y) pair, its colour the value on a
 * sequential scale, its text the value or the caller's `text` (e.g. "−0.42 ± 1.03"; a newline
 * in it breaks the line). The columns and rows keep the order in which the cells name them, so a
 * grid given row by row reads as it was declared (dropout 0, 0.2, 0.5 left to right).
 *
 * Used for the grids of issue 14's experiments (validation loss and accuracy over dropout ×
 * weight decay, the interaction of each pair).
 */
import type { TopLevelSpec } from 'vega-lite';
import { CONFIG, type Figure } from './charts.js';

/**
 * A heatmap of `cells` (see the module doc): each cell's column `x`, row `y`, the `value` its
 * colour shows, and its `text` (default: the value to 3 significant digits).
 */
export function heatmapFigure(opts: {
  id: string;
  title: string;
  caption: string;
  cells: { x: string; y: string; value: number; text?: string }[];
  xTitle: string;
  yTitle: string;
  valueTitle: string;
}): Figure {
  const bad = opts.cells.find((c) => !Number.isFinite(c.value));
  if (bad !== undefined)
    throw new RangeError(
      `heatmapFigure ${opts.id}: cell (${bad.x}, ${bad.y}) has value ${bad.value}; give finite values`,
    );
  const unique = (xs: string[]) => [...new Set(xs)];
  const columns = unique(opts.cells.map((c) => c.x));
  const rows = unique(opts.cells.map((c) => c.y));
  const values = opts.cells.map((c) => ({
    x: c.x,
    y: c.y,
    value: c.value,
    text: c.text ?? c.value.toPrecision(3),
  }));
  // Viridis is dark at its low end: white text there, dark text on the light half.
  const lo = Math.min(...values.map((v) => v.value));
  const hi = Math.max(...values.map((v) => v.value));
  const middle = (lo + hi) / 2;
  const x = {
    field: 'x',
    type: 'ordinal',
    title: opts.xTitle,
    sort: columns,
    axis: { labelAngle: 0 },
  } as const;
  const y = { field: 'y', type: 'ordinal', title: opts.yTitle, sort: rows } as const;
  return {
    id: opts.id,
    title: opts.title,
    caption: opts.caption,
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      width: Math.min(680, 130 * columns.length),
      height: 46 * rows.length,
      config: CONFIG,
      data: { values },
      encoding: { x, y },
      layer: [
        {
          mark: { type: 'rect', stroke: 'white', strokeWidth: 2 },
          encoding: {
            color: {
              field: 'value',
              type: 'quantitative',
              title: opts.valueTitle,
              scale: { scheme: 'viridis', ...(hi > lo ? {} : { domain: [lo - 1, lo + 1] }) },
            },
          },
        },
        {
          mark: { type: 'text', fontSize: 12, lineBreak: '\n' },
          encoding: {
            text: { field: 'text', type: 'nominal' },
            color: {
              condition: { test: `datum.value < ${middle}`, value: 'white' },
              value: '#222',
            },
          },
        },
      ],
    } as TopLevelSpec,
  };
}
