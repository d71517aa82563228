/**
 * Per-step measurements of an `rl.layers.lstm` inside a model, through the layer's `stateHook`
 * (the call then runs on the tfjs reference op; issue 13 will give the fused kernels the same):
 *
 * - `stateVariance`: Var(h_t) and Var(c_t) over the batch and the units at each step t,
 *     Var(s_t) = mean_{b,j} (s_t[b, j] − mean_{b,j} s_t)²;
 * - `stateGradientNorms`: ‖∂L/∂h_t‖ and ‖∂L/∂c_t‖ (Frobenius norms over batch and units) for a
 *   loss L of the whole forward pass, as the gradients of zeros added to h_t and c_t after step t
 *   (so they include every path from step t to L, through later steps and the outputs).
 *
 * Steps k are processing steps (goBackwards: k = 0 is the last input). Both leave no tensors.
 */
import * as tf from '@tensorflow/tfjs';
import type * as rl from 'regulab';

/** Per-step values of h and c. */
export interface PerStep {
  h: number[];
  c: number[];
}

/** Runs `forward` with `layer.stateHook` set to `hook`, restoring the previous hook afterwards. */
function withHook<T>(layer: rl.layers.Lstm, hook: rl.layers.Lstm['stateHook'], forward: () => T): T {
  const previous = layer.stateHook;
  layer.stateHook = hook;
  try {
    return forward();
  } finally {
    layer.stateHook = previous;
  }
}

/** Var(h_t), Var(c_t) over batch and units per step, during `forward` (which calls the model once). */
export function stateVariance(layer: rl.layers.Lstm, forward: () => unknown): PerStep {
  const out: PerStep = { h: [], c: [] };
  const variance = (s: tf.Tensor2D): number => tf.moments(s).variance.dataSync()[0]!;
  tf.tidy(() => {
    withHook(
      layer,
      (k, h, c) => {
        out.h[k] = variance(h);
        out.c[k] = variance(c);
        return { h, c };
      },
      forward,
    );
  });
  return out;
}

/**
 * ‖∂L/∂h_t‖ and ‖∂L/∂c_t‖ per step for `loss` (a function that calls the model once and returns
 * a scalar), with inputs of `batch` examples and `steps` steps into a layer of `units` units.
 */
export function stateGradientNorms(
  layer: rl.layers.Lstm,
  shape: { batch: number; steps: number; units: number },
  loss: () => tf.Scalar,
): PerStep {
  const { batch, steps, units } = shape;
  return tf.tidy(() => {
    const zeros = Array.from({ length: 2 * steps }, () => tf.zeros([batch, units]) as tf.Tensor2D);
    // + 0·Σε: a state the loss never reads (c_T when only h is output) gets a zero gradient, not an error.
    const f = (...eps: tf.Tensor[]): tf.Scalar =>
      tf.add(
        withHook(
          layer,
          (k, h, c) => ({
            h: tf.add(h, eps[k]!) as tf.Tensor2D,
            c: tf.add(c, eps[steps + k]!) as tf.Tensor2D,
          }),
          loss,
        ),
        tf.mul(0, tf.addN(eps.map((e) => tf.sum(e)))),
      ) as tf.Scalar;
    const grads = tf.grads(f)(zeros);
    const norms = grads.map((g) => tf.norm(g).dataSync()[0]!);
    return { h: norms.slice(0, steps), c: norms.slice(steps) };
  });
}
