/**
 * Weight penalties added to the loss: L1, L2 and both (meaning 1 of "weight decay" in
 * docs/weight-decay.md). They follow the TensorFlow.js / Keras convention, with no ½:
 *
 *     penalty(w) = λ1·Σ|w| + λ2·Σ w²        gradient: λ1·sign(w) + 2·λ2·w
 *
 * So `l2({ l2: λ })` is PyTorch's `weight_decay = 2λ` for plain SGD, and differs from decoupled decay
 * (`rl.optimizers.adamw`) for adaptive optimizers. tfjs implements these penalties correctly, so the
 * factories validate their options and return tfjs's own `L1L2` regularizer: it works as
 * `kernelRegularizer` / `recurrentRegularizer` / `biasRegularizer` of any tfjs layer and serializes
 * as `L1L2`, loadable without Regulab.
 *
 * Unlike tfjs's factories, the coefficient is required (tfjs silently defaults it to 0.01, where
 * Keras's `L1L2` defaults to 0).
 *
 * Known tfjs behaviour (documented in docs/weight-decay.md): `fit` adds the penalties to the reported
 * `loss`, `evaluate` leaves them out, so `loss` and `val_loss` differ by the penalty.
 */
import * as tf from '@tensorflow/tfjs';
import { RegulabConfigError, checkNonNegative } from '../util/validate.js';

/** tfjs's regularizer base class (not exported under a type name by @tensorflow/tfjs). */
export type Regularizer = ReturnType<typeof tf.regularizers.l1l2>;

/** L1 penalty λ1·Σ|w| (encourages exact zeros). */
export function l1(args: { l1: number }): Regularizer {
  return tf.regularizers.l1l2({ l1: checkNonNegative('rl.regularizers.l1', 'l1', args?.l1), l2: 0 });
}

/** L2 penalty λ2·Σw² (gradient 2·λ2·w). */
export function l2(args: { l2: number }): Regularizer {
  return tf.regularizers.l1l2({ l1: 0, l2: checkNonNegative('rl.regularizers.l2', 'l2', args?.l2) });
}

/** λ1·Σ|w| + λ2·Σw² (elastic net). A missing coefficient is 0; at least one must be given. */
export function l1l2(args: { l1?: number; l2?: number }): Regularizer {
  if (args == null || (args.l1 == null && args.l2 == null)) {
    throw new RegulabConfigError(`rl.regularizers.l1l2: set option 'l1' and/or option 'l2'`);
  }
  return tf.regularizers.l1l2({
    l1: checkNonNegative('rl.regularizers.l1l2', 'l1', args.l1 ?? 0),
    l2: checkNonNegative('rl.regularizers.l1l2', 'l2', args.l2 ?? 0),
  });
}

/**
 * The same penalty as a pure function, for custom training loops: λ1·Σ|w| + λ2·Σw² over all tensors.
 * Shapes: any; returns a scalar.
 */
export function weightPenalty(
  weights: tf.Tensor | tf.Tensor[],
  { l1 = 0, l2 = 0 }: { l1?: number; l2?: number },
): tf.Scalar {
  return tf.tidy(() => {
    const list = Array.isArray(weights) ? weights : [weights];
    const terms: tf.Tensor[] = [tf.scalar(0)];
    for (const w of list) {
      if (l1 > 0) terms.push(tf.mul(l1, tf.sum(tf.abs(w))));
      if (l2 > 0) terms.push(tf.mul(l2, tf.sum(tf.square(w))));
    }
    return tf.addN(terms) as tf.Scalar;
  });
}
