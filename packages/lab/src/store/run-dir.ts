/**
 * The layout of a run directory (`--out`, default `runs/<experiment>/<timestamp>-<seed>`):
 *
 *     config.json            the validated config (what `regulab resume` rebuilds the run from)
 *     metrics.jsonl          one row per epoch and split (store/metrics-log.ts)
 *     probes.jsonl           what the run's --probe measurements found, if any (store/probes-log.ts)
 *     checkpoints/last.ckpt  the last completed epoch's full training state (store/checkpoint-file.ts)
 *     checkpoints/previous.ckpt  the one before it, the fallback if last.ckpt is damaged (store/checkpoints.ts)
 *     summary.json           written when the run ends: status, best epoch, best validation metric
 *     report.html, plots/    the report (reports module)
 */
import { accessSync, constants, existsSync, readdirSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ConfigError } from '../errors.js';
import { removeStaleTemporaries, writeFileAtomic } from './atomic.js';
import { describeFsError } from './fs-errors.js';
import { makeDirectory } from './make-directory.js';

export interface RunPaths {
  dir: string;
  config: string;
  metrics: string;
  probes: string;
  checkpoint: string;
  previousCheckpoint: string;
  summary: string;
  report: string;
  plots: string;
}

export function runPaths(dir: string): RunPaths {
  const abs = resolve(dir);
  return {
    dir: abs,
    config: join(abs, 'config.json'),
    metrics: join(abs, 'metrics.jsonl'),
    probes: join(abs, 'probes.jsonl'),
    checkpoint: join(abs, 'checkpoints', 'last.ckpt'),
    previousCheckpoint: join(abs, 'checkpoints', 'previous.ckpt'),
    summary: join(abs, 'summary.json'),
    report: join(abs, 'report.html'),
    plots: join(abs, 'plots'),
  };
}

/** `runs/<experiment>/<UTC timestamp>-<seed>`, e.g. runs/charlm/20261122T051502Z-1. */
export function defaultRunDir(experiment: string, seed: number, now = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return join('runs', experiment, `${stamp}-${seed}`);
}

/**
 * Creates the directory tree of a new run. Refuses a directory that already holds a run, or other
 * files (a run must not mix its files with the user's), or one that cannot be written to.
 */
export function createRunDir(paths: RunPaths): void {
  if (existsSync(paths.config)) {
    throw new ConfigError(
      `${paths.dir} already holds a run (use 'regulab resume ${paths.dir}' or another --out)`,
    );
  }
  const what = `run directory ${paths.dir}`;
  makeDirectory(paths.dir, what);
  const others = readdirSync(paths.dir).filter((name) => name !== 'checkpoints');
  if (others.length > 0) {
    throw new ConfigError(
      `${what} is not empty (${others.slice(0, 3).join(', ')}${others.length > 3 ? ', …' : ''}): give a new or empty directory`,
    );
  }
  try {
    accessSync(paths.dir, constants.W_OK);
  } catch (e) {
    throw new ConfigError(`${what} cannot be written to: ${describeFsError(e)}`);
  }
  makeDirectory(dirname(paths.checkpoint), what);
}

/** Deletes a run that never trained: the files `createRunDir` and the trainer make, then the directory if empty. */
export function removeRunDir(paths: RunPaths): void {
  removeLeftovers(paths);
  for (const file of [paths.config, paths.metrics, join(paths.dir, 'lock')]) rmSync(file, { force: true });
  for (const dir of [dirname(paths.checkpoint), paths.dir]) {
    try {
      rmdirSync(dir); // only when empty: never the user's files
    } catch {
      // not empty or already gone
    }
  }
}

/** Deletes what killed writers left (temporary files of atomic writes); returns how many. */
export function removeLeftovers(paths: RunPaths): number {
  return [paths.dir, dirname(paths.checkpoint), paths.plots].flatMap(removeStaleTemporaries).length;
}

export function writeJson(file: string, value: unknown): void {
  writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n');
}

/** Reads a JSON file of a run; a missing or unreadable file is a ConfigError naming it. */
export function readJson(file: string): unknown {
  if (!existsSync(file)) throw new ConfigError(`${file} does not exist (is this a run directory?)`);
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ConfigError(`${file} is not valid JSON: ${(e as Error).message}`);
  }
}
