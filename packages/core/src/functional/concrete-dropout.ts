/**
 * Concrete dropout: dropout whose rate is a trained weight, through a continuous relaxation of the
 * Bernoulli mask.
 */
import * as tf from '@tensorflow/tfjs';
import { checkPositive, RegulabConfigError } from '../util/validate.js';
import { seedOrFresh, type CallSeed } from './dropout.js';

/** Keeps the logs finite at p, u ∈ {0, 1} (the authors' code uses the same ε). */
const EPS = 1e-7;

/**
 * The relaxed keep mask of concrete dropout (Gal, Hron & Kendall, 2017, "Concrete Dropout",
 * NeurIPS, eq. 5; Maddison et al. / Jang et al.'s Concrete distribution):
 *
 *     z = sigmoid((log p − log(1 − p) + log u − log(1 − u)) / t),  u ~ U(0, 1)   (relaxed "drop")
 *     keep = (1 − z) / (1 − p)
 *
 * As t → 0, z → 1[u > 1 − p], a Bernoulli(p) drop indicator; for any t, P(z > ½) = p exactly.
 * The mask is differentiable in p, which is how the rate is learned.
 *
 * Shapes: p a scalar tensor; returns `shape`.
 */
export function concreteKeepMask(
  p: tf.Scalar,
  shape: number[],
  temperature: number,
  seed: number,
): tf.Tensor {
  return tf.tidy(() => {
    const u = tf.randomUniform(shape, 0, 1, 'float32', seed); // shape
    const logitP = tf.sub(tf.log(tf.add(p, EPS)), tf.log(tf.add(tf.sub(1, p), EPS))); // []
    const logitU = tf.sub(tf.log(tf.add(u, EPS)), tf.log(tf.add(tf.sub(1, u), EPS))); // shape
    const drop = tf.sigmoid(tf.div(tf.add(logitP, logitU), temperature)); // shape
    return tf.div(tf.sub(1, drop), tf.sub(1, p)); // shape
  });
}

/**
 * Concrete dropout of x with the (trainable) rate p.
 *
 * Training: y = x ⊙ keep, keep the relaxed mask of `concreteKeepMask` drawn on `maskShape` and
 * broadcast against x (e.g. [B, 1, F] for one mask per sequence). E[y] ≈ x.
 * Inference (`training` false): y = x (the input itself; inverted scaling needs no correction).
 *
 * Shapes: x any shape S; p a scalar in (0, 1); maskShape broadcastable to S (default S) → S.
 */
export function concreteDropout(
  x: tf.Tensor,
  p: tf.Scalar,
  training: boolean,
  seed?: CallSeed,
  options: { temperature?: number; maskShape?: number[] } = {},
): tf.Tensor {
  const temperature = checkPositive(
    'rl.functional.concreteDropout',
    'temperature',
    options.temperature ?? 0.1,
  );
  if (p.rank !== 0) {
    throw new RegulabConfigError(
      `rl.functional.concreteDropout: p must be a scalar tensor, got shape [${p.shape.join(', ')}]`,
    );
  }
  if (!training) return x;
  return tf.tidy(() =>
    tf.mul(x, concreteKeepMask(p, options.maskShape ?? [...x.shape], temperature, seedOrFresh(seed))),
  ); // S
}

/**
 * The concrete-dropout regularizer of one layer (Gal, Hron & Kendall, 2017, eq. 3 with the
 * authors' scaling): the weight term of the prior on the layer's kernel W, inflated by the
 * dropout scaling, and the negative entropy of the drop probability times the input dimension K:
 *
 *     R(W, p) = λ_w · Σ W² / (1 − p) + λ_d · K · (p log p + (1 − p) log(1 − p))
 *
 * with λ_w = l² / N and λ_d = 2 / N for a prior length scale l and N training examples. The
 * entropy term is minimal at p = ½; the data loss and the weight term pull p down.
 *
 * Shapes: kernel any shape; p a scalar; returns a scalar.
 */
export function concreteDropoutPenalty(
  kernel: tf.Tensor,
  p: tf.Scalar,
  inputDim: number,
  weightRegularizer: number,
  dropoutRegularizer: number,
): tf.Scalar {
  return tf.tidy(() => {
    const weight = tf.div(tf.mul(weightRegularizer, tf.sum(tf.square(kernel))), tf.sub(1, p)); // []
    const q = tf.sub(1, p); // []
    const negEntropy = tf.add(tf.mul(p, tf.log(tf.add(p, EPS))), tf.mul(q, tf.log(tf.add(q, EPS)))); // []
    return tf.add(weight, tf.mul(dropoutRegularizer * inputDim, negEntropy)) as tf.Scalar;
  });
}
