/**
 * Experiment configs: the preset's values overridden by the command line, validated by a zod schema
 * built from the option table (config/options.ts), and the model spec (`spec`) resolved from them
 * and the spec edits (./resolve-spec.ts). What is validated here is what `config.json` holds and
 * what a resumed run rebuilds its model from. A config.json written before specs existed has no
 * `spec`: it gets the spec of the model that version built from the same options.
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
  SPEC_EDIT_KEYS,
  type SpecEditKey,
} from '../config/options.js';
import { ConfigError } from '../errors.js';
import { DEFINITIONS } from './definitions/index.js';
import { type ModelSpec, modelSpecSchema, parseModelSpec } from '../model/model-spec.js';
import { PRESETS, presetValues } from './presets.js';
import { checkSpecFor, resolveSpec, type SpecEdits } from './resolve-spec.js';

/** The options a config keeps (the spec edits are folded into its `spec`). */
type ConfigKey = Exclude<OptionKey, SpecEditKey>;

/** The option keys an experiment's config keeps. */
type KeysFor<E extends ExperimentName> = {
  [K in ConfigKey]: E extends (typeof OPTIONS)[K]['appliesTo'][number] ? K : never;
}[ConfigKey];

/** The validated config of one experiment: its name, its preset, every option it keeps, its model. */
export type ConfigFor<E extends ExperimentName> = { experiment: E; preset: string; spec: ModelSpec } & {
  [K in KeysFor<E>]: OptionValues[K];
};

export type CharLmConfig = ConfigFor<'charlm'>;
export type WordLmConfig = ConfigFor<'wordlm'>;
export type LmConfig = CharLmConfig | WordLmConfig;
export type MnistConfig = ConfigFor<'smnist'> | ConfigFor<'pmnist'> | ConfigFor<'mnist'>;
export type ExperimentConfig = LmConfig | MnistConfig;

/** The option keys `experiment` accepts, in table order. */
export function optionsOf(experiment: ExperimentName): OptionKey[] {
  return OPTION_KEYS.filter((k) => (OPTIONS[k].appliesTo as readonly string[]).includes(experiment));
}

/**
 * The zod schema of one experiment's config (strict: an unknown key is an error). `spec` is
 * optional here (configs written before specs have none); its layers are checked by resolve-spec.
 */
export function configSchema(experiment: ExperimentName): z.ZodObject {
  const shape: Record<string, z.ZodType> = {
    experiment: z.literal(experiment),
    preset: z.string(),
    spec: modelSpecSchema.optional(),
  };
  for (const key of optionsOf(experiment)) {
    if (!isSpecEdit(key)) shape[key] = OPTIONS[key].schema;
  }
  return z.object(shape).strict();
}

function isSpecEdit(key: string): key is SpecEditKey {
  return (SPEC_EDIT_KEYS as string[]).includes(key);
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
  const defined = Object.entries(overrides).filter(([, v]) => v !== undefined);
  const edits: Record<string, unknown> = {};
  for (const [key, value] of defined.filter(([k]) => isSpecEdit(k))) {
    const result = OPTIONS[key as SpecEditKey].schema.safeParse(value);
    if (!result.success) {
      throw new ConfigError(
        `${flagName(key as OptionKey)}: ${result.error.issues[0]!.message}, got ${JSON.stringify(value)}`,
      );
    }
    edits[key] = result.data;
  }
  const options = validateOptions({
    experiment,
    preset,
    ...base,
    ...Object.fromEntries(defined.filter(([k]) => !isSpecEdit(k))),
  });
  const given = new Set(defined.map(([k]) => k as OptionKey));
  return {
    ...options,
    spec: resolveSpec(experiment, options, given, edits as SpecEdits),
  } as ExperimentConfig;
}

/**
 * Validates a config object: from `resolveConfig` (errors name the flags), or read from `file`, a
 * run's `config.json` (errors name the file and its keys). One without a `spec` gets the default
 * spec of its options (the model the lab built from them before specs).
 */
