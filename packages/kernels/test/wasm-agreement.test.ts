/**
 * The WebAssembly fused LSTM/GRU against the tfjs reference (same inputs, same masks): forward
 * outputs and the gradients of every input, for each option and odd sizes (units 1, 7, 33;
 * batch 1; length 1), on the default build (relaxed SIMD where available, 2 threads).
 * Tolerances and their derivation: ./fused-agreement.ts (the WebAssembly exp/tanh add ≤ 2 ulp).
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, it } from 'vitest';
import { fusedGruSequence, fusedLstmSequence } from '../src/fused/ops.js';
import { createWasmImpl } from '../src/wasm/impl.js';
import { caseTensors, gruCase, lstmCase } from './fused-cases.js';
import {
  expectFinalStatesOnly,
  type Gru,
  type Lstm,
  expectAgree,
  forwardOnly,
  gruRun,
  lstmRun,
  ONE_STEP,
  OPTIONS,
  refGru,
  refLstm,
  SIZES,
} from './fused-agreement.js';

const impl = createWasmImpl();
afterAll(() => impl.dispose());
const wasmLstm: Lstm = (i) => fusedLstmSequence(impl, i);
const wasmGru: Gru = (i) => fusedGruSequence(impl, i);

describe('wasm fused LSTM matches the reference', () => {
  for (const [label, opts] of OPTIONS) {
    it(label, () => {
      for (const size of SIZES) {
        const c = lstmCase({ ...size, ...opts });
        expectAgree(lstmRun(wasmLstm, c), lstmRun(refLstm, c), `${label} ${JSON.stringify(size)}`);
        tf.dispose(caseTensors(c));
      }
      const one = lstmCase({ ...ONE_STEP, ...opts });
      forwardOnly(wasmLstm(one), refLstm(one), `${label}, one step`);
      tf.dispose(caseTensors(one));
    });
  }
});

describe('wasm fused GRU matches the reference', () => {
  for (const resetAfter of [false, true]) {
    for (const [label, opts] of OPTIONS) {
      it(`${label}, resetAfter ${resetAfter}`, () => {
        for (const size of SIZES) {
          const c = gruCase({ ...size, ...opts }, resetAfter);
          expectAgree(gruRun(wasmGru, c), gruRun(refGru, c), `${label} ${JSON.stringify(size)}`);
          tf.dispose(caseTensors(c));
        }
        const one = gruCase({ ...ONE_STEP, ...opts }, resetAfter);
        forwardOnly(wasmGru(one), refGru(one), `${label}, one step`);
        tf.dispose(caseTensors(one));
      });
    }
  }
});

describe('wasm fused ops without sequenceOutput', () => {
  it('return an empty sequence and the same states and gradients as the reference', () => {
    expectFinalStatesOnly(wasmLstm, wasmGru, 'wasm');
  });
});
