/**
 * `metrics.jsonl`: one JSON object per epoch and split, in the order they were measured:
 *
 *     {"epoch": 3, "split": "valid", "loss": 1.02, "bpc": 1.47, "seconds": 8.1}
 *
 * `epoch` counts from 1; `loss` is the mean cross-entropy in nats per predicted token (or example);
 * exactly one of `bpc` (character models), `perplexity` (word models) or `accuracy` (classifiers)
 * follows; `seconds` is the wall time of that epoch's training (train row) or evaluation (valid/test).
 *
 * The file is rewritten whole and atomically at each epoch end (./jsonl-log.ts: a torn last line
 * is dropped with a note, a bad line before it is an error); on resume, rows after the
 * checkpoint's epoch are dropped.
 */
import { readJsonLines, writeJsonLines } from './jsonl-log.js';

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

/** The rows of a metrics file (empty when it does not exist); `note` hears of a dropped torn line. */
export function readMetrics(file: string, note?: (line: string) => void): MetricRecord[] {
  return readJsonLines(file, asMetricRecord, 'a metrics row', note);
}

function asMetricRecord(value: unknown): MetricRecord | undefined {
  const row = value as Partial<MetricRecord> | null;
  const ok =
    typeof row === 'object' &&
    row !== null &&
    Number.isInteger(row.epoch) &&
    (row.split === 'train' || row.split === 'valid' || row.split === 'test');
  return ok ? (row as MetricRecord) : undefined;
}

/** Replaces the file's content with `rows` (atomically). */
export function writeMetrics(file: string, rows: readonly MetricRecord[]): void {
  writeJsonLines(file, rows);
}

/** The row's headline metric value (bpc, perplexity or accuracy). */
export function metricOf(row: MetricRecord, name: MetricName): number {
  const value = row[name];
  if (value === undefined)
    throw new Error(`metrics row of epoch ${row.epoch} (${row.split}) has no '${name}'`);
  return value;
}
