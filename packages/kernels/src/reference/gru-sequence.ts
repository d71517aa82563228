/**
 * Reference fused GRU over a whole sequence, written with tfjs ops (autodiff gives the backward
 * pass). The native and WebAssembly kernels must match it; it is also the fallback.
 *
 * One step (gate order z, r, h as tfjs/Keras; σ = recurrentActivation, φ = activation):
 *   ĥ = h_{t−1} ⊙ m_rec                                  (Gal recurrent mask: [B, H] for every step, or step k of [T, B, H])
 *   [x_z x_r x_h] = x_t·W + b_in
 *   reset-before (tfjs): z = σ(x_z + ĥ·U_z), r = σ(x_r + ĥ·U_r), h̃ = φ(x_h + (r ⊙ ĥ)·U_h)
 *   reset-after (Keras default): [u_z u_r u_h] = ĥ·U + b_rec,
 *                         z = σ(x_z + u_z), r = σ(x_r + u_r), h̃ = φ(x_h + r ⊙ u_h)
 *   h̃ ← h̃ ⊙ m_cand                                      (Semeniuta: only the candidate)
 *   h_new = z ⊙ h_{t−1} + (1 − z) ⊙ h̃;  h_t = zoneout(h_{t−1}, h_new)
 *   padded step (stepMask 0): h_t = h_{t−1}
 *
 * Shapes: see GruSequenceInputs / GruSequenceOutputs in ../types.ts. Bias [3H] (reset-before) or
 * [2, 3H] (reset-after: row 0 input bias, row 1 recurrent bias).
 * With GruStepHooks (normalised GRUs) the projections pass through the hooks before the biases
 * are added; the carried h is never normalised.
 */
import * as tf from '@tensorflow/tfjs';
import type { GruSequenceInputs, GruSequenceOutputs } from '../types.js';
import { materializeSeeded } from '../fused/materialize-seeded.js';
import { applyActivation } from './activations.js';
import { checkShapes } from './check-shapes.js';
import {
  biasBlocks,
  broadcastRows,
  carryPadded,
  gateBlocks,
  inputProjections,
  maskSteps,
  processingOrder,
  stackOutputs,
  stepColumns,
  zoneoutStep,
  zoneoutSteps,
} from './state-update.js';

/**
 * Optional per-step transforms for normalised GRUs (layer norm, recurrent batch norm), applied by
 * the layer that owns their parameters; k is the processing step. With hooks the step is
 *   [a_z a_r a_h] = normInput(k, x_t·W) + b_in
 *   reset-after:  [u_z u_r u_h] = normRecurrent(k, ĥ·U, 0) + b_rec
 *   reset-before: [u_z u_r] = normRecurrent(k, [ĥ·U_z, ĥ·U_r], 0),
 *                 u_h = normRecurrent(k, [(r ⊙ ĥ)·U_h], 2)   (known only once r is)
 *   z = σ(a_z + u_z), r = σ(a_r + u_r), h̃ = φ(a_h + u_h) (reset-before) or φ(a_h + r ⊙ u_h) (reset-after)
 * The fast kernels do not take hooks: only this reference op does. Shapes: the projections arrive
 * as blocks of [B, H] — `first` is the gate index of the first block (0 = z, 1 = r, 2 = h) — and
 * must be returned so.
 */
export interface GruStepHooks {
  normInput?: (k: number, xw: tf.Tensor2D[]) => tf.Tensor2D[];
  normRecurrent?: (k: number, hu: tf.Tensor2D[], first: number) => tf.Tensor2D[];
  /**
   * Observes or perturbs the state after step k (after zoneout and padding), as LstmStepHooks.state:
   * the h it returns is the step's output and the next step's input (e.g. ‖∂L/∂h_t‖ as the
   * gradient of an added zero). Runs inside the step's tf.tidy.
   */
  state?: (k: number, h: tf.Tensor2D) => tf.Tensor2D;
}

export function referenceGruSequence(given: GruSequenceInputs, hooks: GruStepHooks = {}): GruSequenceOutputs {
  // Seeded zoneout becomes mask tensors (zoneoutMaskFromSeed's, as the fast kernels draw them).
  const { inputs, created } = materializeSeeded('gruSequence', given, given.recurrentKernel.shape[0]);
  try {
    return gruSequenceWithMasks(inputs, hooks);
  } finally {
    tf.dispose(created);
  }
}

