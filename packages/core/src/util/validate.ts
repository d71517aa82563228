/**
 * Validation at the edge: errors name the layer, the option and the bad value.
 */
export class RegulabConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RegulabConfigError';
  }
}

/**
 * A bad value as an error message shows it: numbers as they print (NaN, Infinity, 0.5), anything
 * else with its type, so that a string '0.5' does not read as the number 0.5 (`'0.5' (a string)`,
 * `[0.5] (an array)`, `true (a boolean)`).
 */
export function describeValue(value: unknown): string {
  if (typeof value === 'number' || value === undefined || value === null) return String(value);
  if (typeof value === 'string') return `'${value}' (a string)`;
  if (typeof value === 'bigint') return `${value}n (a bigint)`;
  if (typeof value === 'function') return 'a function';
  if (typeof value !== 'object') return `${String(value)} (a ${typeof value})`;
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch {
    json = undefined; // cyclic
  }
  const kind = Array.isArray(value)
    ? 'an array'
    : `an object${value.constructor?.name && value.constructor.name !== 'Object' ? ` (${value.constructor.name})` : ''}`;
  return json === undefined || json.length > 80 ? kind : `${json} (${kind})`;
}

/** The key tfjs's deserializer adds to every config it hands to a constructor (`modelFromJSON`). */
const DESERIALIZER_KEY = 'customObjects';

/**
 * The options object of a layer or optimizer, checked: an object, whose every key is one of
 * `known` (a typo such as `seeed` must not silently leave an option at its default; tfjs ignores
 * unknown keys). The error names the bad key and lists the known ones.
 */
export function checkOptions<T extends object>(owner: string, options: T, known: Iterable<string>): T {
  const names = [...known].sort();
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new RegulabConfigError(
      `${owner}: expects an options object, got ${describeValue(options)}; its options: ${names.join(', ')}`,
    );
  }
  const unknown = Object.keys(options).filter((key) => !names.includes(key) && key !== DESERIALIZER_KEY);
  if (unknown.length > 0) {
    throw new RegulabConfigError(
      `${owner}: unknown option${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `'${k}'`).join(', ')}; known options: ${names.join(', ')}`,
    );
  }
  return options;
}

/**
 * Every option name of an args type T, declared once as `{ name: true, … }` and checked by the
 * compiler against T (a name T lacks, or one of T's options left out, does not compile): the list
 * `checkOptions` needs at run time, where T's names are gone.
 */
export function optionNames<T>(names: { [K in keyof Required<T>]: true }): readonly string[] {
  return Object.keys(names);
}

/** A dropout-style rate must lie in [0, 1): a rate of 1 would drop everything and divide by 0. */
export function checkRate(owner: string, option: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value >= 1) {
    throw new RegulabConfigError(
      `${owner}: option '${option}' must be a number in [0, 1), got ${describeValue(value)}`,
    );
  }
  return value;
}

/** A probability in [0, 1] (zoneout rates may be 1: the state is then never updated). */
export function checkProbability(owner: string, option: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 1) {
    throw new RegulabConfigError(
      `${owner}: option '${option}' must be a number in [0, 1], got ${describeValue(value)}`,
    );
  }
  return value;
}

/** A non-negative finite number (penalty coefficients, decay). */
export function checkNonNegative(owner: string, option: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new RegulabConfigError(
      `${owner}: option '${option}' must be a finite number ≥ 0, got ${describeValue(value)}`,
    );
  }
  return value;
}

/** A positive finite number (epsilons, norm bounds). */
export function checkPositive(owner: string, option: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new RegulabConfigError(
      `${owner}: option '${option}' must be a finite number > 0, got ${describeValue(value)}`,
    );
  }
  return value;
}

/** A positive integer (units, dimensions). */
export function checkPositiveInt(owner: string, option: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new RegulabConfigError(
      `${owner}: option '${option}' must be a positive integer, got ${describeValue(value)}`,
    );
  }
  return value;
}

/** One of a fixed set of strings. */
export function checkOneOf<T extends string>(
  owner: string,
  option: string,
  value: unknown,
  allowed: readonly T[],
): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new RegulabConfigError(
      `${owner}: option '${option}' must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${JSON.stringify(value)}`,
    );
  }
  return value as T;
}
