/**
 * The axes of a sweep, as typed on the command line:
 *
 *     --grid dropout=0,0.25,0.5            an option of `regulab run` (its flag name), given values
 *     --grid lstm*.normalization=none,layer  a model-spec path in the syntax of `--set`
 *     --range lr=1e-4:1e-2:log             random search: uniform on [lo, hi], or log-uniform
 *
 * A value stays the text it was typed as (or, for a range, the text of the sampled number) until
 * the cell's config is resolved: it then goes through the same parsing and schema as the flag of
 * `regulab run` (sweep-config.ts), so a bad value fails exactly as it would there.
 */
import { OPTION_KEYS, OPTIONS, type OptionKey, type OptionSpec } from '../config/options.js';
import { ConfigError } from '../errors.js';

/** What an axis sets: an option of the table, or a model-spec path (`--set path=value`). */
export type AxisTarget = { option: OptionKey } | { spec: string };

/** A grid axis: a name as typed and the values it takes. */
export interface GridAxis {
  name: string;
  target: AxisTarget;
  values: string[];
}

/** A random-search range: [lo, hi], uniform or log-uniform (`:log`). */
export interface RangeAxis {
  name: string;
  target: AxisTarget;
  lo: number;
  hi: number;
  log: boolean;
}

/** Options a sweep may not vary: seeds come from --seeds, the spec edits lists from --set. */
const NOT_AN_AXIS: readonly OptionKey[] = ['seed'];

/** `weight-decay` (flag name) or `weightDecay` (key) → the option key, or undefined. */
function optionNamed(name: string): OptionKey | undefined {
  return OPTION_KEYS.find((k) => k === name || OPTIONS[k].flag.split(' ')[0] === `--${name}`);
}

/** What `name` (the text before `=`) sets; throws a ConfigError naming it otherwise. */
export function axisTarget(flag: string, name: string): AxisTarget {
  const option = optionNamed(name);
  if (option !== undefined) {
    if (NOT_AN_AXIS.includes(option))
      throw new ConfigError(`${flag} ${name}: the seeds of a sweep come from --seed and --seeds`);
    return { option };
  }
  if (name.includes('.')) return { spec: name };
  throw new ConfigError(
    `${flag} ${name}: not an option of 'regulab run' (a flag name such as dropout or weight-decay) ` +
      `nor a model-spec path (with a dot, as in --set: lstm*.normalization)`,
  );
}

/** Splits `name=rest` at the first `=`. */
function splitAssignment(flag: string, text: string): [string, string] {
  const at = text.indexOf('=');
  if (at <= 0 || at === text.length - 1)
    throw new ConfigError(`${flag}: expected name=values, got ${JSON.stringify(text)}`);
  return [text.slice(0, at).trim(), text.slice(at + 1)];
}

/** `--grid name=v1,v2,…` → a grid axis (values in order, duplicates refused). */
export function parseGridAxis(text: string): GridAxis {
  const [name, rest] = splitAssignment('--grid', text);
  const target = axisTarget('--grid', name);
  const values = rest.split(',').map((v) => v.trim());
  if (values.some((v) => v === ''))
    throw new ConfigError(`--grid ${name}: an empty value in ${JSON.stringify(rest)}`);
  const repeated = values.find((v, i) => values.indexOf(v) !== i);
  if (repeated !== undefined) throw new ConfigError(`--grid ${name}: the value ${repeated} is given twice`);
  return { name, target, values };
}

/** `--range name=lo:hi[:log]` → a range axis (numeric options only). */
export function parseRangeAxis(text: string): RangeAxis {
  const [name, rest] = splitAssignment('--range', text);
  const target = axisTarget('--range', name);
  if ('spec' in target || !['int', 'float'].includes((OPTIONS[target.option] as OptionSpec).parse))
    throw new ConfigError(`--range ${name}: only numeric options take a range (use --grid for the others)`);
  const parts = rest.split(':');
  const [lo, hi] = parts.slice(0, 2).map(Number) as [number, number];
  const scale = parts[2] ?? 'linear';
  if (parts.length < 2 || parts.length > 3 || !Number.isFinite(lo) || !Number.isFinite(hi) || !(lo < hi))
    throw new ConfigError(
      `--range ${name}: expected lo:hi or lo:hi:log with lo < hi, got ${JSON.stringify(rest)}`,
    );
  if (scale !== 'log' && scale !== 'linear')
    throw new ConfigError(`--range ${name}: the scale is 'log' or 'linear', got ${JSON.stringify(scale)}`);
  if (scale === 'log' && lo <= 0)
    throw new ConfigError(`--range ${name}: a log range needs lo > 0, got ${lo}`);
  return { name, target, lo, hi, log: scale === 'log' };
}

/**
 * A value drawn from `axis` with `u` uniform in [0, 1), as the text of a number: three
 * significant digits (an integer for an integer option), so cell names and configs agree.
 */
export function sampleRange(axis: RangeAxis, u: number): string {
  const x = axis.log
    ? Math.exp(Math.log(axis.lo) + u * (Math.log(axis.hi) - Math.log(axis.lo)))
    : axis.lo + u * (axis.hi - axis.lo);
  const integer = 'option' in axis.target && OPTIONS[axis.target.option].parse === 'int';
  return String(integer ? Math.round(x) : Number(x.toPrecision(3)));
}
