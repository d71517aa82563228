/**
 * Per-step measurements of an `rl.layers.lstm` or `rl.layers.gru` inside a model:
 *
 * - `stateVariance`: Var(h_t) and Var(c_t) over the batch and the units at each step t,
 *     Var(s_t) = mean_{b,j} (s_t[b, j] − mean_{b,j} s_t)², through the layer's `stateHook` (the
 *   call then runs on the tfjs reference op);
 * - `stateGradientNorms`: ‖∂L/∂h_t‖ and ‖∂L/∂c_t‖ (Frobenius norms over batch and units) for a
 *   loss L of the whole forward pass: the gradients of the states after step t (so they include
 *   every path from step t to L, through later steps and the outputs). On the fast kernels (native
 *   or wasm, normalized layers included) their backward pass computes them (the layer's
 *   `gradientNormsHook`, issue 13); otherwise, as the gradients of zeros added to h_t and c_t
 *   through `stateHook` on the reference op. Both give the same numbers to float32 rounding
 *   (recurrent-measures.test.ts: rtol 1e-3).
 *
 * A GRU has no cell: its `c` is empty. Steps k are processing steps (goBackwards: k = 0 is the
 * last input). Both leave no tensors.
 */
import * as tf from '@tensorflow/tfjs';
import * as rl from 'regulab';

/** A recurrent layer these measure: the LSTM (states h, c) or the GRU (state h). */
export type MeasuredLayer = rl.layers.Lstm | rl.layers.Gru;

/** Per-step values of h and c (c empty for a GRU). */
export interface PerStep {
  h: number[];
  c: number[];
}

/** One step's states as the measurements see them: c is null for a GRU. */
type StateHook = (
  k: number,
  h: tf.Tensor2D,
  c: tf.Tensor2D | null,
) => { h: tf.Tensor2D; c: tf.Tensor2D | null };

/** Runs `forward` with `hook` as the layer's state hook, restoring the previous hook afterwards. */
function withHook<T>(layer: MeasuredLayer, hook: StateHook, forward: () => T): T {
  const restore = setStateHook(layer, hook);
  try {
    return forward();
  } finally {
    restore();
  }
}

/** Sets `hook` as the layer's `stateHook` (adapted to its cell's signature); returns the undo. */
function setStateHook(layer: MeasuredLayer, hook: StateHook): () => void {
  if (layer instanceof rl.layers.Lstm) {
    const previous = layer.stateHook;
    layer.stateHook = (k, h, c) => {
      const out = hook(k, h, c);
      return { h: out.h, c: out.c ?? c };
    };
    return () => (layer.stateHook = previous);
  }
  const previous = layer.stateHook;
  layer.stateHook = (k, h) => hook(k, h, null).h;
  return () => (layer.stateHook = previous);
}

/** Var(h_t), Var(c_t) over batch and units per step, during `forward` (which calls the model once). */
export function stateVariance(layer: MeasuredLayer, forward: () => unknown): PerStep {
  const out: PerStep = { h: [], c: [] };
  const variance = (s: tf.Tensor2D): number => tf.moments(s).variance.dataSync()[0]!;
  tf.tidy(() => {
    withHook(
      layer,
      (k, h, c) => {
        out.h[k] = variance(h);
        if (c !== null) out.c[k] = variance(c);
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
  layer: MeasuredLayer,
  shape: { batch: number; steps: number; units: number },
  loss: () => tf.Scalar,
): PerStep {
  return fusedStateGradientNorms(layer, loss) ?? hookStateGradientNorms(layer, shape, loss);
}

/**
 * The norms from the fused kernels' backward pass (one backward through the layer's own weights),
 * or null where the call does not run there: the reference backend, a layer with a stateHook or
 * without trainable weights, or a loss whose backward never reached the layer.
 * Per step: ‖·‖ over batch and units = √(Σ_b n_b²) of the per-example norms n_b the kernels give.
 */
function fusedStateGradientNorms(layer: MeasuredLayer, loss: () => tf.Scalar): PerStep | null {
  const weights = layer.trainable ? layer.trainableWeights.map((w) => w.read() as tf.Variable) : [];
  if (rl.kernels.backend() === 'reference' || layer.stateHook !== null) return null;
  if (weights.length === 0) return null;
  let got: Parameters<NonNullable<MeasuredLayer['gradientNormsHook']>>[0] | null = null;
  const previous = layer.gradientNormsHook;
  layer.gradientNormsHook = (n) => (got = n);
  try {
    tf.tidy(() => {
      const { value, grads } = tf.variableGrads(loss, weights);
      tf.dispose([value, ...Object.values(grads)]);
    });
  } finally {
    layer.gradientNormsHook = previous;
  }
  if (got === null) return null;
  const { steps, batch, h, c } = got;
  const perStep = (n: Float32Array) =>
    Array.from({ length: steps }, (_, k) => {
      let sq = 0;
      for (let b = 0; b < batch; b++) sq += n[k * batch + b]! ** 2;
      return Math.sqrt(sq);
    });
  return { h: perStep(h), c: c === null ? [] : perStep(c) };
}

/** The norms as gradients of zeros added to the states through the reference op's state hook. */
function hookStateGradientNorms(
  layer: MeasuredLayer,
  shape: { batch: number; steps: number; units: number },
  loss: () => tf.Scalar,
): PerStep {
  const { batch, steps, units } = shape;
  const states = layer instanceof rl.layers.Lstm ? 2 : 1;
  return tf.tidy(() => {
    const zeros = Array.from({ length: states * steps }, () => tf.zeros([batch, units]) as tf.Tensor2D);
    // + 0·Σε: a state the loss never reads (c_T when only h is output) gets a zero gradient, not an error.
    const f = (...eps: tf.Tensor[]): tf.Scalar =>
      tf.add(
        withHook(
          layer,
          (k, h, c) => ({
            h: tf.add(h, eps[k]!) as tf.Tensor2D,
            c: c === null ? null : (tf.add(c, eps[steps + k]!) as tf.Tensor2D),
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
