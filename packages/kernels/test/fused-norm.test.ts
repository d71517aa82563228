/**
 * Layer norm and recurrent batch norm inside the native fused LSTM and GRU (issue 13): agreement
 * with the tfjs reference op driven by an independent oracle of the normalisation (./norm-oracle.ts)
 * — outputs, the gradients of a random linear loss with respect to every input including γ and β,
 * batch norm's per-step batch statistics and the per-step state-gradient norms
 * (stateGradientNorms) — together with every recurrent regularizer (recurrent and candidate
 * masks per sequence, per step as given [T, B, H] tensors or seeded in the kernel, zoneout masks /
 * seeded / expectation, padding, goBackwards); finite differences; identical bits on 1, 2 and 3
 * threads; leaks; errors. Skipped, with a message, where the addon is not built.
 *
 * Tolerances: outputs and statistics as ./fused-agreement.ts (atol 1e-5, rtol 1e-4). Gradients
 * atol 2e-4, rtol 2e-3, twice the un-normalised ones: a normalisation's backward subtracts two
 * means of the same size from its input gradient, so each step loses about one more digit to
 * cancellation (observed ≤ 1e-4 relative). Finite differences: tolerances as
 * ./fused-gradcheck.test.ts but eps 3e-3 and 4 units: normalising over 3 values is curved enough
 * that eps 1e-2 misses by 5% (third-derivative error), while the rounding error ≈ 6e-8·|f|/eps
 * stays ≤ 4e-4 for |f| ≲ 20.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { allClose, checkGradient, expectNoLeak } from '../../../test/helpers.js';
import { NORM_X_RECOMPUTE_MAX_INPUTS, lstmRecomputesNormX } from '../src/fused/abi.js';
import { fusedGruSequence, fusedLstmSequence } from '../src/fused/ops.js';
import { loadNativeBinding } from '../src/native/binding.js';
import { nativeImpl } from '../src/native/native-impl.js';
import type { FusedImpl } from '../src/fused/impl.js';
import { createWasmImpl } from '../src/wasm/impl.js';
import type { GruSequenceInputs, LstmSequenceInputs } from '../src/types.js';
import { type CaseOptions, caseTensors, gruCase, lstmCase } from './fused-cases.js';
import { type NormKind, normTensors, randomNormalization, runNorm } from './norm-run.js';

const { binding, reason } = loadNativeBinding();
if (binding === null) console.warn(`fused-norm tests skipped: native addon not built (${reason})`);
const impl = binding ? nativeImpl(binding) : null;
const threadsBefore = impl?.threads() ?? 1;
afterAll(() => impl?.setThreads(threadsBefore));

const OUT_TOL = { atol: 1e-5, rtol: 1e-4 };
const GRAD_TOL = { atol: 2e-4, rtol: 2e-3 };
const FD_TOL = { atol: 5e-3, rtol: 2e-2 };
const FD_EPS = 3e-3;

const NORMS: [string, NormKind][] = [
  ['layer norm, fused', { kind: 'layer', scope: 'fused' }],
  ['layer norm, per gate', { kind: 'layer', scope: 'gate' }],
  ['batch norm, training', { kind: 'batch', training: true }],
  ['batch norm, inference', { kind: 'batch', training: false }],
];
type Cell = 'lstm' | 'gru reset-before' | 'gru reset-after';
const CELLS: Cell[] = ['lstm', 'gru reset-before', 'gru reset-after'];
/** Label, case, and whether the state-gradient norms are asked for (compared as 'dNorm.h', 'dNorm.c'). */
const OPTIONS: [string, Partial<CaseOptions>, boolean][] = [
  ['plain', {}, false],
  [
    'Gal mask + Semeniuta per step + zoneout masks + padding + goBackwards',
    { recurrentMask: true, candidate: 'step', zoneout: 'mask', stepMask: true, goBackwards: true },
    false,
  ],
  ['seeded zoneout + Semeniuta per sequence', { zoneout: 'seeded', candidate: 'sequence' }, false],
  ['zoneout expectation', { zoneout: 'expectation' }, false],
  [
    'per-step Gal mask given + seeded Semeniuta + padding, with state-gradient norms',
    { recurrentMask: 'step', candidate: 'seeded', stepMask: true },
    true,
  ],
  [
    'seeded per-step Gal + Semeniuta per step + seeded zoneout + goBackwards, with state-gradient norms',
    { recurrentMask: 'seeded', candidate: 'step', zoneout: 'seeded', goBackwards: true },
    true,
  ],
];

