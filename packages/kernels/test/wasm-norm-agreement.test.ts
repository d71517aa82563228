/**
 * The WebAssembly LSTM and GRU with normalisation inside the cell (layer norm, scopes 'fused' and 'gate';
 * recurrent batch norm, training and inference) against the tfjs reference op with the same
 * normalisation as hooks (./norm-lstm-reference.ts): outputs, the batch statistics per step, and
 * the gradients of every input, γ and β included, for the recurrent options (Gal, Semeniuta,
 * zoneout, padding, goBackwards) and odd sizes (units 1, 7, 33: padding inside the 8-float
 * panels). Also: the same bits on 1 and 2 threads, no WebAssembly memory left in use, the tfjs op
 * path (fusedLstmSequence), and finite differences of the op (eps 3e-3, atol 5e-3, rtol 2e-2: as
 * fused-norm.test.ts does for the native kernels, and for the same reasons).
 * The GRU (reset-after and reset-before, same normalisations) against the reference op driven by the
 * independent oracle (./norm-run.ts, ./norm-oracle.ts, as fused-norm.test.ts checks the native
 * GRU): outputs, batch statistics, every gradient; 1 vs 2 threads, leaks, finite differences.
 * Both cells with per-step recurrent masks (given [T, B, H] or seeded in the kernel) and the
 * per-step state-gradient norms (stateGradientNorms), against the same oracle through the op
 * (./norm-run.ts): every normalisation, 1 vs 2 threads, leaks, finite differences.
 *
 * Tolerances: the plain kernels' (./fused-agreement.ts: outputs atol 1e-5 + rtol 1e-4, gradients
 * atol 1e-4 + rtol 1e-3), gradients of γ and of the weights at 4× that: x̂ is (v − μ)·rstd, and
 * ε = 1e-3 lets rstd reach ~30 where a batch-norm feature barely varies, which multiplies the
 * float32 rounding of v − μ (observed worst cases are logged by allClose on failure).
 */
import { afterAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { allClose, checkGradient, expectNoLeak } from '../../../test/helpers.js';
import { fusedGruSequence, fusedLstmSequence } from '../src/fused/ops.js';
import type { GruSequenceInputs, LstmSequenceInputs, SequenceNormalization } from '../src/types.js';
import { createWasmImpl } from '../src/wasm/impl.js';
import { type CaseOptions, caseTensors, gruCase, lstmCase } from './fused-cases.js';
import { GRAD_TOL, OUT_TOL } from './fused-agreement.js';
import { implRun, type NormOptions, normLstmCase, referenceRun } from './norm-lstm-reference.js';
import { type NormKind, normTensors, randomNormalization, runNorm } from './norm-run.js';

const impl = createWasmImpl();
afterAll(() => impl.dispose());

const WIDE = { atol: 4 * GRAD_TOL.atol, rtol: 4 * GRAD_TOL.rtol };

function expectNormAgree(size: CaseOptions, o: NormOptions, label: string): void {
  const nc = normLstmCase(size, o);
  try {
    const want = referenceRun(nc);
    const got = implRun(impl, nc);
    expect(Object.keys(got).sort(), label).toEqual(Object.keys(want).sort());
    for (const k of Object.keys(want)) {
      const tol = k.startsWith('d') ? (/gamma|beta|kernel|Kernel/.test(k) ? WIDE : GRAD_TOL) : OUT_TOL;
      allClose(got[k]!, want[k]!, tol, `${label}: ${k}`);
    }
  } finally {
    tf.dispose(nc.created);
  }
}

const SIZES: CaseOptions[] = [
  { batch: 3, steps: 4, dim: 5, units: 7 },
  { batch: 2, steps: 2, dim: 1, units: 1 },
  { batch: 4, steps: 3, dim: 4, units: 33 },
];

const OPTIONS: [string, Partial<CaseOptions>][] = [
  ['plain', {}],
  ['Gal + Semeniuta per step', { recurrentMask: true, candidate: 'step' }],
  ['zoneout masks + padding', { zoneout: 'mask', stepMask: true }],
  ['zoneout seeded + goBackwards', { zoneout: 'seeded', goBackwards: true }],
  [
    'zoneout expectation, hardSigmoid gates, relu candidate',
    { zoneout: 'expectation', recurrentActivation: 'hardSigmoid', activation: 'relu' },
  ],
];

const NORMS: [string, NormOptions][] = [
  ['layer norm, fused scope', { kind: 'layer', scope: 'fused' }],
  ['layer norm, per gate', { kind: 'layer', scope: 'gate' }],
  ['batch norm, training', { kind: 'batch', training: true }],
  ['batch norm, inference (more steps than moving rows)', { kind: 'batch', training: false, maxSteps: 2 }],
];

for (const [normLabel, norm] of NORMS) {
  describe(`wasm LSTM with ${normLabel} matches the reference`, () => {
    for (const [label, opts] of OPTIONS) {
      it(label, () => {
        for (const size of SIZES)
          expectNormAgree({ ...size, ...opts }, norm, `${normLabel}, ${label} ${JSON.stringify(size)}`);
      });
    }
  });
}

describe('wasm normalised LSTM', () => {
  it('gives the same bits on 1 and 2 threads and leaves no memory in use', () => {
    for (const norm of [NORMS[0]![1], NORMS[2]![1]]) {
      const nc = normLstmCase(
        { batch: 9, steps: 3, dim: 4, units: 12, zoneout: 'mask', stepMask: true },
        norm,
      );
      impl.setThreads(1);
      const one = implRun(impl, nc);
      impl.setThreads(2);
      const two = implRun(impl, nc);
      for (const k of Object.keys(one))
        expect(Array.from(two[k]!), `${norm.kind}: ${k}`).toEqual(Array.from(one[k]!));
      tf.dispose(nc.created);
    }
    expect(impl.bytesInUse()).toBe(0);
  });
});

describe('wasm normalised LSTM through the tfjs op (fusedLstmSequence)', () => {
  it("gives the impl call's outputs, batch statistics and gradients (γ, β included) as tensors", () => {
    const nc = normLstmCase({ batch: 4, steps: 3, dim: 3, units: 5, zoneout: 'mask' }, { kind: 'batch' });
    const direct = implRun(impl, nc);
    const names = ['x', 'h0', 'c0', 'kernel', 'recurrentKernel', 'bias'] as const;
    const normNames = ['gammaX', 'gammaH', 'gammaC', 'betaC'] as const;
    const got = tf.tidy(() => {
      const ws = tf.randomNormal([4, 3, 5], 0, 1, 'float32', 99);
      const wh = tf.randomNormal([4, 5], 0, 1, 'float32', 98);
      const wc = tf.randomNormal([4, 5], 0, 1, 'float32', 97);
      const run = (ts: tf.Tensor[]) => {
        const inputs = { ...nc.c } as Record<string, unknown>;
        names.forEach((k, i) => (inputs[k] = ts[i]));
        const normalization = { kind: 'batch', training: true } as Record<string, unknown>;
        normNames.forEach((k, i) => (normalization[k] = ts[names.length + i]));
        return fusedLstmSequence(impl, {
          ...(inputs as unknown as Parameters<typeof fusedLstmSequence>[1]),
          normalization: normalization as unknown as SequenceNormalization,
        });
      };
      const all = [...names.map((k) => nc.c[k] as tf.Tensor), ...normNames.map((k) => nc.n[k])];
      const o = run(all);
      const out: Record<string, Float32Array> = {
        sequence: o.sequence.dataSync() as Float32Array,
        'stats.meanC': o.batchStats!.meanC!.dataSync() as Float32Array,
        'stats.varianceX': o.batchStats!.varianceX.dataSync() as Float32Array,
      };
      const loss = (...ts: tf.Tensor[]) => {
        const r = run(ts);
        return tf.addN([
          tf.sum(tf.mul(r.sequence, ws)),
          tf.sum(tf.mul(r.h, wh)),
          tf.sum(tf.mul(r.c, wc)),
        ]) as tf.Scalar;
      };
      tf.grads(loss)(all).forEach(
        (g, i) => (out[`d${[...names, ...normNames][i]!}`] = g.dataSync() as Float32Array),
      );
      return out;
    });
    for (const k of Object.keys(got)) expect(Array.from(got[k]!), k).toEqual(Array.from(direct[k]!));
    tf.dispose(nc.created);
  });
});

describe('wasm normalised LSTM gradients vs finite differences', () => {
  for (const norm of [NORMS[0]!, NORMS[2]!]) {
    it(norm[0], () => {
      const nc = normLstmCase(
        { batch: 4, steps: 2, dim: 2, units: 4, zoneout: 'mask', recurrentMask: true },
        norm[1],
      );
      const w = tf.randomNormal([4, 2, 4], 0, 1, 'float32', 5);
      const normalization = (over: Record<string, tf.Tensor>): SequenceNormalization =>
        ({
          kind: norm[1].kind,
          scope: norm[1].scope,
          training: true,
          ...nc.n,
          ...over,
        }) as SequenceNormalization;
      for (const name of ['gammaX', 'gammaH', 'gammaC', 'betaC', 'x', 'recurrentKernel', 'bias'] as const) {
        const isNorm = name.startsWith('gamma') || name === 'betaC';
        const f = (t: tf.Tensor) => {
          const out = fusedLstmSequence(impl, {
            ...nc.c,
            ...(isNorm ? {} : { [name]: t }),
            normalization: normalization(isNorm ? { [name]: t } : {}),
          });
          return tf.add(tf.sum(tf.mul(out.sequence, w)), tf.sum(out.h)) as tf.Scalar;
        };
        const at = isNorm ? nc.n[name as 'gammaX'] : (nc.c[name as 'x'] as tf.Tensor);
        checkGradient(f, at, { atol: 5e-3, rtol: 2e-2 }, 3e-3, `${norm[0]} d${name}`);
      }
      tf.dispose([w, ...nc.created]);
    });
  }
});

const GRU_NORMS: [string, NormKind][] = [
  ['layer norm, fused scope', { kind: 'layer', scope: 'fused' }],
  ['layer norm, per gate', { kind: 'layer', scope: 'gate' }],
  ['batch norm, training', { kind: 'batch', training: true }],
  ['batch norm, inference (more steps than moving rows)', { kind: 'batch', training: false }],
];
const GRU_OPTIONS: [string, Partial<CaseOptions>][] = [
  ['plain', {}],
  [
    'Gal mask + Semeniuta per step + zoneout masks + padding + goBackwards',
    { recurrentMask: true, candidate: 'step', zoneout: 'mask', stepMask: true, goBackwards: true },
  ],
  ['seeded zoneout + Semeniuta per sequence', { zoneout: 'seeded', candidate: 'sequence' }],
  [
    'zoneout expectation, hardSigmoid gates, relu candidate',
    { zoneout: 'expectation', recurrentActivation: 'hardSigmoid', activation: 'relu' },
  ],
];

function expectGruAgree(o: CaseOptions, after: boolean, kind: NormKind, label: string): void {
  const c = gruCase(o, after);
  const n = randomNormalization(kind, 3, o.units, false);
  try {
    const want = runNorm(null, c, n);
    const got = runNorm(impl, c, n);
    expect(Object.keys(got).sort(), label).toEqual(Object.keys(want).sort());
    for (const k of Object.keys(want)) {
      const tol = k.startsWith('d') ? (/gamma|Kernel|kernel/.test(k) ? WIDE : GRAD_TOL) : OUT_TOL;
      allClose(got[k]!, want[k]!, tol, `${label}: ${k}`);
    }
  } finally {
    tf.dispose([...caseTensors(c), ...normTensors(n)]);
  }
}

for (const after of [true, false]) {
  const variant = after ? 'reset-after' : 'reset-before';
  for (const [normLabel, kind] of GRU_NORMS) {
    describe(`wasm GRU ${variant} with ${normLabel} matches the reference op with the oracle`, () => {
      for (const [label, opts] of GRU_OPTIONS) {
        it(label, () => {
          for (const size of SIZES)
            expectGruAgree(
              { ...size, ...opts },
              after,
              kind,
              `${variant} ${normLabel}, ${label} ${JSON.stringify(size)}`,
            );
        });
      }
    });
  }
}

describe('wasm normalised GRU', () => {
  it('gives the same bits on 1 and 2 threads and leaves no memory in use', () => {
    for (const after of [true, false])
      for (const kind of [GRU_NORMS[0]![1], GRU_NORMS[1]![1], GRU_NORMS[2]![1]]) {
        const o: CaseOptions = { batch: 9, steps: 3, dim: 4, units: 12, zoneout: 'mask', stepMask: true };
        const c = gruCase(o, after);
        const n = randomNormalization(kind, 3, o.units, false);
        impl.setThreads(1);
        const one = runNorm(impl, c, n);
        impl.setThreads(2);
        const two = runNorm(impl, c, n);
        for (const k of Object.keys(one))
          expect(Array.from(two[k]!), `${after} ${kind.kind}: ${k}`).toEqual(Array.from(one[k]!));
        tf.dispose([...caseTensors(c), ...normTensors(n)]);
      }
    expect(impl.bytesInUse()).toBe(0);
  });

  it('leaves tf.memory flat through the op with its gradients', async () => {
    const o: CaseOptions = { batch: 3, steps: 3, dim: 2, units: 4, zoneout: 'seeded' };
    for (const after of [true, false]) {
      const c = gruCase(o, after);
      const n = randomNormalization(GRU_NORMS[2]![1], 3, o.units, false);
      await expectNoLeak(() => runNorm(impl, c, n), `GRU ${after ? 'reset-after' : 'reset-before'}`);
      tf.dispose([...caseTensors(c), ...normTensors(n)]);
    }
  });
});

describe('wasm normalised GRU gradients vs finite differences', () => {
  for (const after of [true, false])
    for (const [label, kind] of [GRU_NORMS[0]!, GRU_NORMS[2]!]) {
      it(`${after ? 'reset-after' : 'reset-before'}, ${label}`, () => {
        const o: CaseOptions = { batch: 3, steps: 3, dim: 2, units: 4, zoneout: 'seeded' };
        const c = gruCase(o, after);
        const n = randomNormalization(kind, 3, 4, false);
        const w = tf.randomNormal([3, 3, 4], 0, 1, 'float32', 5);
        for (const name of ['gammaX', 'gammaH', 'x', 'recurrentKernel', 'bias'] as const) {
          const isNorm = name.startsWith('gamma');
          const f = (t: tf.Tensor) => {
            const out = fusedGruSequence(impl, {
              ...c,
              ...(isNorm ? {} : { [name]: t }),
              normalization: { ...n, ...(isNorm ? { [name]: t } : {}) },
            });
            return tf.add(tf.sum(tf.mul(out.sequence, w)), tf.sum(out.h)) as tf.Scalar;
          };
          const at = isNorm ? n[name as 'gammaX'] : (c[name as 'x'] as tf.Tensor);
          checkGradient(f, at, { atol: 5e-3, rtol: 2e-2 }, 3e-3, `${label} d${name}`);
        }
        tf.dispose([w, ...caseTensors(c), ...normTensors(n)]);
      });
    }
});

describe('wasm normalised LSTM and GRU with per-step masks and state-gradient norms', () => {
  const CELLS = ['lstm', 'gru reset-after', 'gru reset-before'] as const;
  const caseOf = (cell: (typeof CELLS)[number], o: CaseOptions) =>
    cell === 'lstm' ? lstmCase(o) : gruCase(o, cell === 'gru reset-after');
  const PER_STEP: [string, Partial<CaseOptions>][] = [
    [
      'per-step Gal mask given + seeded Semeniuta + padding',
      { recurrentMask: 'step', candidate: 'seeded', stepMask: true },
    ],
    [
      'seeded per-step Gal + Semeniuta per step + seeded zoneout + goBackwards',
      { recurrentMask: 'seeded', candidate: 'step', zoneout: 'seeded', goBackwards: true },
    ],
  ];
  for (const cell of CELLS)
    for (const [normLabel, kind] of GRU_NORMS)
      it(`${cell}, ${normLabel}: outputs, gradients and norms match the reference op with the oracle`, () => {
        for (const [label, opts] of PER_STEP)
          for (const size of [SIZES[0]!, SIZES[2]!]) {
            const o = { ...size, ...opts };
            const c = caseOf(cell, o);
            const n = randomNormalization(kind, cell === 'lstm' ? 4 : 3, o.units, cell === 'lstm');
            try {
              const want = runNorm(null, c, n, true);
              const got = runNorm(impl, c, n, true);
              expect(Object.keys(got).sort(), label).toEqual(Object.keys(want).sort());
              expect(want['dNorm.h']!.some((v) => v > 0.1)).toBe(true); // not a comparison of zeros
              for (const k of Object.keys(want)) {
                const tol = k.startsWith('d')
                  ? /gamma|beta|Kernel|kernel/.test(k)
                    ? WIDE
                    : GRAD_TOL
                  : OUT_TOL;
                allClose(
                  got[k]!,
                  want[k]!,
                  tol,
                  `${cell} ${normLabel}, ${label} ${JSON.stringify(size)}: ${k}`,
                );
              }
            } finally {
              tf.dispose([...caseTensors(c), ...normTensors(n)]);
            }
          }
      });

  it('give the same bits on 1 and 2 threads, leave tf.memory flat and no WebAssembly memory in use', async () => {
    const o: CaseOptions = {
      batch: 9,
      steps: 3,
      dim: 4,
      units: 12,
      recurrentMask: 'seeded',
      candidate: 'step',
    };
    for (const cell of CELLS)
      for (const kind of [GRU_NORMS[0]![1], GRU_NORMS[2]![1]]) {
        const c = caseOf(cell, o);
        const n = randomNormalization(kind, cell === 'lstm' ? 4 : 3, o.units, cell === 'lstm');
        impl.setThreads(1);
        const one = runNorm(impl, c, n, true);
        impl.setThreads(2);
        const two = runNorm(impl, c, n, true);
        for (const k of Object.keys(one))
          expect(Array.from(two[k]!), `${cell} ${kind.kind}: ${k}`).toEqual(Array.from(one[k]!));
        await expectNoLeak(() => runNorm(impl, c, n, true), `${cell} ${kind.kind}`);
        tf.dispose([...caseTensors(c), ...normTensors(n)]);
      }
    expect(impl.bytesInUse()).toBe(0);
  });

  for (const cell of CELLS)
    it(`${cell}, layer norm and batch norm: gradients vs finite differences with seeded per-step masks`, () => {
      const o: CaseOptions = {
        batch: 3,
        steps: 3,
        dim: 2,
        units: 4,
        recurrentMask: 'seeded',
        candidate: 'seeded',
      };
      const lstm = cell === 'lstm';
      for (const [label, kind] of [GRU_NORMS[0]!, GRU_NORMS[2]!]) {
        const c = caseOf(cell, o);
        const n = randomNormalization(kind, lstm ? 4 : 3, 4, lstm);
        const w = tf.randomNormal([3, 3, 4], 0, 1, 'float32', 5);
        for (const name of ['gammaH', 'x', 'recurrentKernel'] as const) {
          const isNorm = name === 'gammaH';
          const f = (t: tf.Tensor) => {
            const cc = { ...c, ...(isNorm ? {} : { [name]: t }) };
            const normalization: SequenceNormalization = isNorm ? { ...n, gammaH: t as tf.Tensor1D } : n;
            const out = lstm
              ? fusedLstmSequence(impl, { ...(cc as LstmSequenceInputs), normalization })
              : fusedGruSequence(impl, { ...(cc as GruSequenceInputs), normalization });
            return tf.add(tf.sum(tf.mul(out.sequence, w)), tf.sum(out.h)) as tf.Scalar;
          };
          const at = isNorm ? n.gammaH : (c[name] as tf.Tensor);
          checkGradient(f, at, { atol: 5e-3, rtol: 2e-2 }, 3e-3, `${cell} ${label} d${name}`);
        }
        tf.dispose([w, ...caseTensors(c), ...normTensors(n)]);
      }
    });
});
