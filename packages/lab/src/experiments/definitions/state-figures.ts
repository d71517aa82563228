/**
 * The figures of the per-step LSTM / GRU state experiments (`variance-over-time`, `gradient-flow-*`):
 * a value against the step t within the sequence (`stepsFigure`: the last epoch's curve, geometric
 * mean over seeds), and a value against training time (`trainingFigure`: f of each row's curve,
 * mean over seeds in the chart), one line per variant (colour) and mode (solid: training mode,
 * dashed: inference), on a log scale.
 */
import type { TopLevelSpec } from 'vega-lite';
import { CONFIG, type Figure } from '../../report/index.js';
import { STATE_MODES, type StateMode, type StateName } from '../../probes/lstm-state-keys.js';
import { meanCurve, overTraining, type StateRun } from './state-probe-values.js';

/** One point of a figure. */
export interface FigurePoint {
  variant: string;
  mode: StateMode;
  x: number;
  value: number;
}

/**
 * The colour (variant) and dash (mode: solid training, dashed inference) channels of a line chart
 * whose points have fields `variant` and `mode`; also the `variance` experiment's (./variance-section.ts).
 */
export function variantModeEncoding(variants: readonly string[]) {
  return {
    color: {
      field: 'variant',
      type: 'nominal',
      title: 'Variant',
      scale: { domain: [...variants] },
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
  } as const;
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
      ...variantModeEncoding(options.variants),
    },
  } as TopLevelSpec;
  return { id: options.id, title: options.title, caption: options.caption, spec };
}

/** What a figure of one layer's state says, and whose runs it draws. */
export interface StateFigureOptions {
  id: string;
  title: string;
  caption: string;
  yTitle: string;
  variants: readonly string[];
  of: (variant: string) => StateRun[];
  layer: string;
  state: StateName;
}

/** The state's value against the step t, after the last epoch (mean curve over seeds). */
export function stepsFigure(options: StateFigureOptions): Figure {
  const { variants, of, layer, state } = options;
  return stateFigure({
    ...options,
    xTitle: 'Step t within the sequence',
    points: variants.flatMap((variant) =>
      STATE_MODES.flatMap((mode) =>
        meanCurve(of(variant), 'last', { layer, mode, state }).map((p) => ({
          variant,
          mode,
          x: p.step,
          value: p.value,
        })),
      ),
    ),
  });
}

/**
 * `f` of the state's curve against training time, every row of every run (the chart averages the
 * seeds); points that a log scale cannot show (not finite or not positive) are left out.
 */
export function trainingFigure(options: StateFigureOptions & { f: (curve: number[]) => number }): Figure {
  const { variants, of, layer, state, f } = options;
  return stateFigure({
    ...options,
    xTitle: 'Training time (epochs)',
    aggregate: true,
    points: variants.flatMap((variant) =>
      STATE_MODES.flatMap((mode) =>
        of(variant).flatMap((run) =>
          overTraining(run, { layer, mode, state }, f)
            .filter((p) => p.value > 0 && Number.isFinite(p.value))
            .map((p) => ({ variant, mode, x: p.epochs, value: p.value })),
        ),
      ),
    ),
  });
}