const caseOf = (cell: Cell, o: CaseOptions) =>
  cell === 'lstm' ? lstmCase(o) : gruCase(o, cell === 'gru reset-after');

function expectAgree(got: Record<string, Float32Array>, want: Record<string, Float32Array>, label: string) {
  expect(Object.keys(got).sort(), label).toEqual(Object.keys(want).sort());
  for (const k of Object.keys(want))
    allClose(got[k]!, want[k]!, k.startsWith('d') ? GRAD_TOL : OUT_TOL, `${label}: ${k}`);
}

describe.skipIf(impl === null)('normalised native kernels vs the reference op with the oracle', () => {
  for (const cell of CELLS) {
    for (const [normLabel, kind] of NORMS) {
      it(`${cell}, ${normLabel}, with every recurrent regularizer`, () => {
        for (const [optLabel, opts, norms] of OPTIONS) {
          const o: CaseOptions = { batch: 4, steps: 3, dim: 3, units: 5, ...opts };
          const c = caseOf(cell, o);
          const n = randomNormalization(kind, cell === 'lstm' ? 4 : 3, o.units, cell === 'lstm');
          const label = `${cell} ${normLabel} ${optLabel}`;
          expectAgree(runNorm(impl, c, n, norms), runNorm(null, c, n, norms), label);
          tf.dispose([...caseTensors(c), ...normTensors(n)]);
        }
      });
    }
    it(`${cell}: units past one vector (H 33), batch norm in training and layer norm`, () => {
      // the Gal mask per sequence, and seeded per step with the state-gradient norms (summed in
      // chunks of one panel's units: H 33 spans several)
      for (const recurrentMask of [true, 'seeded'] as const) {
        const o: CaseOptions = { batch: 5, steps: 2, dim: 4, units: 33, zoneout: 'seeded', recurrentMask };
        const norms = recurrentMask === 'seeded';
        for (const [label, kind] of [NORMS[0]!, NORMS[2]!]) {
          const c = caseOf(cell, o);
          const n = randomNormalization(kind, cell === 'lstm' ? 4 : 3, o.units, cell === 'lstm');
          expectAgree(
            runNorm(impl, c, n, norms),
            runNorm(null, c, n, norms),
            `${cell} H 33 ${label} ${recurrentMask}`,
          );
          tf.dispose([...caseTensors(c), ...normTensors(n)]);
        }
      }
    });
  }

  it('batch-norm LSTM on both sides of NORM_X_RECOMPUTE_MAX_INPUTS (x̂_x recomputed, or kept on the tape)', () => {
    // D ≤ the threshold: the forward keeps μ_x, σ²_x and the backward recomputes x̂_x; above it the
    // x̂_x tape of the other cells. Both agree with the reference, in training and in inference,
    // and give the same bits on 1, 2 and 3 threads (12 rows: 3 threads take 4 each).
    expect(lstmRecomputesNormX('batch', NORM_X_RECOMPUTE_MAX_INPUTS)).toBe(true);
    expect(lstmRecomputesNormX('batch', NORM_X_RECOMPUTE_MAX_INPUTS + 1)).toBe(false);
    expect(lstmRecomputesNormX('layer', 1)).toBe(false);
    for (const dim of [1, NORM_X_RECOMPUTE_MAX_INPUTS, NORM_X_RECOMPUTE_MAX_INPUTS + 1]) {
      for (const [label, kind] of [NORMS[2]!, NORMS[3]!]) {
        const o: CaseOptions = {
          batch: 12,
          steps: 3,
          dim,
          units: 20,
          zoneout: 'seeded',
          recurrentMask: 'seeded',
        };
        const c = caseOf('lstm', o);
        const n = randomNormalization(kind, 4, o.units, true);
        const runs = [1, 2, 3].map((threads) => {
          impl!.setThreads(threads);
          return runNorm(impl, c, n, true);
        });
        impl!.setThreads(threadsBefore);
        expectAgree(runs[0]!, runNorm(null, c, n, true), `lstm D ${dim} ${label}`);
        for (const r of runs.slice(1))
          for (const k of Object.keys(runs[0]!))
            expect(r[k], `lstm D ${dim} ${label} ${k}`).toEqual(runs[0]![k]);
        tf.dispose([...caseTensors(c), ...normTensors(n)]);
      }
    }
  });

  it('batch-norm GRU split by row blocks: both reset modes, training and inference, 13 and 3 rows, 1–3 threads', () => {
    // The GRU's batch norm splits the batch into kBnRowBlocks (4) fixed blocks of rows (norm_seq.h)
    // whose partial statistics and N_h' sums are combined in block order: it must agree with the
    // reference and give the same bits on 1, 2 and 3 threads, for a batch that 4 does not divide
    // (13: blocks of 4, 4, 4, 1) and one smaller than 4 (3: the last block empty), with zoneout
    // masks, per-step masks (given and seeded), padding, goBackwards and the state-gradient norms.
    const extras: [string, Partial<CaseOptions>][] = [
      [
        'zoneout masks + Gal and Semeniuta per step + padding + goBackwards',
        { zoneout: 'mask', recurrentMask: 'step', candidate: 'step', stepMask: true, goBackwards: true },
      ],
      [
        'seeded zoneout + seeded Gal and Semeniuta',
        { zoneout: 'seeded', recurrentMask: 'seeded', candidate: 'seeded' },
      ],
    ];
    for (const cell of ['gru reset-before', 'gru reset-after'] as const) {
      for (const batch of [13, 3]) {
        for (const [label, kind] of [NORMS[2]!, NORMS[3]!]) {
          for (const [extraLabel, extra] of extras) {
            const o: CaseOptions = { batch, steps: 4, dim: 2, units: 20, ...extra };
            const c = caseOf(cell, o);
            const n = randomNormalization(kind, 3, o.units, false);
            const what = `${cell} B ${batch} ${label} ${extraLabel}`;
            const runs = [1, 2, 3].map((threads) => {
              impl!.setThreads(threads);
              return runNorm(impl, c, n, true);
            });
            impl!.setThreads(threadsBefore);
            expectAgree(runs[0]!, runNorm(null, c, n, true), what);
            for (const r of runs.slice(1))
              for (const k of Object.keys(runs[0]!)) expect(r[k], `${what} ${k}`).toEqual(runs[0]![k]);
            tf.dispose([...caseTensors(c), ...normTensors(n)]);
          }
        }
      }
    }
  });

  it('steps past the moving statistics reuse the last row (batch-norm inference, 5 steps, 2 rows)', () => {
    const o: CaseOptions = { batch: 3, steps: 5, dim: 2, units: 4 };
    for (const cell of CELLS) {
      const c = caseOf(cell, o);
      const n = randomNormalization(NORMS[3]![1], cell === 'lstm' ? 4 : 3, o.units, cell === 'lstm');
      expectAgree(runNorm(impl, c, n), runNorm(null, c, n), `${cell} past maxSteps`);
      tf.dispose([...caseTensors(c), ...normTensors(n)]);
    }
  });
});

