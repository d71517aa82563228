/**
 * `rl.layers.gaussianDropout`: multiplicative Gaussian noise N(1, p/(1 − p)).
 */
import * as tf from '@tensorflow/tfjs';
import { gaussianDropout as gaussianDropoutFn } from '../functional/gaussian-dropout.js';
import { StochasticLayer, type StochasticLayerArgs } from './stochastic-layer.js';

export type GaussianDropoutArgs = StochasticLayerArgs;

/**
 * Gaussian dropout (Srivastava et al., 2014, JMLR 15, §10): Keras's `GaussianDropout`.
 *
 * Training: y = x ⊙ ε, ε ~ N(1, p/(1 − p)) element-wise, drawn anew on each training call; the
 * noise has the mean and variance of the inverted Bernoulli mask, so E[y] = x.
 * Inference: y = x.
 *
 * Shapes: input any shape; output the same shape; the batch size may change between calls.
 *
 * `tf.layers.gaussianDropout` (tfjs 4.22, layers/noise.js) computes the right noise and is the
 * identity at inference, but it applies the noise only for 0 < rate < 1 and silently returns the
 * input for any other rate (1, 2, −0.5…), and it takes no seed, so a run cannot be reproduced.
 * This layer rejects rates outside [0, 1) and draws its noise from a seeded `SeedStream`.
 */
export class GaussianDropout extends StochasticLayer {
  static className = 'RegulabGaussianDropout';

  constructor(args: GaussianDropoutArgs) {
    super('rl.layers.gaussianDropout', args);
  }

  protected override perturb(x: tf.Tensor, seed: number): tf.Tensor {
    return gaussianDropoutFn(x, this.rate, true, seed);
  }
}
tf.serialization.registerClass(GaussianDropout);

/** Creates a Gaussian-dropout layer: `rl.layers.gaussianDropout({ rate: 0.3 })`. See {@link GaussianDropout}. */
export function gaussianDropout(args: GaussianDropoutArgs): GaussianDropout {
  return new GaussianDropout(args);
}
