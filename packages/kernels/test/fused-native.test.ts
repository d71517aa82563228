/**
 * The native fused LSTM/GRU against the tfjs reference (same inputs, same masks): forward outputs
 * and the gradients of every input, for each option, odd sizes, thread counts and instruction sets.
 *
 * Tolerances (float32): outputs atol 1e-5 + rtol 1e-4. Both sides round each product and sum in
 * float32; a recurrent step sums ≤ 4·33 products of O(1) values, so per-step rounding differences
 * are ~√132·6e-8 ≈ 1e-6 and compound mildly over ≤ 5 steps (observed ≤ 2e-6). Gradients
 * atol 1e-4 + rtol 1e-3: backward through time sums T·B such terms again (observed ≤ 2e-5).
 * Skipped, with a message, where the addon is not built.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { allClose } from '../../../test/helpers.js';
import { fusedGruSequence, fusedLstmSequence } from '../src/fused/ops.js';
import { loadNativeBinding } from '../src/native/binding.js';
import { nativeImpl } from '../src/native/native-impl.js';
import { referenceGruSequence } from '../src/reference/gru-sequence.js';
import { referenceLstmSequence } from '../src/reference/lstm-sequence.js';
import { materializeSeeded } from '../src/fused/materialize-seeded.js';
import type {
  GruSequenceInputs,
  GruSequenceOutputs,
  LstmSequenceInputs,
  LstmSequenceOutputs,
} from '../src/types.js';
import { type CaseOptions, caseTensors, gruCase, lstmCase } from './fused-cases.js';

const { binding, reason } = loadNativeBinding();
if (binding === null) console.warn(`fused-native tests skipped: native addon not built (${reason})`);
const impl = binding ? nativeImpl(binding) : null;

const OUT_TOL = { atol: 1e-5, rtol: 1e-4 };
const GRAD_TOL = { atol: 1e-4, rtol: 1e-3 };

type Lstm = (i: LstmSequenceInputs) => LstmSequenceOutputs;
type Gru = (i: GruSequenceInputs) => GruSequenceOutputs;
const nativeLstm: Lstm = (i) => fusedLstmSequence(impl!, i);
const nativeGru: Gru = (i) => fusedGruSequence(impl!, i);
/** The reference with seeded zoneout turned into the same masks. */
const refLstm: Lstm = (i) => {
  const m = materializeSeeded('lstmSequence', i, i.recurrentKernel.shape[0]);
  return referenceLstmSequence(m.inputs);
};
const refGru: Gru = (i) => {
  const m = materializeSeeded('gruSequence', i, i.recurrentKernel.shape[0]);
  return referenceGruSequence(m.inputs);
};

