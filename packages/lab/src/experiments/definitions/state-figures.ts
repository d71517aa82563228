/**
 * The figures of the per-step LSTM state experiments (`variance-over-time`, `gradient-flow-*`):
 * a value against the step t within the sequence, and a value against training time, one line
 * per variant (colour) and mode (solid: training mode, dashed: inference), on a log scale.
 */
import type { TopLevelSpec } from 'vega-lite';
import { CONFIG, type Figure } from '../../report/index.js';
import type { StateMode } from '../../probes/lstm-state-keys.js';

/** One point of a figure. */
export interface FigurePoint {
  variant: string;
  mode: StateMode;
  x: number;
  value: number;
}

/** A line figure (see the module doc); `aggregate`: average the points of equal x (seeds) in the chart. */
export function stateFigure(options: {
  id: string;
  title: string;
  caption: string;
  xTitle: string;
  yTitle: string;
  variants: readonly string[];
  points: readonly FigurePoint[];
  aggregate?: boolean;
}): Figure {
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: 640,
    height: 260,
    config: CONFIG,
    title: options.title,
    data: { values: options.points },
    mark: { type: 'line', strokeWidth: 2 },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: options.xTitle },
      y: {
        field: 'value',
        type: 'quantitative',
        title: options.yTitle,
        scale: { type: 'log' },
        ...(options.aggregate ? { aggregate: 'mean' } : {}),
      },
      color: {
        field: 'variant',
        type: 'nominal',
        title: 'Variant',
        scale: { domain: [...options.variants] },
        legend: { symbolType: 'stroke' },
      },
      strokeDash: {
        legend: { symbolType: 'stroke', symbolStrokeColor: '#555' },
        field: 'mode',
        type: 'nominal',
        title: 'Mode',
        scale: {
          domain: ['train', 'inference'],
          range: [
            [1, 0],
            [6, 4],
          ],
        },
      },
    },
  } as TopLevelSpec;
  return { id: options.id, title: options.title, caption: options.caption, spec };
}
