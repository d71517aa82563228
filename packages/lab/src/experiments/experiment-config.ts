/**
 * The `config.json` of an experiment directory (a job of several runs): the definition's name,
 * the preset, the kernel backend it was resolved for, the seeds, and one validated task config
 * per variant. It is written once when the job starts; `regulab resume` reads the variants from
 * it (not from the definition, which may have changed since), so a job always finishes as it began.
 *
 * Layout of the directory, by the number of seeds:
 *
 *     one seed (no `seeds` field):   <dir>/config.json, <dir>/<variant>/           (as before --seeds)
 *     N ≥ 2 seeds (`seeds: [s…]`):  <dir>/config.json, <dir>/<variant>/seed-<s>/
 *
 * Each `<variant>[/seed-<s>]` is an ordinary run directory whose config is the variant's with
 * `seed` set to s. The seeds are base + k for k = 0 … N − 1, the base being `--seed` (or the
 * preset's): every variant runs with the same seeds, so the report can pair them.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as rl from 'regulab';
import { z } from 'zod';
import { flagName, type OptionKey } from '../config/options.js';
import { ConfigError } from '../errors.js';
import { readJson, runPaths } from '../store/run-dir.js';
import { type ExperimentConfig, resolveConfig, validateConfig } from './config.js';
import type { ExperimentDefinition } from './definition.js';
import { DEFINITIONS, findDefinition } from './definitions/index.js';

/** What an experiment directory's `config.json` holds. */
export interface ExperimentJobConfig {
  /** The definition's name. */
  experiment: string;
  preset: string;
  kernelBackend: string;
  /** The seeds of every variant when there are two or more; absent for one seed (the variants' own). */
  seeds?: number[];
  variants: { name: string; label: string; config: ExperimentConfig }[];
}

const MAX_SEED = 2 ** 31 - 1;

/**
 * The job config of `definition` under `preset`, with the command line's task options
 * (`overrides`) and `seeds` seeds per variant (default: the definition's, else 1).
 */
export function resolveExperiment(
  definition: ExperimentDefinition,
  preset: string,
  overrides: Partial<Record<OptionKey, unknown>>,
  seeds?: number,
): ExperimentJobConfig {
  const presetDef = Object.hasOwn(definition.presets, preset) ? definition.presets[preset] : undefined;
  if (presetDef === undefined) {
    throw new ConfigError(
      `unknown preset '${preset}' for ${definition.name} (known: ${Object.keys(definition.presets).join(', ')})`,
    );
  }
  // A variant's own options under this preset.
  const own = (v: ExperimentDefinition['variants'][number]) => ({
    ...v.options,
    ...(v.presetOptions && Object.hasOwn(v.presetOptions, preset) ? v.presetOptions[preset] : {}),
  });
  const set = Object.keys(overrides).filter((k) => overrides[k as OptionKey] !== undefined) as OptionKey[];
  for (const key of set) {
    const setters = definition.variants.filter((v) => Object.hasOwn(own(v), key));
    if (setters.length > 0) {
      throw new ConfigError(
        `${definition.name} sets ${flagName(key)} itself (in its variants ${setters.map((v) => v.name).join(', ')}); ` +
          `run ${definition.task} to choose ${flagName(key)}`,
      );
    }
  }
  const count = seeds ?? definition.seeds ?? 1;
  if (!Number.isInteger(count) || count < 1)
    throw new ConfigError(`--seeds: must be a positive integer, got ${count}`);
  const kernelBackend = rl.kernels.backend();
  const presetOptions =
    typeof presetDef.options === 'function' ? presetDef.options({ kernelBackend }) : presetDef.options;
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  const base = { ...presetOptions, ...defined };
  const variants = definition.variants.map((v) => {
    // A variant's spec edits follow the command line's --set edits (the variant has the last word).
    const set = [...((base.set as string[] | undefined) ?? []), ...(v.spec?.set ?? [])];
    return {
      name: v.name,
      label: v.label,
      config: resolveConfig(definition.task, presetDef.taskPreset, {
        ...base,
        ...own(v),
        ...(set.length > 0 ? { set } : {}),
      }),
    };
  });
  const first = variants[0]!.config.seed;
  if (first + count - 1 > MAX_SEED)
    throw new ConfigError(`--seeds ${count} from --seed ${first} passes the largest seed, ${MAX_SEED}`);
  const job: ExperimentJobConfig = { experiment: definition.name, preset, kernelBackend, variants };
  if (count > 1) job.seeds = Array.from({ length: count }, (_, k) => first + k);
  return job;
}

