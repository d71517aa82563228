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
import { lstmSequence, setKernelBackend } from '../src/dispatch.js';
import { fusedGruSequence, fusedLstmSequence } from '../src/fused/ops.js';
import { loadNativeBinding } from '../src/native/binding.js';
import { nativeImpl } from '../src/native/native-impl.js';
import {
  type Gru,
  type Lstm,
  ONE_STEP,
  OPTIONS,
  SIZES,
  expectAgree,
  expectFinalStatesOnly,
  forwardOnly,
  gruRun,
  lstmRun,
  prefix,
  refGru,
  refLstm,
} from './fused-agreement.js';
import { type CaseOptions, caseTensors, gruCase, lstmCase } from './fused-cases.js';

const { binding, reason } = loadNativeBinding();
if (binding === null) console.warn(`fused-native tests skipped: native addon not built (${reason})`);
const impl = binding ? nativeImpl(binding) : null;

const nativeLstm: Lstm = (i) => fusedLstmSequence(impl!, i);
const nativeGru: Gru = (i) => fusedGruSequence(impl!, i);

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

describe.skipIf(impl === null)('native kernels: batch split and final-state-only calls', () => {
  it('split the batch over 2 threads (B 50, LSTM and both GRUs): agree with the reference, bit-identical to 1 thread', () => {
    // B ≥ 4·threads: each thread runs every step of its rows (split_rows); B 5 above splits units.
    const cases: CaseOptions[] = [
      { batch: 50, steps: 5, dim: 3, units: 20 },
      {
        batch: 50,
        steps: 4,
        dim: 2,
        units: 37,
        zoneout: 'seeded',
        recurrentMask: true,
        stepMask: true,
        goBackwards: true,
      },
      { batch: 49, steps: 3, dim: 1, units: 100, zoneout: 'mask', candidate: 'step' },
    ];
    const before = impl!.threads();
    try {
      for (const o of cases) {
        const c = lstmCase(o);
        impl!.setThreads(2);
        const two = lstmRun(nativeLstm, c);
        expectAgree(two, lstmRun(refLstm, c), `rows ${JSON.stringify(o)}`);
        impl!.setThreads(1);
        const one = lstmRun(nativeLstm, c);
        for (const k of Object.keys(one))
          expect(Array.from(two[k]), `${k} ${JSON.stringify(o)}`).toEqual(Array.from(one[k]));
        tf.dispose(caseTensors(c));
        for (const resetAfter of [false, true]) {
          const g = gruCase(o, resetAfter);
          impl!.setThreads(2);
          const gTwo = gruRun(nativeGru, g);
          expectAgree(gTwo, gruRun(refGru, g), `gru rows resetAfter ${resetAfter} ${JSON.stringify(o)}`);
          impl!.setThreads(1);
          const gOne = gruRun(nativeGru, g);
          for (const k of Object.keys(gOne))
            expect(Array.from(gTwo[k]), `gru ${k}`).toEqual(Array.from(gOne[k]));
          tf.dispose(caseTensors(g));
        }
      }
    } finally {
      impl!.setThreads(before);
    }
  });

  it('without sequenceOutput return an empty sequence and the same states and gradients', () => {
    expectFinalStatesOnly(nativeLstm, nativeGru, 'native');
    setKernelBackend('reference'); // the dispatcher's reference path drops the sequence too
    const c = lstmCase({ batch: 2, steps: 3, dim: 2, units: 5 });
    const out = lstmSequence({ ...c, sequenceOutput: false });
    setKernelBackend('auto');
    expect(out.sequence.shape).toEqual([2, 0, 5]);
    tf.dispose([out.sequence, out.h, out.c, ...caseTensors(c)]);
  });
});
