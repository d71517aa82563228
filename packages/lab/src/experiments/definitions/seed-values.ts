/**
 * Per-seed numbers of an experiment's runs, for report sections that compute more than the paired
 * comparisons with the baseline (an interaction of two regularizers, a property of the weights).
 * They are read from the run directories, so a section works with one seed (no statistics) as
 * with several.
 */
import { type RunPaths, runPaths } from '../../store/run-dir.js';
import { readCheckpointFile, type StoredTensor } from '../../store/checkpoint-file.js';
import {
  measureOf,
  metricInfo,
  type MetricName,
  readRun,
  type RunData,
  type SeedMeasure,
  summarizeRuns,
} from '../../report/index.js';
import { describeSample, type SampleStats } from '../../stats/index.js';
import type { ReportSectionInput } from '../definition.js';

/** Seed → value. */
export type BySeed = Map<number, number>;

/**
 * A value per seed computed from each run's metric rows (config.json and metrics.jsonl); seeds
 * for which `f` gives null are left out.
 */
export function runValuesBySeed(
  input: ReportSectionInput,
  f: (run: RunData) => number | null,
): Map<string, BySeed> {
  return new Map(input.variants.map((v) => [v.name, valuesBySeed(v.runs, f)]));
}

/** runValuesBySeed for the runs of one variant. */
export function valuesBySeed(
  runs: readonly { seed: number; dir: string }[],
  f: (run: RunData) => number | null,
): BySeed {
  const values: BySeed = new Map();
  for (const r of runs) {
    const value = f(readRun(r.dir));
    if (value !== null) values.set(r.seed, value);
  }
  return values;
}

/**
 * The best validation epoch of `run` as the trainer picks it (the first with the lowest
 * validation loss: the weights the run restores), or null when it has no validation row.
 */
export function bestEpochOf(run: RunData): number | null {
  return summarizeRuns([run], metricInfo('accuracy'))[0]!.best?.epoch ?? null;
}

/** `key` ('loss' or 'accuracy') of `split` at the run's best validation epoch, or null. */
export function atBestEpoch(
  run: RunData,
  split: 'train' | 'valid' | 'test',
  key: 'loss' | 'accuracy',
): number | null {
  const best = bestEpochOf(run);
  const row = run.rows.find((r) => r.epoch === best && r.split === split);
  return row?.[key] ?? null;
}

/**
 * Each variant's headline accuracy at its best validation epoch (`measure`: on test or on
 * validation), by seed; seeds whose run has no such value are left out.
 */
export function accuracyBySeed(input: ReportSectionInput, measure: SeedMeasure): Map<string, BySeed> {
  return metricBySeed(input, 'accuracy', measure);
}

/** Each variant's `name` metric (bpc, accuracy, …) at its best validation epoch, by seed (see accuracyBySeed). */
export function metricBySeed(
  input: ReportSectionInput,
  name: MetricName,
  measure: SeedMeasure,
): Map<string, BySeed> {
  const metric = metricInfo(name);
  return runValuesBySeed(input, (run) => measureOf(summarizeRuns([run], metric)[0]!, measure));
}

/** Mean, sd and 95% interval of the values of a BySeed, or null when it has none. */
export function describeSeeds(values: BySeed): SampleStats | null {
  return values.size === 0 ? null : describeSample([...values.values()]);
}

/**
 * A value per seed computed from each run's kept weights: those of the best validation epoch
 * (`best/<layer>/<i>` in the last checkpoint, the weights the test score was taken with), else
 * the last epoch's (`weights/…`). Runs without a readable checkpoint are left out.
 */
export function weightsBySeed(
  input: ReportSectionInput,
  f: (weights: Map<string, StoredTensor>) => number,
): Map<string, BySeed> {
  return new Map(
    input.variants.map((v) => {
      const values: BySeed = new Map();
      for (const r of v.runs) {
        const weights = keptWeights(runPaths(r.dir));
        if (weights !== null) values.set(r.seed, f(weights));
      }
      return [v.name, values];
    }),
  );
}

/**
 * The weights a run was scored with, `<layer>/<i>` → tensor: the best snapshot of its last
 * checkpoint if it has one, else the last epoch's; null without a readable checkpoint.
 */
export function keptWeights(paths: RunPaths): Map<string, StoredTensor> | null {
  let tensors: Map<string, StoredTensor>;
  try {
    tensors = readCheckpointFile(paths.checkpoint).tensors;
  } catch {
    return null;
  }
  const pick = (prefix: string) =>
    new Map(
      [...tensors]
        .filter(([k]) => k.startsWith(`${prefix}/`))
        .map(([k, t]) => [k.slice(prefix.length + 1), t]),
    );
  const best = pick('best');
  return best.size > 0 ? best : pick('weights');
}
