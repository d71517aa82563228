import * as tf from '@tensorflow/tfjs';

/**
 * A Bernoulli mask: each element is 1 with probability `keep`, else 0.
 *
 * Shapes: returns a float32 tensor of `shape`.
 * The draw is `uniform(seed) < keep`, so the same seed gives the same mask.
 */
export function bernoulliMask(shape: number[], keep: number, seed: number): tf.Tensor {
  return tf.tidy(() => tf.cast(tf.less(tf.randomUniform(shape, 0, 1, 'float32', seed), keep), 'float32'));
}

/** An inverted-dropout mask: 1/(1−rate) with probability 1−rate, else 0. */
export function invertedMask(shape: number[], rate: number, seed: number): tf.Tensor {
  return tf.tidy(() => tf.mul(bernoulliMask(shape, 1 - rate, seed), 1 / (1 - rate)));
}
