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
import { carryPadded, stepSlice, stepsOf, zoneoutStep } from './state-update.js';

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

  return tf.tidy(() => {
    const [inBias, recBias] = resetAfter
      ? (tf.unstack(bias, 0) as tf.Tensor1D[]) // 2 × [3H]
      : [bias as tf.Tensor1D, undefined];
    const xw = tf.reshape(
      tf.add(tf.matMul(tf.reshape(x, [batch * steps, dim]), kernel), inBias), // [B·T, 3H]
      [batch, steps, 3 * units],
    ) as tf.Tensor3D; // [B, T, 3H]
    const { inputs: xs, keeps } = stepsOf(xw, inputs.stepMask, inputs.goBackwards === true);
    const [uzr, uh] = tf.split(recurrentKernel, [2 * units, units], 1); // [H, 2H], [H, H]

    let h = h0; // [B, H]
    const outputs: tf.Tensor2D[] = [];
    for (let k = 0; k < steps; k++) {
      h = tf.tidy(() => {
        const hIn = inputs.recurrentMask ? tf.mul(h, inputs.recurrentMask) : h; // [B, H]
        const [xzr, xh] = tf.split(xs[k], [2 * units, units], 1); // [B, 2H], [B, H]
        let candidate: tf.Tensor; // [B, H] before φ
        let zr: tf.Tensor; // [B, 2H] before σ
        if (recBias !== undefined) {
          const u = tf.add(tf.matMul(hIn, recurrentKernel), recBias); // [B, 3H]
          const [u_zr, u_h] = tf.split(u, [2 * units, units], 1);
          zr = tf.add(xzr, u_zr);
          const r = applyActivation(gateAct, tf.slice(zr, [0, units], [batch, units]));
          candidate = tf.add(xh, tf.mul(r, u_h));
        } else {
          zr = tf.add(xzr, tf.matMul(hIn, uzr));
          const r = applyActivation(gateAct, tf.slice(zr, [0, units], [batch, units]));
          candidate = tf.add(xh, tf.matMul(tf.mul(r, hIn), uh));
        }
        const z = applyActivation(gateAct, tf.slice(zr, [0, 0], [batch, units])); // [B, H]
        let hh = applyActivation(act, candidate); // h̃ [B, H]
        if (inputs.candidateMask) hh = tf.mul(hh, stepSlice(inputs.candidateMask, k));
        const hNew = tf.add(tf.mul(z, h), tf.mul(tf.sub(1, z), hh)) as tf.Tensor2D; // [B, H]
        return carryPadded(keeps[k], h, zoneoutStep(inputs.zoneoutHidden, k, h, hNew));
      });
      outputs.push(h);
    }
    const sequence = steps === 0 ? tf.zeros([batch, 0, units]) : tf.stack(outputs, 1); // [B, T, H]
    return { sequence: sequence as tf.Tensor3D, h: tf.clone(h) };
  });
}
