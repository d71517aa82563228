/**
 * Per-step state-gradient norms from the backward pass of the fused kernels (issue 13,
 * `stateGradientNorms`): ‖∂L/∂h_k[b]‖ and ‖∂L/∂c_k[b]‖ over the units for the state after
 * processing step k, against the reference op's definition (the gradient of a zero added to the
 * state after step k through its `state` hook), on the native and WebAssembly backends.
 *
 * Tolerance: atol 1e-4 + rtol 1e-3, the gradient tolerance of fused-agreement.ts (a norm of a
 * gradient rounds no worse than the gradient). Also: identical bits on 1, 2 and 3 native threads
 * (the sums are taken in fixed chunks, whatever the split), and nothing computed or returned when
 * not asked for. The same inside the normalised kernels (layer norm, recurrent batch norm; LSTM,
 * GRU reset-before and reset-after), against the reference op with the normalisation's oracle
 * (./norm-run.ts; the full agreement of those calls: fused-norm.test.ts, wasm-norm-agreement.test.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { allClose } from '../../../test/helpers.js';
import { materializeSeeded } from '../src/fused/materialize-seeded.js';
import type { FusedImpl } from '../src/fused/impl.js';
import { fusedGruSequence, fusedLstmSequence } from '../src/fused/ops.js';
import { loadNativeBinding } from '../src/native/binding.js';
import { nativeImpl } from '../src/native/native-impl.js';
import { referenceGruSequence } from '../src/reference/gru-sequence.js';
import { referenceLstmSequence } from '../src/reference/lstm-sequence.js';
import type { GruSequenceInputs, LstmSequenceInputs, StateGradientNorms } from '../src/types.js';
import { createWasmImpl } from '../src/wasm/impl.js';
import { type CaseOptions, caseTensors, gruCase, lstmCase } from './fused-cases.js';
import { lstmArgs, normLstmCase } from './norm-lstm-reference.js';
import { type NormKind, normTensors, randomNormalization, runNorm } from './norm-run.js';

const { binding } = loadNativeBinding();
const wasm = createWasmImpl();
afterAll(() => wasm.dispose());
const backends: [string, FusedImpl][] = [
  ...(binding ? [['native', nativeImpl(binding)] as [string, FusedImpl]] : []),
  ['wasm', wasm],
];
const TOL = { atol: 1e-4, rtol: 1e-3 };

/** A random linear loss of the outputs (the sequence, when there is one, and the last states). */
function loss(o: { sequence: tf.Tensor; h: tf.Tensor; c?: tf.Tensor }, seed: number): tf.Scalar {
  const w = (t: tf.Tensor, s: number) => tf.sum(tf.mul(t, tf.randomNormal(t.shape, 0, 1, 'float32', s)));
  const parts = [w(o.h, seed + 1)];
  if (o.sequence.size > 0) parts.push(w(o.sequence, seed));
  if (o.c) parts.push(w(o.c, seed + 2));
  return tf.addN(parts) as tf.Scalar;
}

/** Per-example norms [T, B] of the gradients of zeros added to the states (the reference's hook). */
function referenceNorms(
  run: (
    hook: (k: number, h: tf.Tensor2D, c?: tf.Tensor2D) => { h: tf.Tensor2D; c?: tf.Tensor2D },
  ) => tf.Scalar,
  steps: number,
  batch: number,
  units: number,
  cell: boolean,
): { h: Float32Array; c: Float32Array | null } {
  let out: { h: Float32Array; c: Float32Array | null } = { h: new Float32Array(0), c: null };
  tf.tidy(() => {
    const n = cell ? 2 * steps : steps;
    const zeros = Array.from({ length: n }, () => tf.zeros([batch, units]));
    const f = (...eps: tf.Tensor[]) =>
      tf.add(
        run((k, h, c) => ({
          h: tf.add(h, eps[k]!) as tf.Tensor2D,
          c: c && cell ? (tf.add(c, eps[steps + k]!) as tf.Tensor2D) : c,
        })),
        tf.mul(0, tf.addN(eps.map((e) => tf.sum(e)))),
      ) as tf.Scalar;
    const grads = tf.grads(f)(zeros);
    const perExample = (gs: tf.Tensor[]) =>
      Float32Array.from(gs.flatMap((g) => Array.from(tf.norm(g, 'euclidean', 1).dataSync())));
    out = { h: perExample(grads.slice(0, steps)), c: cell ? perExample(grads.slice(steps)) : null };
  });
  return out;
}

