/**
 * Pieces every reference recurrent op shares: the time-major per-step slicing, the per-gate weight
 * blocks, zoneout and padded-step carry-over.
 *
 * Layout note (speed): tfjs's CPU backend slices along a non-leading axis element by element
 * (`tf.split(a, 4, 1)` on [32, 512] or `tf.unstack(x, 1)` on [B, T, F] cost milliseconds to
 * seconds), while slicing along the leading axis is a memory copy. So the ops go time-major once
 * ([T, B, F]), keep one weight block per gate (no per-step gate split), and unstack on axis 0 only.
 */
import * as tf from '@tensorflow/tfjs';
import type { ZoneoutSpec } from '../types.js';

/**
 * Zoneout (Krueger et al. 2017) of one state at one step.
 *
 * Training (`d`, this step's mask slice): s_t = d ⊙ s_{t−1} + (1 − d) ⊙ s̃_t, d ∈ {0, 1}, no rescaling.
 * Inference (`expectation`): s_t = z·s_{t−1} + (1 − z)·s̃_t.
 *
 * Shapes: prev, next, d [B, H]. Returns [B, H].
 */
export function zoneoutStep(
  spec: ZoneoutSpec | undefined,
  d: tf.Tensor2D | undefined,
  prev: tf.Tensor2D,
  next: tf.Tensor2D,
): tf.Tensor2D {
  if (spec === undefined) return next;
  if (spec.kind === 'expectation') {
    if (spec.rate === 0) return next;
    return tf.add(tf.mul(prev, spec.rate), tf.mul(next, 1 - spec.rate));
  }
  return tf.add(tf.mul(d!, prev), tf.mul(tf.sub(1, d!), next));
}

/**
 * Padded steps carry the state over: s_t = m ⊙ s̃_t + (1 − m) ⊙ s_{t−1} with m ∈ {0, 1} per example.
 *
 * Shapes: keep [B, H] (this step's mask, from stepColumns) or undefined (no padding); prev, next [B, H].
 */
export function carryPadded(keep: tf.Tensor | undefined, prev: tf.Tensor2D, next: tf.Tensor2D): tf.Tensor2D {
  if (keep === undefined) return next;
  return tf.add(tf.mul(keep, next), tf.mul(tf.sub(1, keep), prev));
}

/**
 * The transposed gate blocks of a kernel: m [R, G·H] → G × [H, R] (block g = columns g·H..(g+1)·H−1,
 * transposed), for `tf.matMul(a, block, false, true)`. One transpose per call instead of a
 * strided split per step.
 */
export function gateBlocks(m: tf.Tensor2D, gates: number): tf.Tensor2D[] {
  const [rows, cols] = m.shape;
  const units = cols / gates;
  return tf.unstack(tf.reshape(tf.transpose(m), [gates, units, rows])) as tf.Tensor2D[];
}

/**
 * A row vector repeated over `count` rows, [H] → [count, H], as a rank-1 matmul: tfjs's CPU
 * binary ops take a per-element index path whenever operand shapes differ (the gradient too),
 * so adding a pre-expanded bias is many times faster than letting tfjs broadcast it.
 */
export function broadcastRows(v: tf.Tensor1D, count: number): tf.Tensor2D {
  return tf.matMul(tf.ones([count, 1]), tf.reshape(v, [1, -1]));
}

/** A bias [G·H] split into G × [H] (contiguous, so cheap). */
export function biasBlocks(bias: tf.Tensor1D, gates: number): tf.Tensor1D[] {
  return tf.unstack(tf.reshape(bias, [gates, bias.shape[0] / gates])) as tf.Tensor1D[];
}

/** In processing order: a copy of `items`, reversed when goBackwards (never reverse tf.unstack's own array: the tape holds it). */
export function processingOrder<T>(items: T[], goBackwards: boolean): T[] {
  const copy = [...items];
  return goBackwards ? copy.reverse() : copy;
}

/**
 * The per-gate input projections for every step, time-major: x [B, T, D] → G arrays of T × [B, H]
 * (in input-time order), each x_t·W_g (+ b_g when `bias` is given).
 */
export function inputProjections(
  x: tf.Tensor3D,
  kernelBlocks: tf.Tensor2D[],
  bias: tf.Tensor1D[] | undefined,
): tf.Tensor2D[][] {
  const [batch, steps, dim] = x.shape;
  const xt = tf.reshape(tf.transpose(x, [1, 0, 2]), [steps * batch, dim]); // [T·B, D], time-major
  return kernelBlocks.map((w, g) => {
    const units = w.shape[0];
    const proj = tf.matMul(xt, w, false, true); // [T·B, H]
    const withBias = bias ? tf.add(proj, broadcastRows(bias[g]!, steps * batch)) : proj;
    return tf.unstack(tf.reshape(withBias, [steps, batch, units])) as tf.Tensor2D[]; // T × [B, H]
  });
}

/** Per-step slices of a mask: [T, B, H] → T × [B, H]; a [B, H] mask repeats; undefined stays undefined. */
export function maskSteps(
  mask: tf.Tensor2D | tf.Tensor3D | undefined,
  steps: number,
): (tf.Tensor2D | undefined)[] {
  if (mask === undefined) return new Array<undefined>(steps).fill(undefined);
  if (mask.rank === 2) return new Array<tf.Tensor2D>(steps).fill(mask as tf.Tensor2D);
  return [...(tf.unstack(mask) as tf.Tensor2D[])];
}

/** Per-step zoneout masks (processing order is the mask's own order), or undefineds. */
export function zoneoutSteps(spec: ZoneoutSpec | undefined, steps: number): (tf.Tensor2D | undefined)[] {
  return maskSteps(spec?.kind === 'mask' ? spec.mask : undefined, steps);
}

/**
 * The step mask [B, T] as T per-step keep masks [B, H] (each example's 0/1 repeated over its
 * units, so the carry-over multiplies same-shape tensors) in input-time order, or undefineds.
 */
export function stepColumns(
  stepMask: tf.Tensor2D | undefined,
  steps: number,
  units: number,
): (tf.Tensor2D | undefined)[] {
  if (stepMask === undefined) return new Array<undefined>(steps).fill(undefined);
  const ones = tf.ones([1, units]);
  return (tf.unstack(tf.transpose(stepMask)) as tf.Tensor1D[]).map(
    (m) => tf.matMul(tf.reshape(m, [-1, 1]), ones) as tf.Tensor2D,
  );
}

/** Stacks the per-step outputs T × [B, H] into [B, T, H]. */
export function stackOutputs(outputs: tf.Tensor2D[], batch: number, units: number): tf.Tensor3D {
  if (outputs.length === 0) return tf.zeros([batch, 0, units]);
  return tf.transpose(tf.stack(outputs), [1, 0, 2]) as tf.Tensor3D; // [T, B, H] → [B, T, H]
}
