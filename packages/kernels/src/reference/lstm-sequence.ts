/**
 * Reference fused LSTM over a whole sequence, written with tfjs ops (autodiff gives the backward
 * pass). The native and WebAssembly kernels must match it; it is also the fallback.
 *
 * One step (gate order i, f, c, o as tfjs/Keras; σ = recurrentActivation, φ = activation):
 *   ĥ = h_{t−1} ⊙ m_rec                          (Gal recurrent mask: [B, H] for every step, or step k of [T, B, H])
 *   [a_i a_f a_g a_o] = x_t·W + ĥ·U + b
 *   i = σ(a_i), f = σ(a_f), g = φ(a_g) ⊙ m_cand, o = σ(a_o)   (Semeniuta: only the candidate)
 *   c̃ = f ⊙ c_{t−1} + i ⊙ g,  h̃ = o ⊙ φ(c̃)      (from the un-zoned new cell)
 *   c_t = zoneout(c_{t−1}, c̃),  h_t = zoneout(h_{t−1}, h̃)
 *   padded step (stepMask 0): c_t = c_{t−1}, h_t = h_{t−1}
 *
 * Shapes: see LstmSequenceInputs / LstmSequenceOutputs in ../types.ts.
 * Masks are used as given (the caller draws them only when training). Each step runs in its own
 * tf.tidy; nothing but the three outputs survives the call.
 */
import * as tf from '@tensorflow/tfjs';
import type { LstmSequenceInputs, LstmSequenceOutputs } from '../types.js';
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
 * Optional per-step transforms for normalised LSTMs (layer norm, recurrent batch norm), applied
 * by the layer that owns their parameters; k is the processing step. With hooks the step is
 *   a = normInput(k, x_t·W) + normRecurrent(k, ĥ·U) + b,  h̃ = o ⊙ φ(normCell(k, c̃))
 * and the carried cell stays un-normalised. The fast kernels do not take hooks: only this
 * reference op does. Shapes: the projections arrive as 4 × [B, H] (gates i, f, c, o; together
 * the [B, 4H] pre-activation) and must be returned so; the cell is [B, H].
 */
export interface LstmStepHooks {
  normInput?: (k: number, xw: tf.Tensor2D[]) => tf.Tensor2D[];
  normRecurrent?: (k: number, hu: tf.Tensor2D[]) => tf.Tensor2D[];
  normCell?: (k: number, c: tf.Tensor2D) => tf.Tensor2D;
  /**
   * Observes or perturbs the states after step k (after zoneout and padding): the states it
   * returns are the step's output and the next step's input. For measurements, e.g. ‖∂L/∂h_t‖ as
   * the gradient of an added zero, or the variance of c_t. Runs inside the step's tf.tidy (keep
   * what must outlive it).
   */
  state?: (k: number, h: tf.Tensor2D, c: tf.Tensor2D) => { h: tf.Tensor2D; c: tf.Tensor2D };
}

export function referenceLstmSequence(
  given: LstmSequenceInputs,
  hooks: LstmStepHooks = {},
): LstmSequenceOutputs {
  // Seeded zoneout becomes mask tensors (zoneoutMaskFromSeed's, as the fast kernels draw them).
  const { inputs, created } = materializeSeeded('lstmSequence', given, given.recurrentKernel.shape[0]);
  try {
    return lstmSequenceWithMasks(inputs, hooks);
  } finally {
    tf.dispose(created);
  }
}

