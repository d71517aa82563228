/**
 * Gradient clipping: by the global norm of all gradients together, and element-wise by value.
 *
 * Pure functions on lists of gradients; `rl.optimizers.clipped`, `adamw` and `sgdw` use them, and a
 * custom training loop can call them between `tf.variableGrads` and `optimizer.applyGradients`.
 */
import * as tf from '@tensorflow/tfjs';
import { RegulabConfigError, describeValue } from '../util/validate.js';

/** What to clip: `globalNorm` (the norm of all gradients together) and/or `value` (each element). */
export interface ClipOptions {
  /** Maximum global L2 norm of all gradients together (PyTorch `clip_grad_norm_`, Keras `global_clipnorm`). */
  globalNorm?: number;
  /** Maximum absolute value of each gradient element (PyTorch `clip_grad_value_`, Keras `clipvalue`). */
  value?: number;
}

/**
 * Global L2 norm of a list of tensors: ‖g‖ = sqrt(Σ_i Σ_j g_ij²). Null entries (variables without a
 * gradient) are skipped. Returns a scalar tensor (0 for an empty list).
 */
export function globalNorm(tensors: readonly (tf.Tensor | null | undefined)[]): tf.Scalar {
  return tf.tidy(() => {
    const squares = tensors.filter((t): t is tf.Tensor => t != null).map((t) => tf.sum(tf.square(t)));
    if (squares.length === 0) return tf.scalar(0);
    return tf.sqrt(tf.addN(squares)) as tf.Scalar;
  });
}

/**
 * Scales every gradient by the same factor so that their global norm is at most `maxNorm`:
 *
 *     g_i ← g_i · maxNorm / max(‖g‖, maxNorm)
 *
 * (TensorFlow's `clip_by_global_norm`, used by Keras `global_clipnorm`; PyTorch's `clip_grad_norm_`
 * differs only by a 1e-6 added to the norm). The direction of the whole update is kept.
 * Null entries pass through. Returns new tensors; the inputs are not disposed.
 *
 * Shapes: each output has its input's shape.
 */
export function clipByGlobalNorm<T extends tf.Tensor | null | undefined>(
  gradients: readonly T[],
  maxNorm: number,
): T[] {
  return tidyList(() => {
    const norm = globalNorm(gradients); // []
    const scale = tf.div(maxNorm, tf.maximum(norm, maxNorm)); // [] ≤ 1
    return gradients.map((g) => (g == null ? g : tf.mul(g, scale))) as T[];
  });
}

/**
 * Clips every gradient element to [−value, value] (an element-wise projection; unlike global-norm
 * clipping it changes the direction of the update). Null entries pass through.
 */
export function clipByValue<T extends tf.Tensor | null | undefined>(
  gradients: readonly T[],
  value: number,
): T[] {
  return tidyList(() => gradients.map((g) => (g == null ? g : tf.clipByValue(g, -value, value))) as T[]);
}

/**
 * Applies `value` clipping, then `globalNorm` clipping. Keras 3 forbids setting both; Regulab allows
 * it, and this order makes the result satisfy both bounds (the norm scaling only shrinks elements).
 * With neither option set the gradients are returned as clones, so callers may always dispose the result.
 */
export function clipGradients<T extends tf.Tensor | null | undefined>(
  gradients: readonly T[],
  { globalNorm: maxNorm, value }: ClipOptions,
): T[] {
  return tidyList(() => {
    let out = gradients.map((g) => (g == null ? g : tf.clone(g))) as T[];
    if (value != null) out = clipByValue(out, value);
    if (maxNorm != null) out = clipByGlobalNorm(out, maxNorm);
    return out;
  });
}

/** tf.tidy for a list that may hold null entries (tidy keeps the tensors, passes the nulls through). */
function tidyList<T>(fn: () => T[]): T[] {
  return tf.tidy(() => fn() as unknown as tf.Tensor[]) as unknown as T[];
}

/** Validates clipping bounds: each, when given, must be a finite number > 0. */
export function checkClipOptions(
  owner: string,
  options: Record<string, unknown>,
  keys: readonly string[],
): void {
  for (const key of keys) {
    const v = options[key];
    if (v == null) continue;
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
      throw new RegulabConfigError(
        `${owner}: option '${key}' must be a finite number > 0, got ${describeValue(v)}`,
      );
    }
  }
}
