/**
 * Per-run numbers for the results table and the conclusions: best validation epoch and value, the
 * test value, time, whether the run overfits, and the configuration keys that differ between runs.
 */
import { better, series, type MetricInfo } from './metrics.js';
import { ReportInputError, type RunData } from './run-data.js';

/** The numbers of one run that the table and the conclusions use. */
export interface RunSummary {
  name: string;
  dir: string;
  epochs: number;
  best: { epoch: number; value: number } | null;
  /** The training metric at the best validation epoch. */
  trainAtBest: number | null;
  lastValid: { epoch: number; value: number } | null;
  lastTrain: { epoch: number; value: number } | null;
  /**
   * Test of the restored weights: the final evaluation's after recomputing batch norm's statistics
   * (summary.json `final`) when the run has one, else test at the best validation epoch when the
   * run scored test every epoch, else its last test row.
   */
  test: number | null;
  /** Whether `test` is the final evaluation with recomputed batch-norm statistics. */
  testAfterBnStatistics: boolean;
  /** Sum of `seconds` over all rows. */
  seconds: number | null;
  /** Relative worsening of valid from its best to its last epoch (≥ 0; 0 when last is best). */
  validWorsening: number;
  /** Train improved after the best valid epoch while valid worsened by more than the tolerance. */
  overfits: boolean;
  /** The best valid epoch is the last one. */
  stillImproving: boolean;
  /** Config keys (dotted paths) whose values differ between the runs, with this run's value. */
  configDiff: Record<string, unknown>;
}

/** Options of `summarizeRuns`. */
export interface SummaryOptions {
  /** Relative worsening of the validation metric since its best epoch that counts as overfitting. */
  overfitTolerance?: number;
}

/** Keys that always differ between runs and say nothing about the experiment. */
const NOISE_KEYS = /^(out|outDir|runDir|dir|name|timestamp|createdAt|startedAt|date|host|pid|resumedFrom)$/;

/** One RunSummary per run, for the headline metric. */
export function summarizeRuns(runs: RunData[], metric: MetricInfo, opts: SummaryOptions = {}): RunSummary[] {
  const tolerance = opts.overfitTolerance ?? 0.01;
  const diffs = configDifferences(runs.map((r) => r.config));
  return runs.map((run, i) => {
    const valid = series(run, 'valid', metric.name);
    const train = series(run, 'train', metric.name);
    const test = series(run, 'test', metric.name);
    const best = bestEpoch(run, valid, metric);
    const final = run.final?.metric === metric.name ? run.final : undefined;
    const lastValid = valid.at(-1) ?? null;
    const lastTrain = train.at(-1) ?? null;
    const trainAtBest = best ? (train.find((p) => p.epoch === best.epoch)?.value ?? null) : null;
    const worsening =
      best && lastValid
        ? Math.max(
            0,
            (metric.higherIsBetter ? -1 : 1) * ((lastValid.value - best.value) / Math.abs(best.value)),
          )
        : 0;
    const trainImproved =
      trainAtBest !== null &&
      lastTrain !== null &&
      lastTrain.epoch > best!.epoch &&
      better(metric, lastTrain.value, trainAtBest);
    const secs = run.rows.filter((r) => typeof r.seconds === 'number').map((r) => r.seconds!);
    return {
      name: run.name,
      dir: run.dir,
      epochs: Math.max(0, ...run.rows.filter((r) => r.split !== 'test').map((r) => r.epoch)),
      best,
      trainAtBest,
      lastValid,
      lastTrain,
      test:
        final?.test.metric ??
        (best ? test.find((p) => p.epoch === best.epoch)?.value : undefined) ??
        test.at(-1)?.value ??
        null,
      testAfterBnStatistics: final !== undefined,
      seconds: secs.length ? secs.reduce((a, b) => a + b, 0) : null,
      validWorsening: worsening,
      overfits: trainImproved && worsening > tolerance,
      stillImproving: best !== null && lastValid !== null && best.epoch === lastValid.epoch,
      configDiff: diffs[i]!,
    };
  });
}

/**
 * The best validation epoch as the trainer picks it (train/early-stopping.ts): the first with the
 * lowest validation loss, whose weights the run restores; the headline metric at that epoch. Rows
 * without a loss (runs from elsewhere) fall back to the best metric value.
 */
function bestEpoch(run: RunData, valid: { epoch: number; value: number }[], metric: MetricInfo) {
  const loss = new Map(
    run.rows.filter((r) => r.split === 'valid' && typeof r.loss === 'number').map((r) => [r.epoch, r.loss!]),
  );
  let best: { epoch: number; value: number } | null = null;
  for (const p of valid) {
    const [l, bl] = [loss.get(p.epoch), best && loss.get(best.epoch)];
    const improves =
      l !== undefined && bl !== undefined && bl !== null
        ? l < bl
        : !best || better(metric, p.value, best.value);
    if (!best || improves) best = p;
  }
  return best;
}

/** Flattens nested objects to dotted keys: { a: { b: 1 } } → { 'a.b': 1 }. Arrays stay values. */
export function flattenConfig(obj: Record<string, unknown>, prefix = ''): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (v && typeof v === 'object' && !Array.isArray(v))
      Object.assign(out, flattenConfig(v as Record<string, unknown>, `${prefix}${k}.`));
    else out[prefix + k] = v;
  }
  return out;
}

/** For each config, the keys whose values are not the same in every config. */
export function configDifferences(configs: Record<string, unknown>[]): Record<string, unknown>[] {
  const flat = configs.map((c) => flattenConfig(c));
  const keys = [...new Set(flat.flatMap((f) => Object.keys(f)))].filter(
    (k) => !NOISE_KEYS.test(k.split('.').at(-1)!),
  );
  const differing = keys
    .filter((k) => new Set(flat.map((f) => JSON.stringify(f[k] ?? null))).size > 1)
    .sort();
  return flat.map((f) => Object.fromEntries(differing.map((k) => [k, f[k] ?? null])));
}

const REGULARIZER_KEY = /dropout|zoneout|weight.?drop|weight.?decay|l1|l2|noise|drop.?connect|max.?norm/i;

/** The number of regularizer settings switched on (non-zero numbers, true, non-'none' strings). */
export function activeRegularizers(config: Record<string, unknown>): number {
  return Object.entries(flattenConfig(config)).filter(
    ([k, v]) =>
      REGULARIZER_KEY.test(k) &&
      !/mode|kind|type|variant|seed/i.test(k) &&
      ((typeof v === 'number' && v !== 0) || v === true),
  ).length;
}

/**
 * The baseline run: `requested` (a run name or directory) when given; else a run named like a
 * baseline (baseline, unregularized, none, plain); else the only run with no regularizer switched on.
 * Null when none can be told apart (the report then makes no baseline claims).
 */
export function findBaseline(runs: RunData[], requested?: string): number | null {
  if (requested !== undefined) {
    const i = runs.findIndex(
      (r) => r.name === requested || r.dir === requested || r.dir.endsWith(`/${requested}`),
    );
    if (i < 0)
      throw new ReportInputError(
        '--baseline',
        `${JSON.stringify(requested)} is not one of the runs (${runs.map((r) => r.name).join(', ')})`,
      );
    return i;
  }
  const named = runs.findIndex((r) => /^(baseline|unregularized|unregularised|none|plain)$/i.test(r.name));
  if (named >= 0) return named;
  const plain = runs.map((r, i) => [i, activeRegularizers(r.config)] as const).filter(([, n]) => n === 0);
  return plain.length === 1 && runs.length > 1 ? plain[0]![0] : null;
}