function fusedLstmNorms(impl: FusedImpl, c: LstmSequenceInputs, seed: number): StateGradientNorms {
  let got: StateGradientNorms | undefined;
  const inputs = { ...c, stateGradientNorms: (n: StateGradientNorms) => (got = n) };
  tf.tidy(() =>
    tf.grad((x: tf.Tensor) => loss(fusedLstmSequence(impl, { ...inputs, x: x as tf.Tensor3D }), seed))(c.x),
  );
  expect(got, 'the backward pass reported the norms').toBeDefined();
  return got!;
}

function fusedGruNorms(impl: FusedImpl, g: GruSequenceInputs, seed: number): StateGradientNorms {
  let got: StateGradientNorms | undefined;
  const inputs = { ...g, stateGradientNorms: (n: StateGradientNorms) => (got = n) };
  tf.tidy(() =>
    tf.grad((x: tf.Tensor) => loss(fusedGruSequence(impl, { ...inputs, x: x as tf.Tensor3D }), seed))(g.x),
  );
  expect(got).toBeDefined();
  return got!;
}

const CASES: [string, CaseOptions, boolean][] = [
  ['plain', { batch: 3, steps: 4, dim: 2, units: 9 }, true],
  [
    'seeded zoneout, padding, goBackwards, per-step Gal and Semeniuta',
    {
      batch: 4,
      steps: 5,
      dim: 3,
      units: 17,
      zoneout: 'seeded',
      stepMask: true,
      goBackwards: true,
      recurrentMask: 'seeded',
      candidate: 'seeded',
    },
    true,
  ],
  [
    'final states only (no sequence output)',
    { batch: 2, steps: 3, dim: 2, units: 5, recurrentMask: true },
    false,
  ],
];

describe.each(backends)('%s state-gradient norms equal the reference', (_name, impl) => {
  for (const [label, o, sequenceOutput] of CASES) {
    it(`LSTM, ${label}`, () => {
      const c = { ...lstmCase(o), sequenceOutput };
      const got = fusedLstmNorms(impl, c, 40);
      const m = materializeSeeded('lstmSequence', c, o.units);
      const want = referenceNorms(
        (state) => {
          const out = referenceLstmSequence(m.inputs, {
            state: (k, h, cc) => state(k, h, cc) as { h: tf.Tensor2D; c: tf.Tensor2D },
          });
          return loss(sequenceOutput ? out : { ...out, sequence: tf.zeros([0]) }, 40);
        },
        o.steps,
        o.batch,
        o.units,
        true,
      );
      expect([got.steps, got.batch]).toEqual([o.steps, o.batch]);
      allClose(got.h, want.h, TOL, `${label}: ‖∂L/∂h_t‖`);
      allClose(got.c!, want.c!, TOL, `${label}: ‖∂L/∂c_t‖`);
      expect(want.h.some((v) => v > 0.1)).toBe(true); // the comparison is not of zeros
      tf.dispose([...caseTensors(c), ...m.created]);
    });
    for (const resetAfter of [false, true]) {
      it(`GRU (resetAfter ${resetAfter}), ${label}`, () => {
        const g = { ...gruCase(o, resetAfter), sequenceOutput };
        const got = fusedGruNorms(impl, g, 50);
        const m = materializeSeeded('gruSequence', g, o.units);
        const want = referenceNorms(
          (state) => {
            const out = referenceGruSequence(m.inputs, { state: (k, h) => state(k, h).h });
            return loss(sequenceOutput ? out : { ...out, sequence: tf.zeros([0]) }, 50);
          },
          o.steps,
          o.batch,
          o.units,
          false,
        );
        expect(got.c).toBeNull();
        allClose(got.h, want.h, TOL, `${label}: ‖∂L/∂h_t‖`);
        tf.dispose([...caseTensors(g), ...m.created]);
      });
    }
  }

  it('costs nothing when not asked for: backward returns no norms', () => {
    const c = lstmCase({ batch: 2, steps: 3, dim: 2, units: 4 });
    const f = (x: tf.Tensor) => loss(fusedLstmSequence(impl, { ...c, x: x as tf.Tensor3D }), 1);
    tf.grad(f)(c.x).dispose(); // no callback: nothing to report, and the impl is not asked
    const args = {
      dims: { batch: 1, steps: 2, inputDim: 1, units: 2 },
      x: new Float32Array(2),
      kernel: new Float32Array(8),
      recurrentKernel: new Float32Array(16),
      h0: new Float32Array(2),
      c0: new Float32Array(2),
      bias: new Float32Array(8),
      recurrentMask: null,
      candidateMask: null,
      candidatePerStep: false,
      zoneoutHidden: { mode: 'none' } as const,
      zoneoutCell: { mode: 'none' } as const,
      stepMask: null,
      goBackwards: false,
      sequenceOutput: true,
      activation: 2,
      recurrentActivation: 1,
    };
    const fwd = impl.lstmForward(args, true);
    const g = impl.lstmBackward(
      args,
      fwd.tape!,
      new Float32Array(4),
      new Float32Array(2),
      new Float32Array(2),
    );
    expect(g.dhNorms).toBeUndefined();
    expect(g.dcNorms).toBeUndefined();
    tf.dispose(caseTensors(c));
  });
});

