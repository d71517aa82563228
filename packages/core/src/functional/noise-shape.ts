/**
 * Noise shapes: the shape of the random mask a dropout-style op draws, broadcast against its input.
 */
import { RegulabConfigError } from '../util/validate.js';

/**
 * A noise shape as Keras and TensorFlow.js write it: one entry per input axis, where `null` means
 * "the input's size on that axis" (so the batch axis can stay free and any batch size works) and a
 * number must be 1 (the mask is shared along that axis) or the input's size.
 */
export type NoiseShape = ReadonlyArray<number | null>;

/** Checks a noise shape given as an option: an array of positive integers or nulls. */
export function checkNoiseShape(owner: string, option: string, value: unknown): (number | null)[] | null {
  if (value == null) return null;
  const ok =
    Array.isArray(value) &&
    value.length > 0 &&
    value.every((d) => d === null || (typeof d === 'number' && Number.isInteger(d) && d > 0));
  if (!ok) {
    throw new RegulabConfigError(
      `${owner}: option '${option}' must be a non-empty array of positive integers or nulls, got ${JSON.stringify(value)}`,
    );
  }
  return [...(value as (number | null)[])];
}

/**
 * The concrete mask shape for an input of shape `inputShape`: nulls take the input's size, and
 * every other entry must be 1 or the input's size, so the mask broadcasts against the input.
 * Without a noise shape the mask has the input's shape.
 */
export function resolveNoiseShape(
  owner: string,
  inputShape: readonly number[],
  noiseShape?: NoiseShape | null,
): number[] {
  if (noiseShape == null) return [...inputShape];
  const fits =
    noiseShape.length === inputShape.length &&
    noiseShape.every((d, i) => d === null || d === 1 || d === inputShape[i]);
  if (!fits) {
    throw new RegulabConfigError(
      `${owner}: option 'noiseShape' ${JSON.stringify(noiseShape)} does not fit an input of shape ` +
        `[${inputShape.join(', ')}]: it needs one entry per axis, each null, 1 or the input's size`,
    );
  }
  return noiseShape.map((d, i) => (d === null ? inputShape[i] : d));
}
