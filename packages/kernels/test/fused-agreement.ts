/**
 * Agreement of a fast fused backend with the tfjs reference (same inputs, same masks): outputs and
 * the gradients of a random linear loss of every output with respect to every input. Shared by the
 * backend test files (native and WebAssembly).
 *
 * Tolerances (float32): outputs atol 1e-5 + rtol 1e-4. Both sides round each product and sum in
 * float32; a recurrent step sums ≤ 4·33 products of O(1) values, so per-step rounding differences
 * are ~√132·6e-8 ≈ 1e-6 and compound mildly over ≤ 5 steps (observed ≤ 2e-6). Gradients
 * atol 1e-4 + rtol 1e-3: backward through time sums T·B such terms again (observed ≤ 2e-5).
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import { allClose } from '../../../test/helpers.js';
import { materializeSeeded } from '../src/fused/materialize-seeded.js';
import { referenceGruSequence } from '../src/reference/gru-sequence.js';
import { referenceLstmSequence } from '../src/reference/lstm-sequence.js';
import type {
  GruSequenceInputs,
  GruSequenceOutputs,
  LstmSequenceInputs,
  LstmSequenceOutputs,
} from '../src/types.js';
import { type CaseOptions, caseTensors, gruCase, lstmCase } from './fused-cases.js';

export const OUT_TOL = { atol: 1e-5, rtol: 1e-4 };
export const GRAD_TOL = { atol: 1e-4, rtol: 1e-3 };

export type Lstm = (i: LstmSequenceInputs) => LstmSequenceOutputs;
export type Gru = (i: GruSequenceInputs) => GruSequenceOutputs;
/** The reference with seeded zoneout and seeded per-step dropout turned into the same masks. */
export const refLstm: Lstm = (i) => {
  const m = materializeSeeded('lstmSequence', i, i.recurrentKernel.shape[0]);
  return referenceLstmSequence(m.inputs);
};
export const refGru: Gru = (i) => {
  const m = materializeSeeded('gruSequence', i, i.recurrentKernel.shape[0]);
  return referenceGruSequence(m.inputs);
};

/** Outputs and the gradients of a random linear loss of every output w.r.t. every input. */
export function lstmRun(op: Lstm, c: LstmSequenceInputs): Record<string, Float32Array> {
  return tf.tidy(() => {
    const [B, T] = c.x.shape;
    const H = c.recurrentKernel.shape[0];
    const ws = tf.randomNormal([B, T, H], 0, 1, 'float32', 99);
    const wh = tf.randomNormal([B, H], 0, 1, 'float32', 98);
    const wc = tf.randomNormal([B, H], 0, 1, 'float32', 97);
    const names = ['x', 'h0', 'c0', 'kernel', 'recurrentKernel', 'bias'] as const;
    const f = (...ts: tf.Tensor[]) => {
      const inputs = { ...c } as Record<string, unknown>;
      names.forEach((n, i) => (inputs[n] = ts[i]));
      const o = op(inputs as unknown as LstmSequenceInputs);
      return tf.addN([
        tf.sum(tf.mul(o.sequence, ws)),
        tf.sum(tf.mul(o.h, wh)),
        tf.sum(tf.mul(o.c, wc)),
      ]) as tf.Scalar;
    };
    const o = op(c);
    const grads = tf.grads(f)(names.map((n) => c[n]));
    const out: Record<string, Float32Array> = {
      sequence: o.sequence.dataSync() as Float32Array,
      h: o.h.dataSync() as Float32Array,
      c: o.c.dataSync() as Float32Array,
    };
    names.forEach((n, i) => (out[`d${n}`] = grads[i].dataSync() as Float32Array));
    return out;
  });
}

export function gruRun(op: Gru, c: GruSequenceInputs): Record<string, Float32Array> {
  return tf.tidy(() => {
    const [B, T] = c.x.shape;
    const H = c.recurrentKernel.shape[0];
    const ws = tf.randomNormal([B, T, H], 0, 1, 'float32', 99);
    const wh = tf.randomNormal([B, H], 0, 1, 'float32', 98);
    const names = ['x', 'h0', 'kernel', 'recurrentKernel', 'bias'] as const;
    const f = (...ts: tf.Tensor[]) => {
      const inputs = { ...c } as Record<string, unknown>;
      names.forEach((n, i) => (inputs[n] = ts[i]));
      const o = op(inputs as unknown as GruSequenceInputs);
      return tf.add(tf.sum(tf.mul(o.sequence, ws)), tf.sum(tf.mul(o.h, wh))) as tf.Scalar;
    };
    const o = op(c);
    const grads = tf.grads(f)(names.map((n) => c[n]));
    const out: Record<string, Float32Array> = {
      sequence: o.sequence.dataSync() as Float32Array,
      h: o.h.dataSync() as Float32Array,
    };
    names.forEach((n, i) => (out[`d${n}`] = grads[i].dataSync() as Float32Array));
    return out;
  });
}

export function expectAgree(
  got: Record<string, Float32Array>,
  want: Record<string, Float32Array>,
  label: string,
): void {
  for (const k of Object.keys(want)) {
    const grad = /(^|\.)d/.test(k);
    allClose(got[k], want[k], grad ? GRAD_TOL : OUT_TOL, `${label}: ${k}`);
  }
}

