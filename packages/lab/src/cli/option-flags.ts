/**
 * The option table (config/options.ts) on a commander command: its flags, and the values given
 * parsed into option overrides; and the count flags (`--workers`, `--seeds`, …).
 */
import { type Command, Option } from 'commander';
import {
  OPTION_KEYS,
  OPTIONS,
  type OptionKey,
  type OptionSpec,
  parseOptionValue,
} from '../config/options.js';
import { ConfigError } from '../errors.js';

/** Adds every option of the table (config/options.ts) to `command`. */
export function addOptionTable(command: Command): void {
  for (const key of OPTION_KEYS) {
    const spec: OptionSpec = OPTIONS[key];
    const option = new Option(spec.flag, `${spec.help} [${spec.appliesTo.join(', ')}]`);
    // A repeatable flag collects its values in command-line order.
    if (spec.parse === 'list') option.argParser(collect);
    command.addOption(option);
  }
}

/** A repeatable flag's parser: its values in command-line order. */
export function collect(v: string, prior: string[] | undefined): string[] {
  return [...(prior ?? []), v];
}

/** The table's options given on the command line, parsed (the schema checks them later). */
export function overridesOf(raw: Record<string, unknown>): Partial<Record<OptionKey, unknown>> {
  const overrides: Partial<Record<OptionKey, unknown>> = {};
  for (const key of OPTION_KEYS) {
    const value = raw[key];
    if (value !== undefined)
      overrides[key] = parseOptionValue(key, Array.isArray(value) ? value : String(value));
  }
  return overrides;
}

export function parseCount(flag: string, raw: unknown): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!/^\s*\d+\s*$/.test(String(raw)) || !Number.isInteger(n) || n < 1)
    throw new ConfigError(`${flag}: must be a positive integer, got ${JSON.stringify(raw)}`);
  return n;
}
