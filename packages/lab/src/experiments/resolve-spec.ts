/**
 * The model spec of a run, from its options and the command line's spec edits, in this order:
 *
 * 1. the base: `--model <name>` (a built-in spec of the experiment, ./model-specs.ts), `--model
 *    <file.json>` (a spec file), or the experiment's default built-in spec;
 * 2. the shorthand flags (option table rows with `shorthand`): on a built-in spec every value
 *    (the preset's or the command line's), on a file only those given on the command line;
 * 3. `--cell`, then each `--penalty`, each `--constraint`, each `--set` (so `--set` has the last word);
 * 4. the check: every class, option and value (../model/check-spec.ts), before any data is loaded.
 */
import { existsSync, readFileSync } from 'node:fs';
import {
  type ExperimentName,
  OPTION_KEYS,
  OPTIONS,
  type OptionKey,
  type OptionSpec,
  type OptionValues,
  flagName,
} from '../config/options.js';
import { ConfigError } from '../errors.js';
import { checkModelSpec } from '../model/check-spec.js';
import { type ModelSpec, namedSpec, parseModelSpec } from '../model/model-spec.js';
import { isRecurrentLayer, optionsOfLayer } from '../model/layer-options.js';
import { applyConstraint, applyPenalty, applySet, type Cell, changeCell } from '../model/spec-edits.js';
import { fillTaskValues } from '../model/task-values.js';
import { BUILT_IN_SPECS, taskValueStandIns } from './model-specs.js';

export interface SpecEdits {
  model?: string;
  cell?: Cell;
  set?: string[];
  penalty?: string[];
  constraint?: string[];
}

/**
 * The spec for `experiment` with option `values` (complete: preset and command line), the options
 * given on the command line (`given`) and the spec edits.
 */
export function resolveSpec(
  experiment: ExperimentName,
  values: Partial<OptionValues>,
  given: ReadonlySet<OptionKey>,
  edits: SpecEdits,
): ModelSpec {
  const builtIns = BUILT_IN_SPECS[experiment];
  const name = edits.model ?? Object.keys(builtIns)[0]!;
  const builtIn = Object.hasOwn(builtIns, name) ? builtIns[name] : undefined;
  let spec: ModelSpec;
  if (builtIn) {
    spec = applyShorthands(builtIn(values), values, () => true, false);
  } else {
    if (given.has('layers')) {
      throw new ConfigError(
        `--layers shapes a built-in model only; with --model ${name}, edit the file's layer list`,
      );
    }
    spec = applyShorthands(readSpecFile(name, Object.keys(builtIns)), values, (k) => given.has(k), true);
  }
  if (edits.cell) spec = changeCell(spec, edits.cell);
  for (const p of edits.penalty ?? []) spec = applyPenalty(spec, p);
  for (const c of edits.constraint ?? []) spec = applyConstraint(spec, c);
  for (const s of edits.set ?? []) spec = applySet(spec, s);
  return checkSpecFor(experiment, spec);
}

/** Checks a spec for `experiment` (placeholders standing in) and returns it with every layer named. */
export function checkSpecFor(experiment: ExperimentName, spec: ModelSpec): ModelSpec {
  const named = namedSpec(spec);
  checkModelSpec(fillTaskValues(named, taskValueStandIns(experiment)));
  return named;
}

/**
 * The shorthand flags' values set on the layers they apply to (`use` picks the flags). `strict`:
 * a flag that finds no layer to set is an error (a spec file given with `--dropout 0.3` but no
 * recurrent layer); a built-in spec may use such a value itself (mnist's MLP takes `--dropout`).
 */
function applyShorthands(
  spec: ModelSpec,
  values: Partial<OptionValues>,
  use: (key: OptionKey) => boolean,
  strict: boolean,
): ModelSpec {
  const out = namedSpec(structuredClone(spec));
  for (const key of OPTION_KEYS) {
    const { shorthand } = OPTIONS[key] as OptionSpec;
    if (!shorthand || !use(key) || values[key] === undefined) continue;
    let count = 0;
    out.layers.forEach((layer, i) => {
      const kind =
        shorthand.layers === 'recurrent' ? isRecurrentLayer(out, i) : /Embedding$/.test(layer.className);
      if (!kind) return;
      const option = shorthand.options.find((o) => optionsOfLayer(out, i).has(o));
      if (option === undefined) return;
      layer.config[option] = values[key];
      count++;
    });
    if (count === 0 && strict) {
      throw new ConfigError(
        `${flagName(key)} ${String(values[key])}: the model has no ${shorthand.layers} layer with option ${shorthand.options.map((o) => `'${o}'`).join(' or ')}`,
      );
    }
  }
  return out;
}

/** A spec file: `{ layers: [{ className, config }, ...] }` (configs as `layer.getConfig()` gives them). */
function readSpecFile(path: string, builtIns: string[]): ModelSpec {
  const where = `--model ${path}`;
  if (!existsSync(path)) {
    throw new ConfigError(
      `${where}: no such file (give a JSON spec file or a built-in model: ${builtIns.join(', ')})`,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new ConfigError(`${where}: not valid JSON (${(e as Error).message})`);
  }
  return parseModelSpec(raw, where);
}