export const OPTIONS: [string, Partial<CaseOptions>][] = [
  ['plain', {}],
  ['Gal recurrent mask', { recurrentMask: true }],
  ['Semeniuta per sequence', { candidate: 'sequence' }],
  ['Semeniuta per step', { candidate: 'step' }],
  ['Gal per step', { recurrentMask: 'step' }],
  ['Gal per step, seeded', { recurrentMask: 'seeded' }],
  ['Semeniuta per step, seeded', { candidate: 'seeded' }],
  ['zoneout masks', { zoneout: 'mask' }],
  ['zoneout expectation', { zoneout: 'expectation' }],
  ['zoneout seeded', { zoneout: 'seeded' }],
  ['padding', { stepMask: true }],
  ['goBackwards', { goBackwards: true }],
  [
    'goBackwards + padding + zoneout + Gal',
    { goBackwards: true, stepMask: true, zoneout: 'mask', recurrentMask: true },
  ],
  [
    'goBackwards + padding + seeded zoneout + seeded per-step Gal and Semeniuta',
    { goBackwards: true, stepMask: true, zoneout: 'seeded', recurrentMask: 'seeded', candidate: 'seeded' },
  ],
  ['hardSigmoid gates, relu candidate', { recurrentActivation: 'hardSigmoid', activation: 'relu' }],
  ['linear candidate', { activation: 'linear' }],
];
// Length 1 is compared on the forward pass only: tfjs's Unpack gradient fails for a single output,
// so the reference cannot differentiate a one-step sequence (its fused gradients are checked by
// finite differences in fused-gradcheck.test.ts instead).
export const SIZES: CaseOptions[] = [
  { batch: 3, steps: 4, dim: 5, units: 7 },
  { batch: 1, steps: 2, dim: 1, units: 1 },
  { batch: 2, steps: 3, dim: 4, units: 33 },
];
export const ONE_STEP: CaseOptions = { batch: 2, steps: 1, dim: 3, units: 7 };

export function forwardOnly(
  got: { sequence: tf.Tensor; h: tf.Tensor; c?: tf.Tensor },
  want: { sequence: tf.Tensor; h: tf.Tensor; c?: tf.Tensor },
  label: string,
): void {
  allClose(got.sequence, want.sequence, OUT_TOL, `${label}: sequence`);
  allClose(got.h, want.h, OUT_TOL, `${label}: h`);
  if (want.c) allClose(got.c!, want.c, OUT_TOL, `${label}: c`);
  tf.dispose([got.sequence, got.h, want.sequence, want.h, ...(want.c ? [want.c, got.c!] : [])]);
}

export function prefix(r: Record<string, Float32Array>, p: string): Record<string, Float32Array> {
  return Object.fromEntries(Object.entries(r).map(([k, v]) => [`${p}.${k}`, v]));
}

/**
 * With sequenceOutput false the op returns an empty [B, 0, H] sequence; the final states and the
 * gradients of a loss on them must equal those of the reference with the full sequence.
 */
export function expectFinalStatesOnly(lstm: Lstm, gru: Gru, label: string): void {
  const o: CaseOptions = { batch: 4, steps: 6, dim: 3, units: 9, zoneout: 'seeded', stepMask: true };
  const finalsAndGrads = (run: () => { h: tf.Tensor; c?: tf.Tensor }, xs: tf.Tensor[]) =>
    tf.tidy(() => {
      const f = () => {
        const r = run();
        return (r.c ? tf.add(tf.sum(tf.mul(r.h, 1.5)), tf.sum(r.c)) : tf.sum(tf.mul(r.h, 1.5))) as tf.Scalar;
      };
      const { value, grads } = tf.variableGrads(f, xs as tf.Variable[]);
      return [value, ...Object.values(grads)].map((t) => Float32Array.from(t.dataSync()));
    });
  // The case with its weights as variables (the gradients' targets) and sequenceOutput set.
  const weightsOf = <C extends LstmSequenceInputs | GruSequenceInputs>(c: C) => {
    const vars = [tf.variable(c.kernel), tf.variable(c.recurrentKernel), tf.variable(c.bias)];
    const inputs = (seq: boolean): C => ({
      ...c,
      kernel: vars[0] as tf.Tensor2D,
      recurrentKernel: vars[1] as tf.Tensor2D,
      bias: vars[2] as C['bias'],
      sequenceOutput: seq,
    });
    return { vars, inputs };
  };
  const c = lstmCase(o);
  const { vars, inputs: withVars } = weightsOf(c);
  const short = lstm(withVars(false));
  expect(short.sequence.shape, label).toEqual([4, 0, 9]);
  tf.dispose([short.sequence, short.h, short.c]);
  const got = finalsAndGrads(() => lstm(withVars(false)), vars);
  const want = finalsAndGrads(() => refLstm(withVars(true)), vars);
  got.forEach((g, i) => expectAgree({ v: g }, { v: want[i] }, `${label} lstm final-state #${i}`));
  tf.dispose([...vars, ...caseTensors(c)]);

  for (const resetAfter of [false, true]) {
    const g = gruCase(o, resetAfter);
    const { vars: gv, inputs: gin } = weightsOf(g);
    const gg = finalsAndGrads(() => gru(gin(false)), gv);
    const gw = finalsAndGrads(() => refGru(gin(true)), gv);
    gg.forEach((a, i) => expectAgree({ v: a }, { v: gw[i] }, `${label} gru resetAfter ${resetAfter} #${i}`));
    tf.dispose([...gv, ...caseTensors(g)]);
  }
}
