/**
 * Helpers for the recurrent-layer tests: a weighted-sum loss, and a finite-difference check of
 * a layer's weights (tf.variableGrads against central differences on the variable itself).
 */
import * as tf from '@tensorflow/tfjs';
import { allClose, type Tolerance } from '../../../test/helpers.js';

/** Calls a layer as a function (training kwarg), returning its first output. */
export function run(layer: tf.layers.Layer, x: tf.Tensor, training = false, extra: object = {}): tf.Tensor {
  const out = layer.apply(x, { training, ...extra }) as tf.Tensor | tf.Tensor[];
  return Array.isArray(out) ? out[0]! : out;
}

/**
 * Checks d loss / d weight for each weight of the layer against central differences (float32;
 * eps 1e-3; tolerance atol 2e-3, rtol 2e-2 unless given). `loss` must be deterministic between
 * evaluations (restore the layer's seed stream inside it).
 */
export function checkWeightGradients(
  layer: tf.layers.Layer,
  loss: () => tf.Scalar,
  tol: Tolerance = { atol: 2e-3, rtol: 2e-2 },
  eps = 1e-3,
): void {
  for (const w of layer.trainableWeights) {
    const variable = w.read() as tf.Variable;
    const { grads } = tf.variableGrads(loss, [variable]);
    const analytic = grads[variable.name]!;
    const base = Float32Array.from(variable.dataSync());
    const numeric = new Float32Array(base.length);
    for (let i = 0; i < base.length; i++) {
      const orig = base[i]!;
      const at = (v: number) => {
        base[i] = v;
        w.write(tf.tensor(base, variable.shape));
        return tf.tidy(() => loss().dataSync()[0]!);
      };
      const up = at(orig + eps);
      const down = at(orig - eps);
      base[i] = orig;
      numeric[i] = (up - down) / (2 * eps);
    }
    w.write(tf.tensor(base, variable.shape));
    try {
      allClose(analytic, numeric, tol, `d loss / d ${w.name}`);
    } finally {
      tf.dispose(grads);
    }
  }
}

/** A fixed random weighting of the outputs, so the loss sees every unit with its own sign. */
export function weightedSum(y: tf.Tensor, seed = 99): tf.Scalar {
  return tf.tidy(() => tf.sum(tf.mul(y, tf.randomNormal(y.shape, 0, 1, 'float32', seed))) as tf.Scalar);
}
