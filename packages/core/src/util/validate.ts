/**
 * Validation at the edge: errors name the layer, the option and the bad value.
 */
export class RegulabConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RegulabConfigError';
  }
}

/** A dropout-style rate must lie in [0, 1): a rate of 1 would drop everything and divide by 0. */
export function checkRate(owner: string, option: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value >= 1) {
    throw new RegulabConfigError(
      `${owner}: option '${option}' must be a number in [0, 1), got ${String(value)}`,
    );
  }
  return value;
}

/** A probability in [0, 1] (zoneout rates may be 1: the state is then never updated). */
export function checkProbability(owner: string, option: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 1) {
    throw new RegulabConfigError(
      `${owner}: option '${option}' must be a number in [0, 1], got ${String(value)}`,
    );
  }
  return value;
}

/** A non-negative finite number (penalty coefficients, decay). */
export function checkNonNegative(owner: string, option: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new RegulabConfigError(
      `${owner}: option '${option}' must be a finite number ≥ 0, got ${String(value)}`,
    );
  }
  return value;
}

/** A positive finite number (epsilons, norm bounds). */
export function checkPositive(owner: string, option: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new RegulabConfigError(
      `${owner}: option '${option}' must be a finite number > 0, got ${String(value)}`,
    );
  }
  return value;
}

/** A positive integer (units, dimensions). */
export function checkPositiveInt(owner: string, option: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new RegulabConfigError(
      `${owner}: option '${option}' must be a positive integer, got ${String(value)}`,
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
