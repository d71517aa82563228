import * as tf from '@tensorflow/tfjs';
import { seededMaskValues } from '@regulab/kernels';

const count = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * A Bernoulli mask: each element is 1 with probability `keep`, else 0.
 *
 * Shapes: returns a float32 tensor of `shape`.
 * The draw is `uniform(seed) < keep` with tfjs's `randomUniform(shape, 0, 1, 'float32', seed)` as
 * the uniforms, so the same seed gives the same mask, bit for bit the one tfjs's ops give; it is
 * drawn in one pass by Regulab's kernels (`seededMaskValues`) instead of four tfjs ops.
 */
export function bernoulliMask(shape: number[], keep: number, seed: number): tf.Tensor {
  return tf.tensor(seededMaskValues(count(shape), keep, 1, seed), shape, 'float32');
}

/** An inverted-dropout mask: 1/(1−rate) with probability 1−rate, else 0 (as bernoulliMask · 1/(1−rate)). */
export function invertedMask(shape: number[], rate: number, seed: number): tf.Tensor {
  return tf.tensor(seededMaskValues(count(shape), 1 - rate, 1 / (1 - rate), seed), shape, 'float32');
}
