/**
 * The two state updates every fused recurrent op shares: zoneout and padded-step carry-over.
 * Both are convex mixes of the previous state and the new one, written so that a keep-weight of
 * exactly 1 (or a padding weight of exactly 0) returns the previous state bit for bit.
 */
import * as tf from '@tensorflow/tfjs';
import type { ZoneoutSpec } from '../types.js';

/**
 * Zoneout (Krueger et al. 2017) of one state at processing step k.
 *
 * Training (`mask`): s_t = d_t ⊙ s_{t−1} + (1 − d_t) ⊙ s̃_t, d_t = mask[k] ∈ {0, 1}, no rescaling.
 * Inference (`expectation`): s_t = z·s_{t−1} + (1 − z)·s̃_t.
 *
 * Shapes: prev, next [B, H]; a training mask [T, B, H] (one [B, H] slice per step). Returns [B, H].
 */
export function zoneoutStep(
  spec: ZoneoutSpec | undefined,
  k: number,
  prev: tf.Tensor2D,
  next: tf.Tensor2D,
): tf.Tensor2D {
  if (spec === undefined) return next;
  if (spec.kind === 'expectation') {
    if (spec.rate === 0) return next;
    return tf.add(tf.mul(prev, spec.rate), tf.mul(next, 1 - spec.rate));
  }
  const d = stepSlice(spec.mask, k); // [B, H]
  return tf.add(tf.mul(d, prev), tf.mul(tf.sub(1, d), next));
}

/**
 * Padded steps carry the state over: s_t = m ⊙ s̃_t + (1 − m) ⊙ s_{t−1} with m ∈ {0, 1} per example.
 *
 * Shapes: keep [B, 1] (the step-mask column for this step) or undefined (no padding); prev, next [B, H].
 */
export function carryPadded(keep: tf.Tensor | undefined, prev: tf.Tensor2D, next: tf.Tensor2D): tf.Tensor2D {
  if (keep === undefined) return next;
  return tf.add(tf.mul(keep, next), tf.mul(tf.sub(1, keep), prev));
}

/** The [B, H] slice k of a per-step mask [T, B, H]; a [B, H] mask (per sequence) is returned as is. */
export function stepSlice(mask: tf.Tensor2D | tf.Tensor3D, k: number): tf.Tensor2D {
  if (mask.rank === 2) return mask as tf.Tensor2D;
  const [, b, h] = (mask as tf.Tensor3D).shape;
  return tf.reshape(tf.slice(mask, [k, 0, 0], [1, b, h]), [b, h]);
}

/**
 * Splits a whole-sequence tensor [B, T, F] into T per-step slices [B, F] in processing order
 * (reversed when goBackwards), and the step mask [B, T] into matching [B, 1] columns.
 */
export function stepsOf(
  x: tf.Tensor3D,
  stepMask: tf.Tensor2D | undefined,
  goBackwards: boolean,
): { inputs: tf.Tensor2D[]; keeps: (tf.Tensor2D | undefined)[] } {
  // Copy before reversing: tf.unstack's result array is the gradient tape's record of its outputs.
  const slices = [...(tf.unstack(x, 1) as tf.Tensor2D[])]; // T × [B, F]
  const columns: (tf.Tensor2D | undefined)[] =
    stepMask === undefined
      ? slices.map(() => undefined)
      : tf.unstack(stepMask, 1).map((m) => tf.expandDims(m, 1) as tf.Tensor2D); // T × [B, 1]
  const inputs = goBackwards ? slices.reverse() : slices;
  const keeps = goBackwards ? columns.reverse() : columns;
  return { inputs, keeps };
}
