/**
 * `metrics.jsonl`: one JSON object per epoch and split, in the order they were measured:
 *
 *     {"epoch": 3, "split": "valid", "loss": 1.02, "bpc": 1.47, "seconds": 8.1}
 *
 * `epoch` counts from 1; `loss` is the mean cross-entropy in nats per predicted token (or example);
 * exactly one of `bpc` (character models), `perplexity` (word models) or `accuracy` (classifiers)
 * follows; `seconds` is the wall time of that epoch's training (train row) or evaluation (valid/test).
 *
 * The file is rewritten whole and atomically at each epoch end (it is small), so a killed run never
 * leaves half a line; on resume, rows after the checkpoint's epoch are dropped.
 */
import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from './atomic.js';

export type Split = 'train' | 'valid' | 'test';
export type MetricName = 'bpc' | 'perplexity' | 'accuracy';

export interface MetricRecord {
  epoch: number;
  split: Split;
  loss: number;
  bpc?: number;
  perplexity?: number;
  accuracy?: number;
  seconds: number;
}

/** The rows of a metrics file (empty when it does not exist). */
export function readMetrics(file: string): MetricRecord[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line, i) => {
      try {
        return JSON.parse(line) as MetricRecord;
      } catch {
        throw new Error(`${file}: line ${i + 1} is not JSON: ${line.slice(0, 80)}`);
      }
    });
}

/** Replaces the file's content with `rows` (atomically). */
export function writeMetrics(file: string, rows: readonly MetricRecord[]): void {
  writeFileAtomic(file, rows.map((r) => JSON.stringify(r) + '\n').join(''));
}

/** The row's headline metric value (bpc, perplexity or accuracy). */
export function metricOf(row: MetricRecord, name: MetricName): number {
  const value = row[name];
  if (value === undefined)
    throw new Error(`metrics row of epoch ${row.epoch} (${row.split}) has no '${name}'`);
  return value;
}
