/**
 * Enforces the constraints set on a model's weights (`kernelConstraint`, `recurrentConstraint`,
 * `biasConstraint`, `embeddingsConstraint`, …): the projection step that TensorFlow.js's `fit` and
 * `trainOnBatch` silently skip (tfjs#3345, #3979). Keras applies each constraint right after each
 * optimizer step; call this after each step of a custom loop, or use `rl.callbacks.applyConstraints()`
 * in `fit`.
 */
import * as tf from '@tensorflow/tfjs';

/** Anything with tfjs layer weights: a LayersModel, a Sequential, or a single Layer. */
export interface HasWeights {
  readonly weights: tf.LayerVariable[];
}

/**
 * Projects every constrained trainable weight of `model` in place: w ← constraint(w).
 * Weights without a constraint, and non-trainable weights, are left alone (as Keras does).
 * A weight shared by several layers is projected once. Returns the number of weights projected.
 *
 * Shapes: each weight keeps its shape. Training vs inference: call it only after training updates;
 * it is idempotent for the projections Regulab ships (maxNorm, unitNorm, minMaxNorm with rate 1, nonNeg).
 */
export function applyConstraints(model: HasWeights): number {
  const seen = new Set<number>();
  let count = 0;
  for (const weight of model.weights) {
    if (weight.constraint == null || !weight.trainable || seen.has(weight.id)) continue;
    seen.add(weight.id);
    const variable = weight.read() as tf.Variable; // the live tf.Variable the optimizer updates
    tf.tidy(() => {
      variable.assign(weight.constraint.apply(variable));
    });
    count++;
  }
  return count;
}