describe.skipIf(impl === null)('normalised native gradients vs finite differences', () => {
  for (const cell of CELLS) {
    for (const [label, kind] of [NORMS[0]!, NORMS[2]!]) {
      it(`${cell}, ${label}`, () => {
        // per-step masks drawn in the kernel: forward and backward must draw the same ones
        const o: CaseOptions = {
          batch: 4,
          steps: 2,
          dim: 2,
          units: 4,
          zoneout: 'mask',
          recurrentMask: 'seeded',
          candidate: 'seeded',
        };
        const c = caseOf(cell, o);
        const lstm = cell === 'lstm';
        const n = randomNormalization(kind, lstm ? 4 : 3, 4, lstm);
        const w = tf.randomNormal([4, 2, 4], 0, 1, 'float32', 5);
        const names = lstm
          ? ['gammaX', 'gammaH', 'gammaC', 'betaC', 'x', 'recurrentKernel', 'bias']
          : ['gammaX', 'gammaH', 'x', 'recurrentKernel', 'bias'];
        for (const name of names) {
          const isNorm = name.startsWith('gamma') || name === 'betaC';
          const at = (isNorm ? n : c) as unknown as Record<string, tf.Tensor>;
          const f = (t: tf.Tensor) => {
            const nn = isNorm ? { ...n, [name]: t } : n;
            const cc = (isNorm ? c : { ...c, [name]: t }) as LstmSequenceInputs & GruSequenceInputs;
            const out = lstm
              ? fusedLstmSequence(impl!, { ...cc, normalization: nn })
              : fusedGruSequence(impl!, { ...cc, normalization: nn });
            return tf.add(tf.sum(tf.mul(out.sequence, w)), tf.sum(out.h)) as tf.Scalar;
          };
          checkGradient(f, at[name]!, FD_TOL, FD_EPS, `${cell} ${label} d${name}`);
        }
        tf.dispose([w, ...caseTensors(c), ...normTensors(n)]);
      });
    }
  }
});