function gruSequenceWithMasks(inputs: GruSequenceInputs, hooks: GruStepHooks): GruSequenceOutputs {
  const { x, h0, kernel, recurrentKernel, bias, resetAfter } = inputs;
  const act = inputs.activation ?? 'tanh';
  const gateAct = inputs.recurrentActivation ?? 'sigmoid';
  const [batch, steps, dim] = x.shape;
  const units = recurrentKernel.shape[0];
  checkShapes('gruSequence', inputs, units, [
    ['kernel', kernel.shape, [dim, 3 * units]],
    ['recurrentKernel', recurrentKernel.shape, [units, 3 * units]],
    ['bias', bias.shape, resetAfter ? [2, 3 * units] : [3 * units]],
    ['h0', h0.shape, [batch, units]],
  ]);
  const back = inputs.goBackwards === true;

  return tf.tidy(() => {
    const { normInput, normRecurrent } = hooks;
    const [inBias, recBias] = resetAfter
      ? (tf.unstack(bias) as tf.Tensor1D[]) // 2 × [3H]
      : [bias as tf.Tensor1D, undefined];
    const bIn = biasBlocks(inBias!, 3); // 3 × [H]
    // Input projections for all steps at once (with the bias, unless a hook must see W·x alone).
    const xw = inputProjections(x, gateBlocks(kernel, 3), normInput ? undefined : bIn).map((g) =>
      processingOrder(g, back),
    ); // 3 × T × [B, H]: x_z, x_r, x_h
    const bInRows = normInput ? bIn.map((bg) => broadcastRows(bg, batch)) : []; // 3 × [B, H]
    const [uz, ur, uh] = gateBlocks(recurrentKernel, 3); // 3 × [H, H] (transposed)
    const br = recBias ? biasBlocks(recBias, 3).map((bg) => broadcastRows(bg, batch)) : undefined; // 3 × [B, H]
    const keeps = processingOrder(stepColumns(inputs.stepMask, steps, units), back);
    const rec = maskSteps(inputs.recurrentMask, steps);
    const cand = maskSteps(inputs.candidateMask, steps);
    const dh = zoneoutSteps(inputs.zoneoutHidden, steps);
    const proj = (v: tf.Tensor2D, w: tf.Tensor2D) => tf.matMul(v, w, false, true) as tf.Tensor2D; // [B, H]

    let h = h0; // [B, H]
    const outputs: tf.Tensor2D[] = [];
    for (let k = 0; k < steps; k++) {
      h = tf.tidy(() => {
        const norm = (v: tf.Tensor2D[], first: number) => (normRecurrent ? normRecurrent(k, v, first) : v);
        const r = rec[k];
        const hIn = r ? (tf.mul(h, r) as tf.Tensor2D) : h; // [B, H]
        const xRaw = xw.map((g) => g[k]!); // 3 × [B, H]
        const xk = normInput ? normInput(k, xRaw).map((v, g) => tf.add(v, bInRows[g]!)) : xRaw;
        let z: tf.Tensor; // [B, H]
        let recurrentH: tf.Tensor; // [B, H]
        if (resetAfter) {
          // [u_z u_r u_h] = N(ĥ·U) + b'
          const hu = norm([proj(hIn, uz!), proj(hIn, ur!), proj(hIn, uh!)], 0).map((v, g) =>
            tf.add(v, br![g]!),
          );
          z = applyActivation(gateAct, tf.add(xk[0]!, hu[0]!));
          const r = applyActivation(gateAct, tf.add(xk[1]!, hu[1]!));
          recurrentH = tf.mul(r, hu[2]!); // r ⊙ (U_h·ĥ + b'_h)
        } else {
          const [hz, hr] = norm([proj(hIn, uz!), proj(hIn, ur!)], 0);
          z = applyActivation(gateAct, tf.add(xk[0]!, hz!));
          const r = applyActivation(gateAct, tf.add(xk[1]!, hr!));
          recurrentH = norm([proj(tf.mul(r, hIn) as tf.Tensor2D, uh!)], 2)[0]!; // U_h·(r ⊙ ĥ)
        }
        let hh = applyActivation(act, tf.add(xk[2]!, recurrentH)); // h̃ [B, H]
        const m = cand[k];
        if (m) hh = tf.mul(hh, m);
        const hNew = tf.add(tf.mul(z, h), tf.mul(tf.sub(1, z), hh)) as tf.Tensor2D; // [B, H]
        const out = carryPadded(keeps[k], h, zoneoutStep(inputs.zoneoutHidden, dh[k], h, hNew));
        return hooks.state ? hooks.state(k, out) : out;
      });
      outputs.push(h);
    }
    return { sequence: stackOutputs(outputs, batch, units), h: tf.clone(h) };
  });
}
