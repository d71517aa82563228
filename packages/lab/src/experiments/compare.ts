/**
 * `regulab run compare`, the main job: the same small character-level LSTM on the embedded Brown
 * corpus trained five times — unregularized, with Gal variational dropout, with Semeniuta recurrent
 * dropout, with zoneout (z_c 0.5, z_h 0.05, the paper's char-level rates) and with weight-drop — on
 * a training slice small enough for the unregularized model to overfit, each run stopping on its
 * validation loss, then one report comparing them.
 *
 * Layout: `<dir>/config.json` (experiment 'compare': the base config and the variants) and one
 * ordinary charlm run directory per variant (`<dir>/<variant>/`), so each variant resumes, and
 * can be reported on, by itself; `<dir>/report.html` compares them.
 *
 * Sizes depend on the kernel backend in use (`rl.kernels.backend()`): with the fused native/wasm
 * kernels the `default` preset trains a 128-unit LSTM; on the tfjs reference path, which is many
 * times slower, it shrinks the model and the data so the job stays tolerable (and says so).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as rl from 'regulab';
import type { OptionKey, OptionValues } from '../config/options.js';
import { ConfigError, InterruptedError } from '../errors.js';
import { createRunDir, readJson, runPaths, writeJson } from '../store/run-dir.js';
import { type CharLmConfig, resolveConfig } from './config.js';
import { writeRunReport } from './reporting.js';
import type { RunOptions, RunSummary } from './runner.js';
import { defaultWorkers, runAll } from './variant-workers.js';

export interface Variant {
  name: string;
  label: string;
  overrides: Partial<OptionValues>;
}

export const VARIANTS: readonly Variant[] = [
  { name: 'unregularized', label: 'no regularization', overrides: {} },
  {
    name: 'gal',
    label: 'Gal variational dropout (input and recurrent 0.25)',
    overrides: { dropout: 0.25, recurrentDropout: 0.25, recurrentDropoutMode: 'gal' },
  },
  {
    name: 'semeniuta',
    label: 'Semeniuta recurrent dropout 0.25',
    overrides: { recurrentDropout: 0.25, recurrentDropoutMode: 'semeniuta' },
  },
  {
    name: 'zoneout',
    label: 'zoneout (cell 0.5, hidden 0.05)',
    overrides: { zoneoutCell: 0.5, zoneoutHidden: 0.05 },
  },
  { name: 'weight-drop', label: 'weight-drop 0.3', overrides: { weightDrop: 0.3 } },
];

/** The regularizer options: the variants set them, so the command line may not. */
const REGULARIZERS: readonly OptionKey[] = [
  'dropout',
  'recurrentDropout',
  'recurrentDropoutMode',
  'zoneoutCell',
  'zoneoutHidden',
  'weightDrop',
];

export interface CompareConfig {
  experiment: 'compare';
  preset: string;
  kernelBackend: string;
  variants: { name: string; label: string; config: CharLmConfig }[];
}

/**
 * The base charlm options of a compare preset, by kernel backend. Chosen so the unregularized
 * model overfits its training slice (its validation loss turns up after about 14 epochs) and
 * every run stops on validation within about 10 minutes on 2 cores with the fused kernels:
 * 100k training characters, batches of 16 windows of 50 steps, Adam 0.005 with the global
 * gradient norm clipped to 1, patience 5 (so the overfitting shows in the curves), at most 50
 * epochs.
 */
export function compareBase(preset: string, backend: string): Partial<OptionValues> {
  if (preset === 'quick') return { trainChars: 1500, epochs: 2 };
  if (preset !== 'default')
    throw new ConfigError(`unknown preset '${preset}' for compare (known: default, quick)`);
  const shared = {
    data: 'brown',
    layers: 1,
    seqLen: 50,
    batch: 8,
    lr: 0.005,
    clip: 1,
    patience: 5,
    epochs: 50,
  };
  return backend !== 'reference'
    ? { ...shared, hidden: 128, embed: 32, batch: 16, trainChars: 100_000, evalTokens: 10_000, evalBatch: 50 }
    : { ...shared, hidden: 64, embed: 16, trainChars: 15_000, evalTokens: 5_000, evalBatch: 50 };
}

