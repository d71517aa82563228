/**
 * Variable-name patterns for `exclude` (which variables weight decay skips: biases, norm gains…).
 *
 * A string matches a variable whose name contains it (Keras `exclude_from_weight_decay(var_names)`
 * does the same with `re.search`); a RegExp matches when `test(name)` is true. tfjs names variables
 * `<layer name>/<weight name>`, e.g. `dense_Dense1/bias`, `lstm_LSTM1/recurrent_kernel`, so `'bias'`
 * or `/\/bias$/` excludes every bias.
 */
import { RegulabConfigError } from '../util/validate.js';

export type NamePattern = string | RegExp;

/** Serialized form: always a RegExp source. See `serializePatterns` for why. */
export interface SerializedPattern {
  regexp: string;
  flags: string;
}

/** Validates and normalizes `exclude` into RegExps without the stateful `g`/`y` flags. */
export function compilePatterns(owner: string, patterns: unknown): RegExp[] {
  if (patterns == null) return [];
  if (!Array.isArray(patterns)) {
    throw new RegulabConfigError(
      `${owner}: option 'exclude' must be an array of strings or RegExps, got ${String(patterns)}`,
    );
  }
  return patterns.map((p: unknown) => {
    if (typeof p === 'string' && p.length > 0) return new RegExp(escapeRegExp(p));
    if (p instanceof RegExp) return new RegExp(p.source, p.flags.replace(/[gy]/g, ''));
    if (isSerializedPattern(p)) return new RegExp(p.regexp, p.flags);
    throw new RegulabConfigError(
      `${owner}: option 'exclude' must hold non-empty strings or RegExps, got ${JSON.stringify(p)}`,
    );
  });
}

/** True when any pattern matches the variable name. */
export function matchesAny(name: string, patterns: readonly RegExp[]): boolean {
  return patterns.some((p) => p.test(name));
}

/**
 * Serializes patterns as RegExp sources in which `_` is written `\x5f`. Why: tfjs converts every
 * string of a saved training config with `toCamelCase` when it loads a model
 * (`recurrent_kernel` → `recurrentKernel`), which would silently change plain-string patterns.
 * `\x5f` matches the same character and survives that conversion.
 */
export function serializePatterns(patterns: readonly RegExp[]): SerializedPattern[] {
  return patterns.map((p) => ({ regexp: p.source.replace(/_/g, '\\x5f'), flags: p.flags }));
}

function isSerializedPattern(p: unknown): p is SerializedPattern {
  return (
    typeof p === 'object' &&
    p != null &&
    typeof (p as SerializedPattern).regexp === 'string' &&
    typeof (p as SerializedPattern).flags === 'string'
  );
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