/** The seeds every variant of `job` runs with. */
export function jobSeeds(job: ExperimentJobConfig): number[] {
  return job.seeds ?? [job.variants[0]!.config.seed];
}

/** One run of a job: a variant with one seed, its directory and its task config. */
export interface JobRun {
  variant: string;
  seed: number;
  dir: string;
  config: ExperimentConfig;
}

/** The directory of one run of a job (see the layout above): one seed keeps `<dir>/<variant>/`. */
function runDir(dir: string, variant: string, seed: number, multi: boolean): string {
  return multi ? join(dir, variant, `seed-${seed}`) : join(dir, variant);
}

/** Every run of the job in `dir`, variant by variant, seed by seed (see the layout above). */
export function jobRuns(job: ExperimentJobConfig, dir: string): JobRun[] {
  const multi = job.seeds !== undefined;
  return job.variants.flatMap((v) =>
    jobSeeds(job).map((seed) => ({
      variant: v.name,
      seed,
      dir: runDir(dir, v.name, seed, multi),
      config: multi ? { ...v.config, seed } : v.config,
    })),
  );
}

/**
 * The run directories of the job in `dir` from its config.json's variant names and seeds alone,
 * without checking the variants' configs: what `report` needs to find the runs of any job, also
 * one this version could not resume.
 */
export function jobRunDirs(dir: string): string[] {
  const raw = readJson(runPaths(dir).config) as { variants?: { name?: unknown }[]; seeds?: unknown };
  const seeds = Array.isArray(raw.seeds) ? (raw.seeds as number[]) : [0];
  return (raw.variants ?? [])
    .filter((v): v is { name: string } => typeof v?.name === 'string')
    .flatMap((v) => seeds.map((seed) => runDir(dir, v.name, seed, Array.isArray(raw.seeds))));
}

const JobSchema = z.object({
  experiment: z.string(),
  preset: z.string(),
  kernelBackend: z.string(),
  seeds: z.array(z.number().int().min(0).max(MAX_SEED)).min(2).optional(),
  variants: z
    .array(
      z.object({
        name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'must be lowercase letters, digits and dashes'),
        label: z.string(),
        config: z.unknown(),
      }),
    )
    .min(1),
});

/** True when `dir`'s config.json is an experiment job's (it lists variants) rather than one run's. */
export function isExperimentDir(dir: string): boolean {
  if (!existsSync(runPaths(dir).config)) return false;
  const raw = readJson(runPaths(dir).config) as { experiment?: unknown; variants?: unknown } | null;
  return (
    raw !== null &&
    typeof raw === 'object' &&
    (Array.isArray(raw.variants) ||
      (typeof raw.experiment === 'string' && findDefinition(raw.experiment) !== undefined))
  );
}

/**
 * Reads and validates the job config of the experiment directory `dir`, and finds its
 * definition. A directory this version cannot resume fails with a ConfigError that says why and
 * what to do.
 */
export function readExperimentJob(dir: string): {
  job: ExperimentJobConfig;
  definition: ExperimentDefinition;
} {
  const file = runPaths(dir).config;
  const raw = readJson(file);
  const startAnew = `start the experiment anew in another directory ('regulab run <experiment> --out <new dir>')`;
  const parsed = JobSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(
      `${file}: not an experiment config this version of regulab can resume (${issue.path.join('.') || 'config'}: ${issue.message}); ${startAnew}`,
    );
  }
  const definition = findDefinition(parsed.data.experiment);
  if (definition === undefined) {
    throw new ConfigError(
      `${file}: experiment '${parsed.data.experiment}' is not one this version of regulab knows ` +
        `(known: ${DEFINITIONS.map((d) => d.name).join(', ')}); resume it with the version that started it, or ${startAnew}`,
    );
  }
  const variants = parsed.data.variants.map((v) => {
    try {
      return { name: v.name, label: v.label, config: validateConfig(v.config) };
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      throw new ConfigError(
        `${file}: variant '${v.name}': ${e.message} (written by another version of regulab?); ${startAnew}`,
      );
    }
  });
  return { job: { ...parsed.data, variants }, definition };
}
