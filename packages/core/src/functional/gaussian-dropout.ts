/**
 * Gaussian dropout: multiplicative Gaussian noise with the variance of inverted Bernoulli dropout.
 */
import * as tf from '@tensorflow/tfjs';
import { checkRate } from '../util/validate.js';
import { seedOrFresh, type CallSeed } from './dropout.js';

/**
 * Gaussian dropout (Srivastava et al., 2014, "Dropout: A Simple Way to Prevent Neural Networks
 * from Overfitting", JMLR 15, §10; Wang & Manning, 2013, "Fast dropout training").
 *
 * Training: y = x ⊙ ε, ε ~ N(1, σ²) element-wise with σ² = p / (1 − p), the variance of the
 * inverted Bernoulli mask m/(1 − p); so E[y] = x and Var[y] = x²·p/(1 − p), as with dropout.
 * Inference or p = 0: y = x (the input tensor itself).
 *
 * Shapes: x any shape S → y S.
 *
 * The same seed gives the same noise. Throws `RegulabConfigError` for p outside [0, 1)
 * (p = 1 would need infinite variance).
 */
export function gaussianDropout(x: tf.Tensor, rate: number, training: boolean, seed?: CallSeed): tf.Tensor {
  checkRate('rl.functional.gaussianDropout', 'rate', rate);
  if (!training || rate === 0) return x;
  const stddev = Math.sqrt(rate / (1 - rate));
  return tf.tidy(() => tf.mul(x, tf.randomNormal(x.shape, 1, stddev, 'float32', seedOrFresh(seed)))); // S
}
