/**
 * Experiment configs: the preset's values overridden by the command line, validated by a zod schema
 * built from the option table (config/options.ts). What is validated here is what `config.json` holds
 * and what a resumed run rebuilds its model from.
 *
 * Errors name the option as it is typed on the command line (`--dropout: must be < 1 …, got 1.5`).
 */
import { z } from 'zod';
import {
  EXPERIMENTS,
  type ExperimentName,
  flagName,
  OPTION_KEYS,
  OPTIONS,
  type OptionKey,
  type OptionValues,
} from '../config/options.js';
import { ConfigError } from '../errors.js';
import { DEFINITIONS } from './definitions/index.js';
import { PRESETS, presetValues } from './presets.js';

/** The option keys an experiment accepts. */
type KeysFor<E extends ExperimentName> = {
  [K in OptionKey]: E extends (typeof OPTIONS)[K]['appliesTo'][number] ? K : never;
}[OptionKey];

/** The validated config of one experiment: its name, its preset and every option it accepts. */
export type ConfigFor<E extends ExperimentName> = { experiment: E; preset: string } & {
  [K in KeysFor<E>]: OptionValues[K];
};

export type CharLmConfig = ConfigFor<'charlm'>;
export type WordLmConfig = ConfigFor<'wordlm'>;
export type LmConfig = CharLmConfig | WordLmConfig;
export type MnistConfig = ConfigFor<'smnist'> | ConfigFor<'pmnist'>;
export type ExperimentConfig = LmConfig | MnistConfig;

/** The option keys `experiment` accepts, in table order. */
export function optionsOf(experiment: ExperimentName): OptionKey[] {
  return OPTION_KEYS.filter((k) => (OPTIONS[k].appliesTo as readonly string[]).includes(experiment));
}

/** The zod schema of one experiment's config (strict: an unknown key is an error). */
export function configSchema(experiment: ExperimentName): z.ZodObject {
  const shape: Record<string, z.ZodType> = { experiment: z.literal(experiment), preset: z.string() };
  for (const key of optionsOf(experiment)) shape[key] = OPTIONS[key].schema;
  return z.object(shape).strict();
}

export function isExperiment(name: string): name is ExperimentName {
  return (EXPERIMENTS as readonly string[]).includes(name);
}

/**
 * The config of `experiment` under `preset` with `overrides` (already parsed values, keyed by
 * option key) on top. Throws ConfigError naming the experiment, preset or option at fault.
 */
export function resolveConfig(
  experiment: string,
  preset: string,
  overrides: Partial<Record<OptionKey, unknown>>,
): ExperimentConfig {
  if (!isExperiment(experiment)) {
    throw new ConfigError(
      `unknown experiment '${experiment}' (known: ${[...DEFINITIONS.map((d) => d.name), ...EXPERIMENTS].join(', ')})`,
    );
  }
  const base = presetValues(experiment, preset);
  if (base === undefined) {
    throw new ConfigError(`unknown preset '${preset}' for ${experiment} (known: ${PRESETS.join(', ')})`);
  }
  const accepted = new Set<string>(optionsOf(experiment));
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) continue;
    if (!accepted.has(key)) {
      const flag = (OPTION_KEYS as string[]).includes(key) ? flagName(key as OptionKey) : key;
      throw new ConfigError(`option ${flag} does not apply to experiment '${experiment}'`);
    }
  }
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  return validateConfig({ experiment, preset, ...base, ...defined });
}

/** Validates a config object (from `resolveConfig` or a run's `config.json`). */
export function validateConfig(raw: unknown): ExperimentConfig {
  const experiment = (raw as { experiment?: unknown } | null)?.experiment;
  if (typeof experiment !== 'string' || !isExperiment(experiment)) {
    throw new ConfigError(
      `config: 'experiment' must be one of ${EXPERIMENTS.join(', ')}, got ${JSON.stringify(experiment)}`,
    );
  }
  const result = configSchema(experiment).safeParse(raw);
  if (!result.success) throw new ConfigError(formatIssues(result.error, raw as Record<string, unknown>));
  const config = result.data as ExperimentConfig;
  checkCombinations(config);
  return config;
}

/** Rules that involve more than one option. */
function checkCombinations(c: ExperimentConfig): void {
  if (c.weightDecay > 0 && !['adamw', 'sgdw', 'rmsprop'].includes(c.optimizer)) {
    throw new ConfigError(
      `--weight-decay ${c.weightDecay} needs --optimizer adamw, sgdw or rmsprop (decoupled decay); got --optimizer ${c.optimizer}`,
    );
  }
}

function formatIssues(error: z.ZodError, raw: Record<string, unknown>): string {
  return error.issues
    .map((issue) => {
      const key = String(issue.path[0] ?? '');
      if (issue.code === 'unrecognized_keys') {
        return `unknown option(s): ${issue.keys.map((k) => ((OPTION_KEYS as string[]).includes(k) ? flagName(k as OptionKey) : k)).join(', ')}`;
      }
      const name = (OPTION_KEYS as string[]).includes(key) ? flagName(key as OptionKey) : key;
      return `${name}: ${issue.message}, got ${JSON.stringify(raw[key])}`;
    })
    .join('; ');
}