/** The config of a compare job: the preset's base, the command line on top, one config per variant. */
export function resolveCompare(
  preset: string,
  overrides: Partial<Record<OptionKey, unknown>>,
): CompareConfig {
  for (const key of REGULARIZERS) {
    if (overrides[key] !== undefined) {
      throw new ConfigError(`compare sets the regularizers itself; run charlm to choose --${kebab(key)}`);
    }
  }
  const backend = rl.kernels.backend();
  const base = { ...compareBase(preset, backend), ...definedOnly(overrides) };
  const charPreset = preset === 'quick' ? 'quick' : 'default';
  const variants = VARIANTS.map((v) => ({
    name: v.name,
    label: v.label,
    config: resolveConfig('charlm', charPreset, { ...base, ...v.overrides }) as CharLmConfig,
  }));
  return { experiment: 'compare', preset, kernelBackend: backend, variants };
}

export interface CompareSummary {
  runDir: string;
  experiment: 'compare';
  report: string;
  runs: (Pick<RunSummary, 'bestEpoch' | 'bestValid' | 'test' | 'epochs' | 'stoppedEarly' | 'metric'> & {
    name: string;
  })[];
}

/** Starts a compare job in `dir`. */
export async function startCompare(
  config: CompareConfig,
  dir: string,
  opts: RunOptions & { workers?: number },
): Promise<CompareSummary> {
  const paths = runPaths(dir);
  createRunDir(paths);
  writeJson(paths.config, config);
  return continueCompare(dir, opts);
}

/** Runs (or resumes) every variant of the compare job in `dir`, then writes the comparison report. */
export async function continueCompare(
  dir: string,
  opts: RunOptions & { workers?: number },
): Promise<CompareSummary> {
  const paths = runPaths(dir);
  const config = readJson(paths.config) as CompareConfig;
  const dirs = config.variants.map((v) => {
    const sub = runPaths(join(paths.dir, v.name));
    if (!existsSync(sub.config)) {
      createRunDir(sub);
      writeJson(sub.config, v.config);
    }
    return sub;
  });
  const pending = dirs.filter(
    (d) => !existsSync(d.summary) || (readJson(d.summary) as RunSummary).status !== 'finished',
  );
  const workers = opts.workers ?? defaultWorkers(pending.length);
  opts.log?.(
    `${config.variants.length} runs (${pending.length} to train, ${Math.min(workers, pending.length)} at a time): ` +
      config.variants.map((v) => v.name).join(', '),
  );
  await runAll(
    pending.map((d) => d.dir),
    workers,
    opts,
  ).catch((e: unknown) => {
    throw e instanceof InterruptedError ? new InterruptedError(paths.dir) : e; // resume the whole job
  });
  await writeRunReport(
    dirs.map((d) => d.dir),
    paths.report,
    { title: 'Regularizers compared: character-level LSTM on the Brown corpus', baseline: 'unregularized' },
  );
  const runs = config.variants.map((v, i) => ({
    name: v.name,
    ...pick(readJson(dirs[i]!.summary) as RunSummary),
  }));
  const summary: CompareSummary = { runDir: paths.dir, experiment: 'compare', report: paths.report, runs };
  writeJson(paths.summary, summary);
  return summary;
}

export function isCompareDir(dir: string): boolean {
  const file = runPaths(dir).config;
  return existsSync(file) && (readJson(file) as { experiment?: string }).experiment === 'compare';
}

function pick(s: RunSummary) {
  const { bestEpoch, bestValid, test, epochs, stoppedEarly, metric } = s;
  return { bestEpoch, bestValid, test, epochs, stoppedEarly, metric };
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function kebab(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
