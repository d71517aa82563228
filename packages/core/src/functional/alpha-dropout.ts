/**
 * Alpha dropout: the dropout that keeps SELU activations self-normalizing.
 */
import * as tf from '@tensorflow/tfjs';
import { bernoulliMask } from '../random/bernoulli.js';
import { checkRate } from '../util/validate.js';
import { seedOrFresh, type CallSeed } from './dropout.js';
import { resolveNoiseShape, type NoiseShape } from './noise-shape.js';

/** SELU's α and λ (Klambauer et al., 2017). */
const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;
/** α′ = −λα: the value SELU saturates to for large negative inputs; dropped units are set to it. */
export const ALPHA_PRIME = -SELU_ALPHA * SELU_SCALE;

/** The affine correction (a, b) that restores zero mean and unit variance after alpha dropout at rate p. */
export function alphaDropoutAffine(rate: number): { a: number; b: number } {
  const a = ((1 - rate) * (1 + rate * ALPHA_PRIME ** 2)) ** -0.5;
  return { a, b: -a * ALPHA_PRIME * rate };
}

/**
 * Alpha dropout (Klambauer et al., 2017, "Self-Normalizing Neural Networks", NeurIPS, §"New
 * Dropout Technique"); the formula of Keras 3 and TensorFlow.js.
 *
 * Training: m ~ Bernoulli(1 − p) on `noiseShape` (broadcast against x),
 * x′ = x ⊙ m + α′ ⊙ (1 − m) with α′ = −λα ≈ −1.7581 (SELU's negative saturation value), and
 * y = a·x′ + b with a = ((1 − p)(1 + p·α′²))^(−1/2), b = −a·α′·p; for inputs of zero mean and
 * unit variance the output keeps zero mean and unit variance.
 * Inference or p = 0: y = x (the input tensor itself).
 *
 * Shapes:
 * - x: any shape S.
 * - noiseShape: optional, one entry per axis of S, each null (S's size), 1 or S's size; default S.
 * - returns: S.
 *
 * Use it with SELU activations and LeCun-normal initialisation; with other activations ordinary
 * dropout is the right choice.
 */
export function alphaDropout(
  x: tf.Tensor,
  rate: number,
  training: boolean,
  seed?: CallSeed,
  noiseShape?: NoiseShape | null,
): tf.Tensor {
  checkRate('rl.functional.alphaDropout', 'rate', rate);
  const maskShape = resolveNoiseShape('rl.functional.alphaDropout', x.shape, noiseShape);
  if (!training || rate === 0) return x;
  const { a, b } = alphaDropoutAffine(rate);
  return tf.tidy(() => {
    const keep = bernoulliMask(maskShape, 1 - rate, seedOrFresh(seed)); // noise shape, 1 = keep
    const dropped = tf.add(tf.mul(x, keep), tf.mul(tf.sub(1, keep), ALPHA_PRIME)); // S
    return tf.add(tf.mul(dropped, a), b); // S
  });
}