function lstmSequenceWithMasks(inputs: LstmSequenceInputs, hooks: LstmStepHooks): LstmSequenceOutputs {
  const { x, h0, c0, kernel, recurrentKernel, bias } = inputs;
  const act = inputs.activation ?? 'tanh';
  const gateAct = inputs.recurrentActivation ?? 'sigmoid';
  const [batch, steps] = x.shape;
  const units = recurrentKernel.shape[0];
  checkLstmShapes(inputs, units);
  const back = inputs.goBackwards === true;

  return tf.tidy(() => {
    const { normInput, normRecurrent, normCell } = hooks; // hooks.state: after each step
    const biasPerStep = normInput !== undefined || normRecurrent !== undefined;
    const b = biasBlocks(bias, 4); // 4 × [H]
    const bRows = biasPerStep ? b.map((bg) => broadcastRows(bg, batch)) : []; // 4 × [B, H]
    const u = gateBlocks(recurrentKernel, 4); // 4 × [H, H] (transposed)
    // Input projections for all steps at once (with the bias, unless a hook must see W·x alone).
    const xw = inputProjections(x, gateBlocks(kernel, 4), biasPerStep ? undefined : b).map((g) =>
      processingOrder(g, back),
    ); // 4 × T × [B, H]
    const keeps = processingOrder(stepColumns(inputs.stepMask, steps, units), back);
    const rec = maskSteps(inputs.recurrentMask, steps);
    const cand = maskSteps(inputs.candidateMask, steps);
    const dc = zoneoutSteps(inputs.zoneoutCell, steps);
    const dh = zoneoutSteps(inputs.zoneoutHidden, steps);

    let h = h0; // [B, H]
    let c = c0; // [B, H]
    const outputs: tf.Tensor2D[] = [];
    for (let k = 0; k < steps; k++) {
      const next = tf.tidy(() => {
        const r = rec[k];
        const hIn = r ? (tf.mul(h, r) as tf.Tensor2D) : h; // [B, H]
        const xk = xw.map((g) => g[k]!); // 4 × [B, H]
        const hu = u.map((ug) => tf.matMul(hIn, ug, false, true) as tf.Tensor2D); // 4 × [B, H]
        const a = biasPerStep
          ? zip3(normInput ? normInput(k, xk) : xk, normRecurrent ? normRecurrent(k, hu) : hu, bRows)
          : xk.map((xg, g) => tf.add(xg, hu[g]!));
        const i = applyActivation(gateAct, a[0]!);
        const f = applyActivation(gateAct, a[1]!);
        let g = applyActivation(act, a[2]!);
        const m = cand[k];
        if (m) g = tf.mul(g, m);
        const o = applyActivation(gateAct, a[3]!);
        const cNew = tf.add(tf.mul(f, c), tf.mul(i, g)) as tf.Tensor2D; // c̃ [B, H]
        const cOut = normCell ? normCell(k, cNew) : cNew; // [B, H]
        const hNew = tf.mul(o, applyActivation(act, cOut)) as tf.Tensor2D; // h̃ [B, H]
        const cZ = zoneoutStep(inputs.zoneoutCell, dc[k], c, cNew);
        const hZ = zoneoutStep(inputs.zoneoutHidden, dh[k], h, hNew);
        const out = { c: carryPadded(keeps[k], c, cZ), h: carryPadded(keeps[k], h, hZ) };
        return hooks.state ? hooks.state(k, out.h, out.c) : out;
      });
      h = next.h;
      c = next.c;
      outputs.push(h);
    }
    return { sequence: stackOutputs(outputs, batch, units), h: tf.clone(h), c: tf.clone(c) };
  });
}

/** x_g + h_g + b_g per gate. */
function zip3(xs: tf.Tensor2D[], hs: tf.Tensor2D[], bs: tf.Tensor2D[]): tf.Tensor[] {
  return xs.map((xg, g) => tf.add(tf.add(xg, hs[g]!), bs[g]!));
}

function checkLstmShapes(inputs: LstmSequenceInputs, units: number): void {
  const { x, h0, c0, kernel, recurrentKernel, bias } = inputs;
  const [batch, , dim] = x.shape;
  checkShapes('lstmSequence', inputs, units, [
    ['kernel', kernel.shape, [dim, 4 * units]],
    ['recurrentKernel', recurrentKernel.shape, [units, 4 * units]],
    ['bias', bias.shape, [4 * units]],
    ['h0', h0.shape, [batch, units]],
    ['c0', c0.shape, [batch, units]],
  ]);
}
