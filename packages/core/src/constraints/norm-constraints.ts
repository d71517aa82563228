/**
 * Weight constraints: projections applied to a weight after every update.
 *
 * TensorFlow.js's constraint classes compute the right thing (checked against Keras and the
 * reference semantics: MaxNorm is w·clip(‖w‖, 0, m)/(ε + ‖w‖) along `axis`, ε = 1e-7), so Regulab
 * re-exports them behind validating factories. What tfjs gets wrong is *when* they run: its `fit`
 * never applies them (tfjs#3345, #3979). Put `rl.callbacks.applyConstraints()` among the callbacks,
 * or call `rl.constraints.applyConstraints(model)` after each step of a custom loop.
 *
 * Set them on layers as usual: `tf.layers.dense({ units, kernelConstraint: rl.constraints.maxNorm({ maxValue: 3 }) })`.
 * They serialize as tfjs's own (`MaxNorm`, `UnitNorm`, `MinMaxNorm`, `NonNeg`), so saved models load
 * with or without Regulab.
 */
import * as tf from '@tensorflow/tfjs';
import { RegulabConfigError, checkPositive, describeValue } from '../util/validate.js';

/** tfjs's constraint base class (not exported under a type name by @tensorflow/tfjs). */
export type Constraint = ReturnType<typeof tf.constraints.nonNeg>;

export interface NormConstraintAxis {
  /**
   * Axis (or axes) along which norms are taken. Default 0: for a dense kernel [inputDim, units] this
   * is one norm per output unit (the incoming weight vector of each unit, as in Srivastava et al.).
   */
  axis?: number;
}

/**
 * Max-norm (Srivastava et al., "Dropout", JMLR 2014, §5.1; Keras `MaxNorm`):
 *
 *     w ← w · clip(‖w‖₂, 0, m) / (ε + ‖w‖₂)      (norms along `axis`, ε = 1e-7)
 *
 * Vectors with norm ≤ m are unchanged (up to the ε factor); longer ones are scaled to norm m.
 * The paper pairs it with dropout and large learning rates (m ≈ 3–4).
 *
 * Shapes: any weight; the norm has the weight's shape with `axis` reduced to 1.
 */
export function maxNorm(args: { maxValue: number } & NormConstraintAxis): Constraint {
  const owner = 'rl.constraints.maxNorm';
  return tf.constraints.maxNorm({
    maxValue: checkPositive(owner, 'maxValue', args?.maxValue),
    axis: checkAxis(owner, args.axis),
  });
}

/**
 * Unit norm (Keras `UnitNorm`): w ← w / (ε + ‖w‖₂) along `axis`.
 */
export function unitNorm(args: NormConstraintAxis = {}): Constraint {
  return tf.constraints.unitNorm({ axis: checkAxis('rl.constraints.unitNorm', args.axis) });
}

/**
 * Min-max norm (Keras `MinMaxNorm`):
 *
 *     w ← w · (r·clip(‖w‖₂, min, max) + (1 − r)·‖w‖₂) / (ε + ‖w‖₂)
 *
 * `rate` r = 1 enforces the bounds strictly; r < 1 moves the norm part of the way each update.
 */
export function minMaxNorm(
  args: { minValue: number; maxValue: number; rate?: number } & NormConstraintAxis,
): Constraint {
  const owner = 'rl.constraints.minMaxNorm';
  const minValue = checkNonNegativeNumber(owner, 'minValue', args?.minValue);
  const maxValue = checkPositive(owner, 'maxValue', args.maxValue);
  if (minValue > maxValue) {
    throw new RegulabConfigError(
      `${owner}: option 'minValue' (${minValue}) must not exceed option 'maxValue' (${maxValue})`,
    );
  }
  const rate = args.rate ?? 1;
  if (typeof rate !== 'number' || !(rate > 0 && rate <= 1)) {
    throw new RegulabConfigError(`${owner}: option 'rate' must be a number in (0, 1], got ${String(rate)}`);
  }
  return tf.constraints.minMaxNorm({ minValue, maxValue, rate, axis: checkAxis(owner, args.axis) });
}

/** Non-negativity (Keras `NonNeg`): w ← max(w, 0). */
export function nonNeg(): Constraint {
  return tf.constraints.nonNeg();
}

function checkNonNegativeNumber(owner: string, option: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new RegulabConfigError(
      `${owner}: option '${option}' must be a finite number ≥ 0, got ${describeValue(value)}`,
    );
  }
  return value;
}

function checkAxis(owner: string, axis: unknown): number {
  if (axis == null) return 0;
  if (typeof axis !== 'number' || !Number.isInteger(axis)) {
    throw new RegulabConfigError(`${owner}: option 'axis' must be an integer, got ${String(axis)}`);
  }
  return axis;
}
