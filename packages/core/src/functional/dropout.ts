/**
 * Inverted dropout and the two variants that differ from it only in the mask's shape: locked
 * (variational) dropout on sequences and DropConnect on weights.
 *
 * The three share one rule: m ~ Bernoulli(1 − p) element-wise on the mask's shape, broadcast
 * against the input, and y = x ⊙ m / (1 − p), so E[y] = x and inference needs no rescaling.
 */
import * as tf from '@tensorflow/tfjs';
import { invertedMask } from '../random/bernoulli.js';
import { checkRate, RegulabConfigError } from '../util/validate.js';
import { resolveNoiseShape, type NoiseShape } from './noise-shape.js';

/** A seed for one call's mask; `null`/`undefined` draws an unseeded (fresh, unreproducible) mask. */
export type CallSeed = number | null | undefined;

/** The seed to hand to tfjs's random ops: the given one, or a fresh one when none is given. */
export function seedOrFresh(seed: CallSeed): number {
  return seed ?? Math.floor(Math.random() * 2 ** 31);
}

/**
 * Inverted dropout (Srivastava et al., 2014, "Dropout: A Simple Way to Prevent Neural Networks
 * from Overfitting", JMLR 15; the inverted form scales at training time so inference is the identity).
 *
 * Training: y = x ⊙ m / (1 − p), m ~ Bernoulli(1 − p) drawn on `noiseShape` and broadcast
 * against x (an axis of size 1 in the noise shape shares one draw along that axis).
 * Inference (`training` false) or p = 0: y = x (the input tensor itself is returned).
 *
 * Shapes:
 * - x: any shape S (float32).
 * - noiseShape: optional, one entry per axis of S, each null (S's size), 1 or S's size;
 *   default S (an independent draw per element).
 * - returns: S.
 *
 * The same `seed` gives the same mask; a caller that wants a fresh mask per call passes a fresh
 * seed (the layers take theirs from a `SeedStream`). Gradients flow through x ⊙ m/(1 − p); the
 * mask is a constant. Throws `RegulabConfigError` for p outside [0, 1) or a noise shape that does
 * not fit x.
 */
export function dropout(
  x: tf.Tensor,
  rate: number,
  training: boolean,
  seed?: CallSeed,
  noiseShape?: NoiseShape | null,
): tf.Tensor {
  checkRate('rl.functional.dropout', 'rate', rate);
  const maskShape = resolveNoiseShape('rl.functional.dropout', x.shape, noiseShape);
  if (!training || rate === 0) return x;
  return tf.tidy(() => tf.mul(x, invertedMask(maskShape, rate, seedOrFresh(seed)))); // S
}

/**
 * Locked (variational) dropout on a sequence (Gal & Ghahramani, 2016, "A Theoretically Grounded
 * Application of Dropout in Recurrent Neural Networks"; the `LockedDropout` of Merity et al., 2018,
 * "Regularizing and Optimizing LSTM Language Models", AWD-LSTM).
 *
 * Training: y[b, t, f] = x[b, t, f] · m[b, f] / (1 − p), m ~ Bernoulli(1 − p): one mask per
 * sequence and feature, the same at every time step (mask shape [B, 1, F]).
 * Inference or p = 0: y = x.
 *
 * Shapes: x [B, T, F] (batch-major, as tfjs recurrent layers take it) → y [B, T, F].
 *
 * The mask is drawn anew on each call (each BPTT segment), never carried across calls.
 */
export function lockedDropout(x: tf.Tensor, rate: number, training: boolean, seed?: CallSeed): tf.Tensor {
  checkRate('rl.functional.lockedDropout', 'rate', rate);
  if (x.rank !== 3) {
    throw new RegulabConfigError(
      `rl.functional.lockedDropout: input must have rank 3 [batch, time, features], got shape [${x.shape.join(', ')}]`,
    );
  }
  const [batch, , features] = x.shape;
  return dropout(x, rate, training, seed, [batch, 1, features]); // [B, T, F]
}

/**
 * DropConnect on a weight tensor (Wan et al., 2013, "Regularization of Neural Networks using
 * DropConnect", ICML; the weight-drop of Merity et al., 2018, uses it on W_hh).
 *
 * Training: W̃ = W ⊙ M / (1 − p), M ~ Bernoulli(1 − p) element-wise on W's shape: one mask for
 * the whole batch (every example of the call sees the same dropped weights).
 * Inference or p = 0: W̃ = W (the raw weights; Wan et al.'s Gaussian moment-matching inference is
 * not used: inverted scaling makes the raw weights the mean of W̃).
 *
 * Shapes: w any shape (e.g. a dense kernel [D, U]) → the same shape.
 */
export function dropConnect(w: tf.Tensor, rate: number, training: boolean, seed?: CallSeed): tf.Tensor {
  checkRate('rl.functional.dropConnect', 'rate', rate);
  return dropout(w, rate, training, seed); // same shape as w
}
