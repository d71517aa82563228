/**
 * The MC evaluations a report already computed, kept in its numbers file
 * (`<reportDir>/<experiment>.json`, ./mc-dropout-section.ts) and reused when the report is
 * written again: `regulab resume` of a finished job only rewrites the report, and evaluating every
 * run's best weights again (hundreds of forward passes each) would take as long as it did the
 * first time. A kept evaluation is reused only when it was made with the same options from the
 * same run: the digest of its config.json and last checkpoint (the weights it scored) matches.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { runPaths } from '../../store/run-dir.js';
import type { McEvaluation, McEvaluationOptions } from './mc-scores.js';

/** What identifies the weights a run's evaluation scored: sha256 of its config.json and last checkpoint. */
export function runDigest(runDir: string): string {
  const paths = runPaths(runDir);
  const hash = createHash('sha256');
  for (const file of [paths.config, paths.checkpoint])
    hash.update(existsSync(file) ? readFileSync(file) : Buffer.alloc(0));
  return hash.digest('hex');
}

/** A kept evaluation of a numbers file: `digest` says of which run (runDigest). */
export interface KeptRun {
  digest?: string;
  evaluation: McEvaluation;
}

/**
 * The evaluations kept in the numbers file `file`, by run digest: none when the file is missing,
 * unreadable, or was written with other options.
 */
export function keptEvaluations(file: string, options: McEvaluationOptions): Map<string, McEvaluation> {
  const kept = new Map<string, McEvaluation>();
  if (!existsSync(file)) return kept;
  try {
    const numbers = JSON.parse(readFileSync(file, 'utf8')) as {
      options?: unknown;
      variants?: { runs?: KeptRun[] }[];
    };
    if (JSON.stringify(numbers.options) !== JSON.stringify(options)) return kept;
    for (const v of numbers.variants ?? [])
      for (const r of v.runs ?? []) if (r.digest && r.evaluation) kept.set(r.digest, r.evaluation);
  } catch {
    // A damaged numbers file is written anew from fresh evaluations.
  }
  return kept;
}
