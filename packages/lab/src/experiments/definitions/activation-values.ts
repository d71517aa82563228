/**
 * The activations probe's numbers (../../probes/activations.ts) of an experiment's runs, for the
 * report sections of `variance` and `batchnorm-dropout`: the rows of each run, a value over
 * training time, the value after the last epoch by seed, and the multiplicative comparison of two
 * variants paired over seeds,
 *
 *   ratio = exp(mean_s (ln aₛ − ln bₛ)),   95% interval exp(d̄ ± t · s_d / √n),
 *
 * since variances compare by ratios (a paired t interval of the log ratio, ../../stats/paired.ts).
 * Training time is in epochs: 'start' is 0, batch b of epoch 1 is b / N (N batches per epoch),
 * the end of epoch e is e.
 */
import { readProbes, type ProbeRecord } from '../../store/probes-log.js';
import { readJson, runPaths } from '../../store/run-dir.js';
import { describeSample, pairedDifference, type SampleStats } from '../../stats/index.js';
import type { ReportSectionInput } from '../definition.js';
import type { BySeed } from './seed-values.js';

export const PROBE = 'activations';

/** One run's activation rows and its layers, in forward order. */
export interface ProbedRun {
  seed: number;
  rows: ProbeRecord[];
  layers: { name: string; className: string }[];
}

/** Every variant's runs that have activation rows, by variant name. */
export function probedRuns(input: ReportSectionInput): Map<string, ProbedRun[]> {
  return new Map(
    input.variants.map((v) => [
      v.name,
      v.runs.flatMap((r): ProbedRun[] => {
        const rows = readProbes(runPaths(r.dir).probes).filter((row) => row.probe === PROBE);
        if (rows.length === 0) return [];
        const config = readJson(runPaths(r.dir).config) as { spec?: { layers?: { className: string }[] } };
        const names = Object.keys(rows[0]!.values)
          .filter((k) => k.endsWith('/inference'))
          .map((k) => k.slice(0, -'/inference'.length));
        const classes = config.spec?.layers?.map((l) => l.className) ?? [];
        return [
          { seed: r.seed, rows, layers: names.map((name, i) => ({ name, className: classes[i] ?? '?' })) },
        ];
      }),
    ]),
  );
}

/** The training time of a row in epochs (see the module doc). */
export function epochsAt(row: ProbeRecord, batchesPerEpoch: number): number {
  return row.at === 'start'
    ? 0
    : row.at === 'batch'
      ? row.epoch - 1 + row.batch / batchesPerEpoch
      : row.epoch;
}

/** Value `key` of `run` over training time. */
export function timeSeries(run: ProbedRun, key: string): { epochs: number; value: number }[] {
  const perEpoch = run.rows.find((r) => r.at === 'epoch')?.batch ?? 1;
  return run.rows
    .filter((r) => r.values[key] !== undefined)
    .map((r) => ({ epochs: epochsAt(r, perEpoch), value: r.values[key]! }));
}

/** `f(values)` after the last epoch of each run, by seed (runs without such a row are left out). */
export function lastEpochBySeed(
  runs: readonly ProbedRun[],
  f: (values: Record<string, number>) => number,
): BySeed {
  const out: BySeed = new Map();
  for (const run of runs) {
    const last = run.rows.filter((r) => r.at === 'epoch').at(-1);
    if (last === undefined) continue;
    const value = f(last.values);
    if (Number.isFinite(value)) out.set(run.seed, value);
  }
  return out;
}

/** A ratio a / b paired over seeds, with its 95% interval (null with one seed). */
export interface PairedRatio {
  n: number;
  ratio: number;
  low: number | null;
  high: number | null;
  /** The interval excludes 1. */
  supported: boolean;
}

export function pairedRatio(a: BySeed, b: BySeed): PairedRatio {
  const log = (m: BySeed): BySeed =>
    new Map([...m].filter(([, v]) => v > 0).map(([s, v]) => [s, Math.log(v)]));
  const d = pairedDifference(log(a), log(b));
  const hw = d.halfWidth;
  return {
    n: d.n,
    ratio: Math.exp(d.mean),
    low: hw === null ? null : Math.exp(d.mean - hw),
    high: hw === null ? null : Math.exp(d.mean + hw),
    supported: d.supported,
  };
}

/** The mean of a value over seeds with its 95% interval. */
export function overSeeds(values: BySeed): SampleStats | null {
  return values.size === 0 ? null : describeSample([...values.values()]);
}

const fixed = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));

/** "×1.83 (95% CI ×1.70–×1.97)", or "×1.83 (one seed)". */
export function ratioText(r: PairedRatio): string {
  return r.low === null
    ? `×${fixed(r.ratio)} (one seed)`
    : `×${fixed(r.ratio)} (95% CI ×${fixed(r.low)}–×${fixed(r.high!)})`;
}

/** "0.412 ± 0.020" (mean ± 95% half-width), or the mean alone with one seed. */
export function meanText(s: SampleStats, digits = 3): string {
  return `${s.mean.toPrecision(digits)}${s.halfWidth === null ? '' : ` ± ${s.halfWidth.toPrecision(2)}`}`;
}

/**
 * "raises its variance ×1.83 (95% CI …)", "lowers …", or "changes its variance by ×1.05 (…),
 * which the 3 seeds cannot separate from no change" when the interval includes 1.
 */
export function changeText(r: PairedRatio, object: string, up = 'raises', down = 'lowers'): string {
  if (r.low !== null && !r.supported)
    return `changes ${object} by ${ratioText(r)}, which the ${r.n} seeds cannot separate from no change`;
  return `${r.ratio >= 1 ? up : down} ${object} ${ratioText(r)}`;
}
