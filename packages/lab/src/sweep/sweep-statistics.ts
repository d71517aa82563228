/**
 * The numbers of a sweep: for each cell, its runs (one per seed) with their best validation value
 * (at the best validation epoch) and test value there, and over the seeds the mean, sd and 95%
 * interval of each (stats/describe.ts, Student t). The best cell is the one with the best mean
 * validation value — chosen on validation, never on test; its test numbers are reported beside.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { chooseMetric, type MetricInfo, readRun, type RunData, summarizeRuns } from '../report/index.js';
import { better } from '../report/metrics.js';
import { describeSample, type SampleStats } from '../stats/index.js';
import { readRunState, type RunState } from './run-state.js';
import { type SweepCell, type SweepConfig, sweepRuns } from './sweep-config.js';

/** One run of a cell. */
export interface CellRun {
  seed: number;
  key: string;
  dir: string;
  state: RunState;
  /** The best validation value and its epoch, and test there (null: no epoch completed). */
  best: { epoch: number; value: number } | null;
  test: number | null;
}

/** One cell with its runs and their statistics over seeds (null: no run has a result). */
export interface CellStats {
  cell: SweepCell;
  runs: CellRun[];
  valid: SampleStats | null;
  test: SampleStats | null;
}

export interface SweepStatistics {
  metric: MetricInfo;
  cells: CellStats[];
  /** Index into `cells` of the best mean validation value (null: no results). */
  best: number | null;
}

const describe = (values: number[]) => (values.length === 0 ? null : describeSample(values));

/** Reads every run of the sweep in `dir` and computes the cells' statistics. */
export function sweepStatistics(sweep: SweepConfig, dir: string): SweepStatistics {
  const runs = sweepRuns(sweep).map((r) => {
    const runDir = join(dir, r.key);
    const data = existsSync(join(runDir, 'metrics.jsonl')) ? readRun(runDir) : null;
    return { run: r, dir: runDir, data, state: readRunState(runDir) };
  });
  const withData = runs.filter((r) => r.data !== null && r.data.rows.some((x) => x.split === 'valid'));
  const metric = chooseMetric(withData.map((r) => r.data as RunData));
  const cells = sweep.cells.map((cell): CellStats => {
    const own = runs
      .filter((r) => r.run.cell.name === cell.name)
      .map((r): CellRun => {
        const s = r.data && withData.includes(r) ? summarizeRuns([r.data], metric)[0]! : null;
        const [best, test] = [s?.best ?? null, s?.test ?? null];
        return { seed: r.run.seed, key: r.run.key, dir: r.dir, state: r.state, best, test };
      });
    // A failed run (diverged) has no result to average: it is listed, not counted.
    const ok = own.filter((r) => r.best !== null && r.state.status !== 'failed');
    return {
      cell,
      runs: own,
      valid: describe(ok.map((r) => r.best!.value)),
      test: describe(ok.filter((r) => r.test !== null).map((r) => r.test!)),
    };
  });
  let best: number | null = null;
  cells.forEach((c, i) => {
    if (c.valid && (best === null || better(metric, c.valid.mean, cells[best]!.valid!.mean))) best = i;
  });
  return { metric, cells, best };
}

/** `2.513 ± 0.021` (mean ± sd), or the mean alone with one value. */
export function meanSd(s: SampleStats, metric: MetricInfo): string {
  return s.sd === null ? metric.format(s.mean) : `${metric.format(s.mean)} ± ${metric.format(s.sd)}`;
}

/** `[2.46, 2.56]`: the 95% interval of the mean (null with one value). */
export function interval(s: SampleStats, metric: MetricInfo): string | null {
  return s.halfWidth === null
    ? null
    : `[${metric.format(s.mean - s.halfWidth)}, ${metric.format(s.mean + s.halfWidth)}]`;
}