/** Outputs and the gradients of a random linear loss of every output w.r.t. every input. */
function lstmRun(op: Lstm, c: LstmSequenceInputs): Record<string, Float32Array> {
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

function gruRun(op: Gru, c: GruSequenceInputs): Record<string, Float32Array> {
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

function expectAgree(
  got: Record<string, Float32Array>,
  want: Record<string, Float32Array>,
  label: string,
): void {
  for (const k of Object.keys(want)) {
    const grad = /(^|\.)d/.test(k);
    allClose(got[k], want[k], grad ? GRAD_TOL : OUT_TOL, `${label}: ${k}`);
  }
}

const OPTIONS: [string, Partial<CaseOptions>][] = [
  ['plain', {}],
  ['Gal recurrent mask', { recurrentMask: true }],
  ['Semeniuta per sequence', { candidate: 'sequence' }],
  ['Semeniuta per step', { candidate: 'step' }],
  ['zoneout masks', { zoneout: 'mask' }],
  ['zoneout expectation', { zoneout: 'expectation' }],
  ['zoneout seeded', { zoneout: 'seeded' }],
  ['padding', { stepMask: true }],
  ['goBackwards', { goBackwards: true }],
  [
    'goBackwards + padding + zoneout + Gal',
    { goBackwards: true, stepMask: true, zoneout: 'mask', recurrentMask: true },
  ],
  ['hardSigmoid gates, relu candidate', { recurrentActivation: 'hardSigmoid', activation: 'relu' }],
  ['linear candidate', { activation: 'linear' }],
];
// Length 1 is compared on the forward pass only: tfjs's Unpack gradient fails for a single output,
// so the reference cannot differentiate a one-step sequence (its fused gradients are checked by
// finite differences in fused-gradcheck.test.ts instead).
const SIZES: CaseOptions[] = [
  { batch: 3, steps: 4, dim: 5, units: 7 },
  { batch: 1, steps: 2, dim: 1, units: 1 },
  { batch: 2, steps: 3, dim: 4, units: 33 },
];
const ONE_STEP: CaseOptions = { batch: 2, steps: 1, dim: 3, units: 7 };

function forwardOnly(
  got: { sequence: tf.Tensor; h: tf.Tensor; c?: tf.Tensor },
  want: { sequence: tf.Tensor; h: tf.Tensor; c?: tf.Tensor },
  label: string,
): void {
  allClose(got.sequence, want.sequence, OUT_TOL, `${label}: sequence`);
  allClose(got.h, want.h, OUT_TOL, `${label}: h`);
  if (want.c) allClose(got.c!, want.c, OUT_TOL, `${label}: c`);
  tf.dispose([got.sequence, got.h, want.sequence, want.h, ...(want.c ? [want.c, got.c!] : [])]);
}

describe.skipIf(impl === null)('native fused LSTM matches the reference', () => {
  for (const [label, opts] of OPTIONS) {
    it(label, () => {
      for (const size of SIZES) {
        const c = lstmCase({ ...size, ...opts });
        expectAgree(lstmRun(nativeLstm, c), lstmRun(refLstm, c), `${label} ${JSON.stringify(size)}`);
        tf.dispose(caseTensors(c));
      }
      const one = lstmCase({ ...ONE_STEP, ...opts });
      forwardOnly(nativeLstm(one), refLstm(one), `${label}, one step`);
      tf.dispose(caseTensors(one));
    });
  }
});

describe.skipIf(impl === null)('native fused GRU matches the reference', () => {
  for (const resetAfter of [false, true]) {
    for (const [label, opts] of OPTIONS) {
      it(`${label}, resetAfter ${resetAfter}`, () => {
        for (const size of SIZES) {
          const c = gruCase({ ...size, ...opts }, resetAfter);
          expectAgree(gruRun(nativeGru, c), gruRun(refGru, c), `${label} ${JSON.stringify(size)}`);
          tf.dispose(caseTensors(c));
        }
        const one = gruCase({ ...ONE_STEP, ...opts }, resetAfter);
        forwardOnly(nativeGru(one), refGru(one), `${label}, one step`);
        tf.dispose(caseTensors(one));
      });
    }
  }
});

describe.skipIf(impl === null)('native kernels: threads and instruction sets', () => {
  const big: CaseOptions = { batch: 5, steps: 6, dim: 3, units: 70, zoneout: 'seeded', recurrentMask: true };

  it('gives bit-identical results with 1 and 2 threads (each element is summed in the same order)', () => {
    const c = lstmCase(big);
    const g = gruCase(big, false);
    const before = impl!.threads();
    try {
      impl!.setThreads(1);
      const one = { ...lstmRun(nativeLstm, c), ...prefix(gruRun(nativeGru, g), 'gru') };
      impl!.setThreads(2);
      const two = { ...lstmRun(nativeLstm, c), ...prefix(gruRun(nativeGru, g), 'gru') };
      for (const k of Object.keys(one)) expect(Array.from(two[k]), k).toEqual(Array.from(one[k]));
    } finally {
      impl!.setThreads(before);
      tf.dispose([...caseTensors(c), ...caseTensors(g)]);
    }
  });

  it('gives the same results on every lower instruction set as on the best one', () => {
    const c = lstmCase(big);
    const g = gruCase(big, true);
    const best = impl!.isa();
    try {
      const want = { ...lstmRun(nativeLstm, c), ...prefix(gruRun(nativeGru, g), 'gru') };
      for (const isa of ['avx2', 'baseline']) {
        if (!impl!.setIsa(isa)) continue; // not supported by this CPU
        expect(impl!.isa()).toBe(isa);
        const got = { ...lstmRun(nativeLstm, c), ...prefix(gruRun(nativeGru, g), 'gru') };
        // FMA contraction differs between instruction sets: float32 rounding only.
        expectAgree(got, want, `isa ${isa} vs ${best}`);
      }
      expect(impl!.setIsa('no-such-isa')).toBe(false);
    } finally {
      impl!.setIsa('best');
      tf.dispose([...caseTensors(c), ...caseTensors(g)]);
    }
  });
});

function prefix(r: Record<string, Float32Array>, p: string): Record<string, Float32Array> {
  return Object.fromEntries(Object.entries(r).map(([k, v]) => [`${p}.${k}`, v]));
}