export function validateConfig(raw: unknown, file?: string): ExperimentConfig {
  const config = validateOptions(raw, file);
  const spec = (raw as { spec?: unknown }).spec;
  return {
    ...config,
    spec:
      spec === undefined
        ? resolveSpec(config.experiment, config, new Set(), {})
        : checkSpecFor(config.experiment, parseModelSpec(spec, `${file ?? 'config.json'} spec`)),
  } as ExperimentConfig;
}

/** The options of a config checked (its spec's outer shape too, if it has one). */
function validateOptions(raw: unknown, file?: string): Omit<ExperimentConfig, 'spec'> & { spec?: ModelSpec } {
  const where = file === undefined ? 'config' : file;
  const experiment = (raw as { experiment?: unknown } | null)?.experiment;
  if (typeof experiment !== 'string' || !isExperiment(experiment)) {
    throw new ConfigError(
      `${where}: 'experiment' must be one of ${EXPERIMENTS.join(', ')}, got ${JSON.stringify(experiment)}`,
    );
  }
  const result = configSchema(experiment).safeParse(raw);
  const name = (key: string) =>
    file !== undefined
      ? `"${key}"`
      : (OPTION_KEYS as string[]).includes(key)
        ? flagName(key as OptionKey)
        : key;
  if (!result.success) {
    const problems = formatIssues(result.error, raw as Record<string, unknown>, name);
    throw new ConfigError(file === undefined ? problems : `${file}: ${problems}`);
  }
  const config = result.data as ExperimentConfig;
  try {
    checkCombinations(config);
  } catch (e) {
    throw file !== undefined && e instanceof ConfigError ? new ConfigError(`${file}: ${e.message}`) : e;
  }
  return config;
}

/** The most weights the LSTM layers may have together: 2^28 float32 values, 1 GiB. */
const MAX_WEIGHTS = 2 ** 28;

/** Rules that involve more than one option. */
function checkCombinations(c: ExperimentConfig): void {
  if ('recurrentDropoutMode' in c && c.recurrentDropoutMode === 'semeniuta' && c.recurrentDropout === 0)
    throw new ConfigError(
      '--recurrent-dropout-mode semeniuta does nothing without a --recurrent-dropout rate > 0',
    );
  // An LSTM layer has 4·hidden·(input + hidden + 1) weights; the first layer's input is the
  // embedding (language models) or the pixels of one step (MNIST).
  const input = Math.max('embed' in c ? c.embed : 'pixelsPerStep' in c ? c.pixelsPerStep : 784, c.hidden);
  const weights = 4 * c.hidden * (input + c.hidden + 1) * c.layers;
  if (weights > MAX_WEIGHTS) {
    const embed = 'embed' in c ? ` --embed ${c.embed}` : '';
    throw new ConfigError(
      `--hidden ${c.hidden}${embed} --layers ${c.layers}: the LSTM would have ${weights.toExponential(1)} weights, more than ${MAX_WEIGHTS} (1 GiB); choose smaller sizes`,
    );
  }
  if (c.weightDecay > 0 && !['adamw', 'sgdw', 'rmsprop'].includes(c.optimizer)) {
    throw new ConfigError(
      `--weight-decay ${c.weightDecay} needs --optimizer adamw, sgdw or rmsprop (decoupled decay); got --optimizer ${c.optimizer}`,
    );
  }
}

function formatIssues(
  error: z.ZodError,
  raw: Record<string, unknown>,
  name: (key: string) => string,
): string {
  return error.issues
    .map((issue) => {
      const key = String(issue.path[0] ?? '');
      if (issue.code === 'unrecognized_keys') return `unknown option(s): ${issue.keys.map(name).join(', ')}`;
      const got = raw[key] === undefined ? 'it is missing' : `got ${JSON.stringify(raw[key])}`;
      return `${name(key)}: ${issue.message.replace(/, received undefined$/, '')}, ${got}`;
    })
    .join('; ');
}
