/**
 * The report's figures as Vega-Lite specs, rendered headlessly: SVG with vega's View (no browser,
 * no canvas), PNG from that SVG with resvg. Vega-Lite gives labelled axes, legends and sensible
 * scales from a short declarative spec, which hand-written SVG would not.
 */
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

import { gapWords, series, type MetricInfo } from './metrics.js';
import type { RunData } from './run-data.js';
import type { RunSummary } from './summarize.js';

/** A figure of the report: its spec and the words around it. */
export interface Figure {
  /** File stem, e.g. `learning-curves-bpc`. */
  id: string;
  title: string;
  /** One sentence under the figure saying what is drawn. */
  caption: string;
  spec: TopLevelSpec;
}

const FONT = 'Helvetica Neue, Helvetica, Arial, Liberation Sans, DejaVu Sans, sans-serif';
/** The look every figure shares (fonts, axes, legends, colours): the specs' `config`. */
export const CONFIG = {
  font: FONT,
  background: 'white',
  padding: 8,
  view: { stroke: null },
  axis: {
    labelFontSize: 12,
    titleFontSize: 13,
    titleFontWeight: 600,
    titleColor: '#333',
    labelColor: '#555',
    gridColor: '#ececec',
    domainColor: '#999',
    tickColor: '#999',
  },
  legend: {
    labelFontSize: 12,
    titleFontSize: 13,
    titleFontWeight: 600,
    labelLimit: 220,
    symbolStrokeWidth: 2.5,
  },
  title: { fontSize: 14, fontWeight: 600, anchor: 'start', color: '#222' },
  range: { category: { scheme: 'tableau10' } },
} as const;

/** Learning curves: the headline metric per epoch, one colour per run, train solid, valid dashed. */
export function learningCurveFigure(runs: RunData[], summaries: RunSummary[], metric: MetricInfo): Figure {
  const values = runs.flatMap((run) =>
    (['train', 'valid'] as const).flatMap((split) =>
      series(run, split, metric.name).map((p) => ({ run: run.name, split, epoch: p.epoch, value: p.value })),
    ),
  );
  const best = summaries
    .filter((s) => s.best)
    .map((s) => ({ run: s.name, epoch: s.best!.epoch, value: s.best!.value, split: 'valid at best loss' }));
  const runNames = runs.map((r) => r.name);
  const color = {
    field: 'run',
    type: 'nominal',
    title: 'Run',
    scale: { domain: runNames },
    legend: { symbolType: 'stroke', symbolStrokeWidth: 3 },
  } as const;
  const epochs = values.map((v) => v.epoch);
  const x = {
    field: 'epoch',
    type: 'quantitative',
    title: 'Epoch',
    scale: epochDomain(epochs),
    axis: { tickMinStep: 1, format: 'd' },
  } as const;
  const y = { field: 'value', type: 'quantitative', title: metric.label, scale: { zero: false } } as const;
  return {
    id: `learning-curves-${metric.name}`,
    title: `Learning curves (${metric.short})`,
    caption: `${metric.label} per epoch: training (solid) and validation (dashed), one colour per run; dots mark each run's epoch of lowest validation loss.`,
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      width: 680,
      height: 320,
      config: CONFIG,
      layer: [
        {
          data: { values },
          mark: { type: 'line', strokeWidth: 2, interpolate: 'monotone' },
          encoding: {
            x,
            y,
            color,
            strokeDash: {
              field: 'split',
              type: 'nominal',
              title: 'Split',
              scale: {
                domain: ['train', 'valid'],
                range: [
                  [1, 0],
                  [6, 4],
                ],
              },
            },
            detail: { field: 'split' },
          },
        },
        {
          data: { values: best },
          mark: { type: 'point', filled: true, size: 90, opacity: 1, stroke: 'white', strokeWidth: 1 },
          encoding: { x, y, color },
        },
      ],
    } as TopLevelSpec,
  };
}

/** Generalization gap per epoch: the worse split minus the better (metrics.ts gapWords). */
export function gapFigure(runs: RunData[], metric: MetricInfo): Figure {
  const sign = metric.higherIsBetter ? -1 : 1;
  const values = runs.flatMap((run) => {
    const train = new Map(series(run, 'train', metric.name).map((p) => [p.epoch, p.value]));
    return series(run, 'valid', metric.name)
      .filter((p) => train.has(p.epoch))
      .map((p) => ({ run: run.name, epoch: p.epoch, gap: sign * (p.value - train.get(p.epoch)!) }));
  });
  const epochs = values.map((v) => v.epoch);
  return {
    id: `generalization-gap-${metric.name}`,
    title: `Generalization gap (${metric.short})`,
    caption: `${capitalize(gapWords(metric))} per epoch; a rising line is a model memorising its training data.`,
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      width: 680,
      height: 220,
      config: CONFIG,
      layer: [
        {
          data: { values },
          mark: { type: 'line', strokeWidth: 2, interpolate: 'monotone' },
          encoding: {
            x: {
              field: 'epoch',
              type: 'quantitative',
              title: 'Epoch',
              scale: epochDomain(epochs),
              axis: { tickMinStep: 1, format: 'd' },
            },
            y: { field: 'gap', type: 'quantitative', title: capitalize(gapWords(metric)) },
            color: {
              field: 'run',
              type: 'nominal',
              title: 'Run',
              scale: { domain: runs.map((r) => r.name) },
            },
          },
        },
        {
          data: { values: [{ zero: 0 }] },
          mark: { type: 'rule', color: '#999', strokeDash: [2, 2] },
          encoding: { y: { field: 'zero', type: 'quantitative' } },
        },
      ],
    } as TopLevelSpec,
  };
}

/** The x scale: exactly the epochs run (no padding to 0), or vega's default for 0–1 distinct epochs. */
function epochDomain(epochs: number[]): { domain?: [number, number]; nice: false } {
  const lo = Math.min(...epochs);
  const hi = Math.max(...epochs);
  return hi > lo ? { domain: [lo, hi], nice: false } : { nice: false };
}

/** Renders a Vega-Lite spec to an SVG string (headless: no DOM, no canvas). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Rasterises an SVG string to PNG at `scale`× its size, with the system fonts. */
export function svgToPng(svg: string, scale = 2): Uint8Array {
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' },
    background: 'white',
  });
  return resvg.render().asPng();
}

/** Makes the ids of an SVG unique within a page (several inline SVGs may each have a `clip1`). */
export function prefixSvgIds(svg: string, prefix: string): string {
  return svg
    .replace(/\bid="([^"]+)"/g, `id="${prefix}-$1"`)
    .replace(/url\(#([^)]+)\)/g, `url(#${prefix}-$1)`)
    .replace(/href="#([^"]+)"/g, `href="#${prefix}-$1"`);
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
