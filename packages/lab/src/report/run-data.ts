/**
 * Reads a run directory as the trainer writes it: `config.json` (any JSON object),
 * `metrics.jsonl` (one JSON object per epoch and split, validated with a zod schema) and, when
 * summary.json has one, the final evaluation after recomputing batch norm's statistics (`final`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';

import { z } from 'zod';

/** One line of metrics.jsonl. Extra fields are kept. */
export const MetricRowSchema = z
  .object({
    epoch: z.number().int().nonnegative(),
    split: z.enum(['train', 'valid', 'test']),
    // null: a non-finite value (JSON has no NaN/Infinity), e.g. the epoch a run diverged; not plotted.
    loss: z.number().nullable(),
    bpc: z.number().nullable().optional(),
    perplexity: z.number().nullable().optional(),
    accuracy: z.number().nullable().optional(),
    seconds: z.number().nonnegative().optional(),
  })
  .passthrough();

const ScoreSchema = z.object({ loss: z.number(), metric: z.number() });

/**
 * summary.json's `final` (experiments/final-evaluation.ts): valid and test scored again after
 * recurrent batch norm's population statistics were recomputed. Extra fields are kept.
 */
export const FinalScoresSchema = z
  .object({
    bnStatistics: z.literal('population'),
    metric: z.string(),
    examples: z.number(),
    valid: ScoreSchema,
    test: ScoreSchema,
  })
  .passthrough();
export type FinalScoresRecord = z.infer<typeof FinalScoresSchema>;

/** A validated metrics.jsonl row. */
export type MetricRow = z.infer<typeof MetricRowSchema>;

/** A parsed run directory. */
export interface RunData {
  /** Absolute path of the run directory. */
  dir: string;
  /** `config.name` when it is a string, else the directory name. */
  name: string;
  config: Record<string, unknown>;
  /** The rows in file order; a later row for the same (epoch, split) replaces an earlier one. */
  rows: MetricRow[];
  /** summary.json's final evaluation after recomputing batch norm's statistics, if any. */
  final?: FinalScoresRecord;
  /** Non-fatal problems (an unfinished last line), shown in the report. */
  warnings: string[];
}

/** A run directory that cannot be read: the message names the file and, for metrics, the line and field. */
export class ReportInputError extends Error {
  constructor(
    readonly file: string,
    problem: string,
  ) {
    super(`${file}: ${problem}`);
    this.name = 'ReportInputError';
  }
}

/** Reads and validates `config.json` and `metrics.jsonl` of a run directory. */
export function readRun(runDir: string): RunData {
  const dir = resolve(runDir);
  if (!existsSync(dir)) throw new ReportInputError(dir, 'no such run directory');
  const configPath = join(dir, 'config.json');
  const metricsPath = join(dir, 'metrics.jsonl');
  if (!existsSync(configPath)) throw new ReportInputError(configPath, 'missing (is this a run directory?)');
  if (!existsSync(metricsPath))
    throw new ReportInputError(metricsPath, 'missing (the run has not finished an epoch)');

  let config: unknown;
  try {
    config = JSON.parse(readFileSync(configPath, 'utf8'));
  } catch (err) {
    throw new ReportInputError(configPath, `not valid JSON (${(err as Error).message})`);
  }
  if (typeof config !== 'object' || config === null || Array.isArray(config))
    throw new ReportInputError(configPath, 'must hold a JSON object');

  const text = readFileSync(metricsPath, 'utf8');
  const lines = text.split('\n');
  const warnings: string[] = [];
  const byKey = new Map<string, MetricRow>();
  lines.forEach((line, k) => {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      if (k === lines.length - 1) {
        // No newline after it: a line being written when the run was stopped.
        warnings.push(`${metricsPath}: ignored an unfinished last line`);
        return;
      }
      throw new ReportInputError(metricsPath, `line ${k + 1} is not valid JSON: ${line.slice(0, 80)}`);
    }
    const parsed = MetricRowSchema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new ReportInputError(
        metricsPath,
        `line ${k + 1}: field "${issue.path.join('.') || '(row)'}": ${issue.message}`,
      );
    }
    byKey.set(`${parsed.data.epoch}/${parsed.data.split}`, parsed.data);
  });
  const rows = [...byKey.values()];
  if (rows.length === 0) throw new ReportInputError(metricsPath, 'no metric rows');
  const cfg = config as Record<string, unknown>;
  const final = readFinal(join(dir, 'summary.json'), warnings);
  const name = typeof cfg.name === 'string' ? cfg.name : basename(dir);
  return { dir, name, config: cfg, rows, warnings, ...(final && { final }) };
}

/** summary.json's `final`, if it has a valid one; a damaged one is a warning, not an error. */
function readFinal(file: string, warnings: string[]): FinalScoresRecord | undefined {
  if (!existsSync(file)) return undefined;
  let final: unknown;
  try {
    final = (JSON.parse(readFileSync(file, 'utf8')) as { final?: unknown } | null)?.final;
  } catch {
    return undefined; // summary.json is the runner's; a half-written one says nothing about metrics
  }
  if (final === undefined) return undefined;
  const parsed = FinalScoresSchema.safeParse(final);
  if (parsed.success) return parsed.data;
  warnings.push(`${file}: ignored "final" (${parsed.error.issues[0]!.message})`);
  return undefined;
}
