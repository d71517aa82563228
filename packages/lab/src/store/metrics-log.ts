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
 * leaves half a line; on resume, rows after the checkpoint's epoch are dropped. A torn last line
 * (the file copied while being written, or written by an older, non-atomic version) is dropped
 * with a note; a bad line before it is a RunFileError naming the line.
 */
import { existsSync, readFileSync } from 'node:fs';
import { RunFileError } from '../errors.js';
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

/** The rows of a metrics file (empty when it does not exist); `note` hears of a dropped torn line. */
export function readMetrics(file: string, note?: (line: string) => void): MetricRecord[] {
  if (!existsSync(file)) return [];
  const lines = readFileSync(file, 'utf8').split('\n');
  let last = lines.length - 1;
  while (last >= 0 && lines[last]!.trim() === '') last--;
  const rows: MetricRecord[] = [];
  for (let i = 0; i <= last; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    const row = parseRow(line);
    if (row !== undefined) rows.push(row);
    else if (i === last)
      note?.(`note: ${file}: dropped a torn last line (${JSON.stringify(line.slice(0, 40))})`);
    else
      throw new RunFileError(
        file,
        `line ${i + 1} is not a metrics row: ${JSON.stringify(line.slice(0, 80))}; ` +
          'fix or delete that line (the checkpoint is unaffected), then resume',
      );
  }
  return rows;
}

function parseRow(line: string): MetricRecord | undefined {
  try {
    const row = JSON.parse(line) as Partial<MetricRecord> | null;
    const ok =
      typeof row === 'object' &&
      row !== null &&
      Number.isInteger(row.epoch) &&
      (row.split === 'train' || row.split === 'valid' || row.split === 'test');
    return ok ? (row as MetricRecord) : undefined;
  } catch {
    return undefined;
  }
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
