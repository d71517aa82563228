/**
 * The headline metric of a set of runs, its direction and formatting, and per-split series.
 */
import type { MetricRow, RunData } from './run-data.js';

/** The metric fields of metrics.jsonl. */
export type MetricName = 'bpc' | 'perplexity' | 'accuracy' | 'loss';

/** How to read, compare and print one metric. */
export interface MetricInfo {
  name: MetricName;
  /** Axis and table label, e.g. "bits per character". */
  label: string;
  /** Short label, e.g. "BPC". */
  short: string;
  higherIsBetter: boolean;
  format: (v: number) => string;
}

const INFO: Record<MetricName, MetricInfo> = {
  bpc: {
    name: 'bpc',
    label: 'Bits per character',
    short: 'BPC',
    higherIsBetter: false,
    format: (v) => v.toFixed(3),
  },
  perplexity: {
    name: 'perplexity',
    label: 'Perplexity',
    short: 'perplexity',
    higherIsBetter: false,
    format: (v) => v.toFixed(1),
  },
  accuracy: {
    name: 'accuracy',
    label: 'Accuracy',
    short: 'accuracy',
    higherIsBetter: true,
    format: (v) => `${(v * 100).toFixed(2)}%`,
  },
  loss: { name: 'loss', label: 'Loss', short: 'loss', higherIsBetter: false, format: (v) => v.toFixed(4) },
};

/** bpc, else perplexity, else accuracy (the first one every run reports on valid), else loss. */
export function chooseMetric(runs: RunData[], prefer?: MetricName): MetricInfo {
  if (prefer) return INFO[prefer];
  for (const name of ['bpc', 'perplexity', 'accuracy'] as const) {
    if (runs.every((r) => r.rows.some((row) => row.split === 'valid' && typeof row[name] === 'number')))
      return INFO[name];
  }
  return INFO.loss;
}

/** The MetricInfo of a metric name. */
export function metricInfo(name: MetricName): MetricInfo {
  return INFO[name];
}

/** One value of a series. */
export interface Point {
  epoch: number;
  value: number;
}

/** The finite values of `metric` on `split`, by epoch. */
export function series(run: RunData, split: MetricRow['split'], metric: MetricName): Point[] {
  return run.rows
    .filter((r) => r.split === split && typeof r[metric] === 'number' && Number.isFinite(r[metric]))
    .map((r) => ({ epoch: r.epoch, value: r[metric] as number }))
    .sort((a, b) => a.epoch - b.epoch);
}

/** True when `a` is better than `b` for this metric. */
/**
 * How the generalization gap is measured, in words: the worse split minus the better one, so a
 * positive gap always means the model does better on its training data.
 */
export function gapWords(info: MetricInfo): string {
  return info.higherIsBetter
    ? `training minus validation ${info.short}`
    : `validation minus training ${info.short}`;
}

export function better(info: MetricInfo, a: number, b: number): boolean {
  return info.higherIsBetter ? a > b : a < b;
}
