/**
 * `probes.jsonl`: what the run's probes (`--probe`, ../probes/) measured, one row per probe and
 * measurement, in the order they were taken:
 *
 *     {"probe": "dropout-rates", "at": "epoch", "epoch": 3, "batch": 32, "values": {"layers.1": 0.21}}
 *
 * `at` is 'start' (before the first step: epoch 0, batch 0), 'batch' (after the optimizer step of
 * batch `batch`, 1-based, of `epoch`) or 'epoch' (after epoch `epoch`'s evaluation; `batch` is the
 * epoch's number of batches). Written with metrics.jsonl at each epoch end, atomically
 * (./jsonl-log.ts); rows of an epoch that a killed run had not finished are measured again when it
 * resumes, so a resumed run's file equals an uninterrupted run's.
 */
import { readJsonLines, writeJsonLines } from './jsonl-log.js';

export interface ProbeRecord {
  probe: string;
  at: 'start' | 'batch' | 'epoch';
  epoch: number;
  batch: number;
  values: Record<string, number>;
}

/** The rows of a probes file (empty when it does not exist); `note` hears of a dropped torn line. */
export function readProbes(file: string, note?: (line: string) => void): ProbeRecord[] {
  return readJsonLines(file, asProbeRecord, 'a probe row', note);
}

function asProbeRecord(value: unknown): ProbeRecord | undefined {
  const row = value as Partial<ProbeRecord> | null;
  const ok =
    typeof row === 'object' &&
    row !== null &&
    typeof row.probe === 'string' &&
    (row.at === 'start' || row.at === 'batch' || row.at === 'epoch') &&
    Number.isInteger(row.epoch) &&
    Number.isInteger(row.batch) &&
    typeof row.values === 'object' &&
    row.values !== null;
  return ok ? (row as ProbeRecord) : undefined;
}

/** Replaces the file's content with `rows` (atomically). */
export function writeProbes(file: string, rows: readonly ProbeRecord[]): void {
  writeJsonLines(file, rows);
}

/** The series of value `key` of probe `probe`, as (epoch, batch, at, value) points in order. */
export function probeSeries(
  rows: readonly ProbeRecord[],
  probe: string,
  key: string,
): { epoch: number; batch: number; at: ProbeRecord['at']; value: number }[] {
  return rows
    .filter((r) => r.probe === probe && r.values[key] !== undefined)
    .map((r) => ({ epoch: r.epoch, batch: r.batch, at: r.at, value: r.values[key]! }));
}
