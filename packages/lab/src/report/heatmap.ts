/**
 * A heatmap of one number per pair of categories (a 2-axis sweep: mean validation metric per
 * cell), as a Vega-Lite figure in the report's style: one rectangle per cell coloured by `value`,
 * with `text` (default: the value) written on it. Cells absent from `cells` stay blank.
 */
import type { TopLevelSpec } from 'vega-lite';
import { CONFIG, type Figure } from './charts.js';

export function heatmapFigure(opts: {
  id: string;
  title: string;
  caption: string;
  cells: { x: string; y: string; value: number; text?: string }[];
  xTitle: string;
  yTitle: string;
  valueTitle: string;
}): Figure {
  const values = opts.cells.map((c) => ({ ...c, text: c.text ?? String(c.value) }));
  // Categories in the order given (the sweep's value order), not sorted as text.
  const xs = [...new Set(values.map((c) => c.x))];
  const ys = [...new Set(values.map((c) => c.y))];
  const numbers = values.map((c) => c.value);
  const mid = (Math.min(...numbers) + Math.max(...numbers)) / 2;
  const x = { field: 'x', type: 'ordinal', title: opts.xTitle, sort: xs, axis: { labelAngle: 0 } } as const;
  const y = { field: 'y', type: 'ordinal', title: opts.yTitle, sort: ys } as const;
  return {
    id: opts.id,
    title: opts.title,
    caption: opts.caption,
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      width: Math.min(680, 110 * xs.length),
      height: Math.min(420, 56 * ys.length),
      config: CONFIG,
      data: { values },
      layer: [
        {
          mark: { type: 'rect', stroke: 'white', strokeWidth: 2 },
          encoding: {
            x,
            y,
            color: {
              field: 'value',
              type: 'quantitative',
              title: opts.valueTitle,
              scale: { scheme: 'viridis', zero: false },
            },
          },
        },
        {
          mark: { type: 'text', fontSize: 12, fontWeight: 600 },
          encoding: {
            x,
            y,
            text: { field: 'text', type: 'nominal' },
            // viridis runs from dark (low) to light yellow (high): dark text on the light half.
            color: { condition: { test: `datum.value > ${mid}`, value: '#111' }, value: 'white' },
          },
        },
      ],
    } as TopLevelSpec,
  };
}
