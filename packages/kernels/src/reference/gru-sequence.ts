/**
 * Reference fused GRU over a whole sequence, written with tfjs ops (autodiff gives the backward
 * pass). The native and WebAssembly kernels must match it; it is also the fallback.
 *
 * One step (gate order z, r, h as tfjs/Keras; σ = recurrentActivation, φ = activation):
 *   ĥ = h_{t−1} ⊙ m_rec                                  (Gal recurrent mask, constant across steps)
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

export function referenceGruSequence(given: GruSequenceInputs): GruSequenceOutputs {
  // Seeded zoneout becomes mask tensors (zoneoutMaskFromSeed's, as the fast kernels draw them).
  const { inputs, created } = materializeSeeded('gruSequence', given, given.recurrentKernel.shape[0]);
  try {
    return gruSequenceWithMasks(inputs);
  } finally {
    tf.dispose(created);
  }
}

function gruSequenceWithMasks(inputs: GruSequenceInputs): GruSequenceOutputs {
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
    const [inBias, recBias] = resetAfter
      ? (tf.unstack(bias) as tf.Tensor1D[]) // 2 × [3H]
      : [bias as tf.Tensor1D, undefined];
    const xw = inputProjections(x, gateBlocks(kernel, 3), biasBlocks(inBias!, 3)).map((g) =>
      processingOrder(g, back),
    ); // 3 × T × [B, H]: x_z, x_r, x_h
    const [uz, ur, uh] = gateBlocks(recurrentKernel, 3); // 3 × [H, H] (transposed)
    const br = recBias ? biasBlocks(recBias, 3).map((bg) => broadcastRows(bg, batch)) : undefined; // 3 × [B, H]
    const keeps = processingOrder(stepColumns(inputs.stepMask, steps, units), back);
    const cand = maskSteps(inputs.candidateMask, steps);
    const dh = zoneoutSteps(inputs.zoneoutHidden, steps);
    const rec = (v: tf.Tensor2D, w: tf.Tensor2D, j: number) => {
      const m = tf.matMul(v, w, false, true); // [B, H]
      return br ? tf.add(m, br[j]!) : m;
    };

    let h = h0; // [B, H]
    const outputs: tf.Tensor2D[] = [];
    for (let k = 0; k < steps; k++) {
      h = tf.tidy(() => {
        const hIn = inputs.recurrentMask ? (tf.mul(h, inputs.recurrentMask) as tf.Tensor2D) : h; // [B, H]
        const z = applyActivation(gateAct, tf.add(xw[0]![k]!, rec(hIn, uz!, 0))); // [B, H]
        const r = applyActivation(gateAct, tf.add(xw[1]![k]!, rec(hIn, ur!, 1))); // [B, H]
        const recurrentH = resetAfter
          ? tf.mul(r, rec(hIn, uh!, 2)) // r ⊙ (U_h·ĥ + b'_h)
          : rec(tf.mul(r, hIn) as tf.Tensor2D, uh!, 2); // U_h·(r ⊙ ĥ)
        let hh = applyActivation(act, tf.add(xw[2]![k]!, recurrentH)); // h̃ [B, H]
        const m = cand[k];
        if (m) hh = tf.mul(hh, m);
        const hNew = tf.add(tf.mul(z, h), tf.mul(tf.sub(1, z), hh)) as tf.Tensor2D; // [B, H]
        return carryPadded(keeps[k], h, zoneoutStep(inputs.zoneoutHidden, dh[k], h, hNew));
      });
      outputs.push(h);
    }
    return { sequence: stackOutputs(outputs, batch, units), h: tf.clone(h) };
  });
}
