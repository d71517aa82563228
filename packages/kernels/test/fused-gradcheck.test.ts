/**
 * Finite-difference checks of the native fused gradients (independent of the reference), seeded
 * zoneout masks, leaks, and errors for bad input. Skipped, with a message, where the addon is not built.
 *
 * Finite differences: central, eps = 1e-2 on O(1) inputs in float32. The truncation error is
 * O(eps²·f''') ≈ 1e-4 and the rounding error ≈ 6e-8·|f|/eps ≈ 1e-5·|f| for |f| ≲ 20, hence
 * atol 5e-3, rtol 2e-2 (the shared helper's default scale, loosened for the larger eps).
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { allClose, checkGradient } from '../../../test/helpers.js';
import { fusedGruSequence, fusedLstmSequence } from '../src/fused/ops.js';
import { zoneoutMaskFromSeed, zoneoutThreshold } from '../src/fused/zoneout-hash.js';
import { loadNativeBinding } from '../src/native/binding.js';
import { nativeImpl } from '../src/native/native-impl.js';
import type { GruSequenceInputs, LstmSequenceInputs } from '../src/types.js';
import { caseTensors, gruCase, lstmCase } from './fused-cases.js';

const { binding, reason } = loadNativeBinding();
if (binding === null) console.warn(`fused-gradcheck tests skipped: native addon not built (${reason})`);
const impl = binding ? nativeImpl(binding) : null;
const FD_TOL = { atol: 5e-3, rtol: 2e-2 };
const EPS = 1e-2;

const LSTM_INPUTS = ['x', 'h0', 'c0', 'kernel', 'recurrentKernel', 'bias'] as const;
const GRU_INPUTS = ['x', 'h0', 'kernel', 'recurrentKernel', 'bias'] as const;

describe.skipIf(impl === null)('native fused gradients vs finite differences', () => {
  const cases: [string, boolean][] = [
    ['one step', true],
    ['three steps, every option', false],
  ];
  for (const [label, oneStep] of cases) {
    it(`LSTM, ${label}`, () => {
      const c = lstmCase(
        oneStep
          ? { batch: 2, steps: 1, dim: 2, units: 3 }
          : {
              batch: 2,
              steps: 3,
              dim: 2,
              units: 3,
              recurrentMask: true,
              candidate: 'step',
              zoneout: 'mask',
              stepMask: true,
            },
      );
      const w = tf.randomNormal([2, oneStep ? 1 : 3, 3], 0, 1, 'float32', 5);
      for (const name of LSTM_INPUTS) {
        const f = (t: tf.Tensor) => {
          const o = fusedLstmSequence(impl!, { ...c, [name]: t } as LstmSequenceInputs);
          return tf.add(tf.sum(tf.mul(o.sequence, w)), tf.sum(o.c)) as tf.Scalar;
        };
        checkGradient(f, c[name], FD_TOL, EPS, `LSTM ${label} d${name}`);
      }
      tf.dispose([w, ...caseTensors(c)]);
    });
    for (const resetAfter of [false, true]) {
      it(`GRU (resetAfter ${resetAfter}), ${label}`, () => {
        const c = gruCase(
          oneStep
            ? { batch: 2, steps: 1, dim: 2, units: 3 }
            : {
                batch: 2,
                steps: 3,
                dim: 2,
                units: 3,
                recurrentMask: true,
                candidate: 'sequence',
                zoneout: 'seeded',
                goBackwards: true,
              },
          resetAfter,
        );
        const w = tf.randomNormal([2, oneStep ? 1 : 3, 3], 0, 1, 'float32', 5);
        for (const name of GRU_INPUTS) {
          const f = (t: tf.Tensor) => {
            const o = fusedGruSequence(impl!, { ...c, [name]: t } as GruSequenceInputs);
            return tf.add(tf.sum(tf.mul(o.sequence, w)), tf.sum(o.h)) as tf.Scalar;
          };
          checkGradient(f, c[name], FD_TOL, EPS, `GRU ${label} d${name}`);
        }
        tf.dispose([w, ...caseTensors(c)]);
      });
    }
  }
});

describe('seeded zoneout masks', () => {
  it('keep a fraction of units within 6 standard deviations of the rate', () => {
    // n = 200·50·40 = 400k Bernoulli(z) draws: sd = √(z(1−z)/n) ≤ 7.9e-4, so 6 sd ≤ 4.8e-3.
    for (const rate of [0.05, 0.15, 0.5]) {
      const m = zoneoutMaskFromSeed(12345, rate, 200, 50, 40);
      const mean = m.reduce((a, v) => a + v, 0) / m.length;
      expect(Math.abs(mean - rate)).toBeLessThan(6 * Math.sqrt((rate * (1 - rate)) / m.length));
    }
  });

  it('are all-keep at rate 1, all-update at rate 0, different across seeds, and reject bad rates', () => {
    expect(zoneoutMaskFromSeed(1, 1, 3, 4, 5).every((v) => v === 1)).toBe(true);
    expect(zoneoutMaskFromSeed(1, 0, 3, 4, 5).every((v) => v === 0)).toBe(true);
    const a = zoneoutMaskFromSeed(1, 0.5, 10, 10, 10);
    const b = zoneoutMaskFromSeed(2, 0.5, 10, 10, 10);
    const agree = a.reduce((n, v, i) => n + (v === b[i] ? 1 : 0), 0) / a.length;
    expect(Math.abs(agree - 0.5)).toBeLessThan(0.1); // independent masks agree on half the units (±5 sd)
    expect(zoneoutThreshold(0.5)).toBe(8388608);
    expect(() => zoneoutMaskFromSeed(1, 1.5, 1, 1, 1)).toThrow(/\[0, 1\]/);
  });

  it.skipIf(impl === null)(
    'are drawn inside the native kernel exactly as zoneoutMaskFromSeed draws them',
    () => {
      const c = lstmCase({ batch: 3, steps: 4, dim: 2, units: 19 });
      const [B, T] = [3, 4];
      const seeded = fusedLstmSequence(impl!, {
        ...c,
        zoneoutSeeded: { cell: { rate: 0.4, seed: 7 }, hidden: { rate: 0.2, seed: 8 } },
      });
      const mc = tf.tensor3d(zoneoutMaskFromSeed(7, 0.4, T, B, 19), [T, B, 19]);
      const mh = tf.tensor3d(zoneoutMaskFromSeed(8, 0.2, T, B, 19), [T, B, 19]);
      const masked = fusedLstmSequence(impl!, {
        ...c,
        zoneoutCell: { kind: 'mask', mask: mc },
        zoneoutHidden: { kind: 'mask', mask: mh },
      });
      expect(Array.from(seeded.sequence.dataSync())).toEqual(Array.from(masked.sequence.dataSync()));
      expect(Array.from(seeded.c.dataSync())).toEqual(Array.from(masked.c.dataSync()));
      // Rate 1 on both states keeps the initial state for every step.
      const frozen = fusedLstmSequence(impl!, {
        ...c,
        zoneoutSeeded: { cell: { rate: 1, seed: 1 }, hidden: { rate: 1, seed: 2 } },
      });
      allClose(frozen.c, c.c0, { atol: 0, rtol: 0 }, 'c with zoneout 1');
      allClose(frozen.h, c.h0, { atol: 0, rtol: 0 }, 'h with zoneout 1');
      tf.dispose([
        seeded.sequence,
        seeded.h,
        seeded.c,
        masked.sequence,
        masked.h,
        masked.c,
        frozen.sequence,
        frozen.h,
        frozen.c,
        mc,
        mh,
      ]);
      tf.dispose(caseTensors(c));
    },
  );
});

describe.skipIf(impl === null)('native fused ops: leaks and errors', () => {
  it('leave no tensor behind over 1,000 training steps', () => {
    const c = lstmCase({ batch: 2, steps: 3, dim: 2, units: 3, zoneout: 'seeded' });
    const g = gruCase({ batch: 2, steps: 3, dim: 2, units: 3 }, true);
    const vars = [tf.variable(c.recurrentKernel), tf.variable(g.recurrentKernel)];
    const opt = tf.train.sgd(1e-3);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 1000; i++) {
      opt.minimize(() => {
        const a = fusedLstmSequence(impl!, { ...c, recurrentKernel: vars[0] as tf.Variable<tf.Rank.R2> });
        const b = fusedGruSequence(impl!, { ...g, recurrentKernel: vars[1] as tf.Variable<tf.Rank.R2> });
        return tf.add(tf.mean(tf.square(a.sequence)), tf.mean(tf.square(b.h))) as tf.Scalar;
      });
      tf.tidy(() => {
        fusedLstmSequence(impl!, c); // inference calls too
      });
    }
    expect(tf.memory().numTensors - before).toBe(0);
    tf.dispose([...vars, ...caseTensors(c), ...caseTensors(g)]);
    opt.dispose();
  });

  it('reject non-float32 tensors and wrong shapes with a clear message', () => {
    const c = lstmCase({ batch: 2, steps: 3, dim: 2, units: 3 });
    const xi = tf.cast(c.x, 'int32') as tf.Tensor3D;
    expect(() => fusedLstmSequence(impl!, { ...c, x: xi })).toThrow(
      /lstmSequence: x must be float32, got int32/,
    );
    const bad = tf.zeros([3, 8]) as tf.Tensor2D;
    expect(() => fusedLstmSequence(impl!, { ...c, recurrentKernel: bad })).toThrow(
      /recurrentKernel must have shape \[3, 12\]/,
    );
    const g = gruCase({ batch: 2, steps: 3, dim: 2, units: 3 }, true);
    expect(() => fusedGruSequence(impl!, { ...g, bias: tf.zeros([9]) as tf.Tensor1D })).toThrow(
      /bias must have shape \[2, 9\]/,
    );
    expect(() => fusedGruSequence(impl!, { ...g, zoneoutSeeded: { cell: { rate: 0.1, seed: 1 } } })).toThrow(
      /no cell state/,
    );
    expect(() => fusedLstmSequence(impl!, { ...c, zoneoutSeeded: { hidden: { rate: 2, seed: 1 } } })).toThrow(
      /rate must lie in \[0, 1\]/,
    );
    // Per-step masks (issue 13): a seeded one and a given one are exclusive; the rate below 1.
    const perStep = tf.ones([3, 2, 3]) as tf.Tensor3D;
    expect(() =>
      fusedLstmSequence(impl!, {
        ...c,
        recurrentMask: perStep,
        dropoutSeeded: { recurrent: { rate: 0.1, seed: 1 } },
      }),
    ).toThrow(/give either recurrentMask or dropoutSeeded, not both/);
    expect(() =>
      fusedLstmSequence(impl!, { ...c, dropoutSeeded: { candidate: { rate: 1, seed: 1 } } }),
    ).toThrow(/dropoutSeeded rate must lie in \[0, 1\), got 1/);
    expect(() =>
      fusedLstmSequence(impl!, { ...c, dropoutSeeded: { recurrent: { rate: 0.5, seed: 0.5 } } }),
    ).toThrow(/dropoutSeeded seed must be an integer, got 0.5/);
    tf.dispose([xi, bad, perStep, ...caseTensors(c), ...caseTensors(g)]);
  });
});
