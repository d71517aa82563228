/**
 * Shared by the tests of issue 14's experiments: run an experiment job in this process (quick
 * preset, a few seeds), and read its runs' metrics straight from metrics.jsonl — independently
 * of the report code, so a test can check the report's numbers against them.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { ExitCode } from '../src/errors.js';
import type { ReportSectionInput } from '../src/experiments/definition.js';
import { findDefinition } from '../src/experiments/definitions/index.js';
import { cli } from './cli-in-process.js';

/** What a finished job gives a test. */
export interface FinishedJob {
  dir: string;
  /** The job's summary.json (as printed with --json). */
  summary: {
    runs: { name: string; seed: number; bestEpoch: number; test: number; epochs: number }[];
    conclusions: string[];
  };
  html: string;
  /** The runs by variant and seed, as the report section is given them. */
  input: ReportSectionInput;
}

/** `regulab run <name> --preset quick --seeds <seeds> <extra…> --out <fresh dir> --json`, which must succeed. */
export async function runQuickJob(name: string, seeds: number, ...extra: string[]): Promise<FinishedJob> {
  const definition = findDefinition(name)!;
  const dir = join(mkdtempSync(join(tmpdir(), `regulab-${name}-`)), 'job');
  const r = await cli(
    'run',
    name,
    '--preset',
    'quick',
    '--seeds',
    String(seeds),
    ...extra,
    '--out',
    dir,
    '--json',
  );
  expect(r.code, r.err).toBe(ExitCode.ok);
  const summary = JSON.parse(r.lines.at(-1)!) as FinishedJob['summary'];
  const seedList = Array.from({ length: seeds }, (_, k) => 1 + k);
  const input: ReportSectionInput = {
    variants: definition.variants.map((v) => ({
      name: v.name,
      label: v.label,
      runs: seedList.map((seed) => ({ seed, dir: join(dir, v.name, `seed-${seed}`) })),
    })),
    statistics: null,
    reportDir: dir,
  };
  return { dir, summary, html: readFileSync(join(dir, 'report.html'), 'utf8'), input };
}

/** One line of metrics.jsonl. */
export interface Row {
  epoch: number;
  split: 'train' | 'valid' | 'test';
  loss: number;
  accuracy: number;
}

/** The rows of a run directory's metrics.jsonl. */
export function rowsOf(runDir: string): Row[] {
  return readFileSync(join(runDir, 'metrics.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Row);
}

/** The epoch the trainer restores: the first with the lowest validation loss. */
export function restoredEpoch(rows: readonly Row[]): number {
  const valid = rows.filter((r) => r.split === 'valid');
  return valid.reduce((a, b) => (b.loss < a.loss ? b : a)).epoch;
}

/** `split`'s row at `epoch`. */
export function rowAt(rows: readonly Row[], split: Row['split'], epoch: number): Row {
  return rows.find((r) => r.split === split && r.epoch === epoch)!;
}

/** The mean of some numbers. */
export const average = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