describe.skipIf(impl === null)('normalised native kernels on 1, 2 and 3 threads', () => {
  for (const cell of CELLS) {
    for (const [label, kind] of [NORMS[0]!, NORMS[1]!, NORMS[2]!, NORMS[3]!]) {
      it(`${cell}, ${label}: identical bits`, () => {
        const o: CaseOptions = {
          batch: 7,
          steps: 4,
          dim: 3,
          units: 40,
          recurrentMask: 'seeded',
          candidate: 'step',
          zoneout: 'seeded',
          stepMask: true,
        };
        const c = caseOf(cell, o);
        const n = randomNormalization(kind, cell === 'lstm' ? 4 : 3, o.units, cell === 'lstm');
        const runs = [1, 2, 3].map((threads) => {
          impl!.setThreads(threads);
          return runNorm(impl, c, n, true); // with the state-gradient norms
        });
        impl!.setThreads(threadsBefore);
        for (const r of runs.slice(1))
          for (const k of Object.keys(runs[0]!)) expect(r[k], `${cell} ${label} ${k}`).toEqual(runs[0]![k]);
        tf.dispose([...caseTensors(c), ...normTensors(n)]);
      });
    }
  }
});

describe.skipIf(impl === null)('normalised native kernels: leaks and errors', () => {
  it('leave tf.memory flat over forward, backward and batch statistics', async () => {
    for (const cell of CELLS) {
      for (const [, kind] of NORMS) {
        const o: CaseOptions = {
          batch: 3,
          steps: 3,
          dim: 2,
          units: 4,
          zoneout: 'seeded',
          recurrentMask: 'seeded',
        };
        const c = caseOf(cell, o);
        const n = randomNormalization(kind, cell === 'lstm' ? 4 : 3, 4, cell === 'lstm');
        await expectNoLeak(() => runNorm(impl, c, n, true), `${cell} ${kind.kind}`);
        tf.dispose([...caseTensors(c), ...normTensors(n)]);
      }
    }
  });

  it('refuse a wrong γ shape, batch-norm inference without moving statistics, and kernels without normalization', () => {
    const o: CaseOptions = { batch: 2, steps: 2, dim: 2, units: 3 };
    const c = lstmCase(o);
    const n = randomNormalization({ kind: 'layer' }, 4, 3, true);
    const bad = { ...n, gammaX: tf.ones([5]) as tf.Tensor1D };
    expect(() => fusedLstmSequence(impl!, { ...c, normalization: bad })).toThrow(
      /lstmSequence: normalization.gammaX must have shape \[12\], got \[5\]/,
    );
    const noMoving = { ...n, kind: 'batch' as const, training: false };
    expect(() => fusedLstmSequence(impl!, { ...c, normalization: noMoving })).toThrow(
      /batch-norm inference \(training false\) needs moving statistics/,
    );
    expect(() => fusedLstmSequence(impl!, { ...c, normalization: { ...n, gammaC: undefined } })).toThrow(
      /normalization.gammaC is missing/,
    );
    // Kernels that take no normalization (both built-in ones do; wasm-norm-agreement.test.ts) say so.
    const g = gruCase(o, true);
    const gn = randomNormalization({ kind: 'layer' }, 3, 3, false);
    const plain = Object.create(createWasmImpl(), { normalization: { value: false } }) as FusedImpl;
    expect(() => fusedGruSequence(plain, { ...g, normalization: gn })).toThrow(
      /the wasm kernels take no normalization/,
    );
    tf.dispose([bad.gammaX, ...caseTensors(c), ...normTensors(n), ...caseTensors(g), ...normTensors(gn)]);
  });
});