describe.each(backends)('%s state-gradient norms with normalization equal the reference', (_name, impl) => {
  const NORMS: [string, NormKind][] = [
    ['layer norm', { kind: 'layer', scope: 'fused' }],
    ['batch norm, training', { kind: 'batch', training: true }],
    ['batch norm, inference', { kind: 'batch', training: false }],
  ];
  const o: CaseOptions = {
    batch: 4,
    steps: 4,
    dim: 3,
    units: 9,
    zoneout: 'seeded',
    stepMask: true,
    goBackwards: true,
    recurrentMask: 'seeded',
    candidate: 'seeded',
  };
  for (const [label, kind] of NORMS)
    for (const cell of ['lstm', 'gru reset-before', 'gru reset-after'] as const)
      it(`${cell}, ${label}, with seeded zoneout, padding, goBackwards, per-step Gal and Semeniuta`, () => {
        const lstm = cell === 'lstm';
        const c = lstm ? lstmCase(o) : gruCase(o, cell === 'gru reset-after');
        const n = randomNormalization(kind, lstm ? 4 : 3, o.units, lstm);
        const got = runNorm(impl, c, n, true);
        const want = runNorm(null, c, n, true);
        allClose(got['dNorm.h']!, want['dNorm.h']!, TOL, `${cell} ${label}: ‖∂L/∂h_t‖`);
        if (lstm) allClose(got['dNorm.c']!, want['dNorm.c']!, TOL, `${cell} ${label}: ‖∂L/∂c_t‖`);
        else expect(got['dNorm.c']).toBeUndefined();
        expect(want['dNorm.h']!.some((v) => v > 0.1)).toBe(true); // the comparison is not of zeros
        tf.dispose([...caseTensors(c), ...normTensors(n)]);
      });

  it('costs nothing when not asked for: a normalised backward returns no norms', () => {
    const nc = normLstmCase(
      { batch: 2, steps: 3, dim: 2, units: 4, recurrentMask: 'seeded' },
      { kind: 'layer' },
    );
    const args = lstmArgs(nc);
    const fwd = impl.lstmForward(args, true);
    const g = impl.lstmBackward(
      args,
      fwd.tape!,
      new Float32Array(2 * 3 * 4),
      new Float32Array(8),
      new Float32Array(8),
    );
    expect(g.norm).toBeDefined();
    expect(g.dhNorms).toBeUndefined();
    expect(g.dcNorms).toBeUndefined();
    tf.dispose(nc.created);
  });
});

describe.skipIf(binding === null)('native state-gradient norms: identical bits on 1, 2 and 3 threads', () => {
  it('units split (B 5, H 70) and rows split (B 50, H 37), LSTM and GRU', () => {
    const impl = nativeImpl(binding!);
    const before = impl.threads();
    try {
      for (const o of [
        { batch: 5, steps: 4, dim: 3, units: 70, zoneout: 'seeded', recurrentMask: 'seeded' },
        { batch: 50, steps: 3, dim: 2, units: 37, stepMask: true },
      ] as CaseOptions[]) {
        const c = lstmCase(o);
        const g = gruCase(o, false);
        const runs = [1, 2, 3].map((n) => {
          impl.setThreads(n);
          const l = fusedLstmNorms(impl, c, 7);
          return [l.h, l.c!, fusedGruNorms(impl, g, 8).h].map((a) => Array.from(a));
        });
        expect(runs[1], `2 vs 1 threads ${JSON.stringify(o)}`).toEqual(runs[0]);
        expect(runs[2], `3 vs 1 threads ${JSON.stringify(o)}`).toEqual(runs[0]);
        tf.dispose([...caseTensors(c), ...caseTensors(g)]);
      }
    } finally {
      impl.setThreads(before);
    }
  });
});
