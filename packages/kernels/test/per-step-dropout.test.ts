/**
 * Per-step recurrent dropout in the fused kernels (issue 13): `dropoutSeeded` (Gal's mask on
 * h_{t−1}, Semeniuta's on the candidate, a fresh [T, B, H] mask every step drawn inside the kernels
 * from a seed) and a per-step recurrentMask tensor, on the native and WebAssembly backends.
 *
 * - the seeded draw is the mask `dropoutMaskFromSeed` gives, bit for bit (a seeded call equals the
 *   same call given that mask as a tensor, forward and every gradient), so the reference op, which
 *   materializes that mask, sees the same masks (agreement: the per-step OPTIONS of
 *   fused-agreement.ts, run by fused-native.test.ts and wasm-agreement.test.ts);
 * - the dropped fraction: 6σ bounds of a Bernoulli(p) fraction (false failure ≈ 2e-9 per check);
 * - a fresh mask every step, read off the kernels' own outputs (structural);
 * - identical bits for 1, 2 and 3 native threads (units split and rows split) and 1, 2 wasm threads;
 * - no tensor leaks through the dispatched ops; finite-difference gradients;
 * - the same inside the normalised kernels (layer norm, recurrent batch norm): a seeded call equals
 *   the call given the mask, bit for bit, and the dispatched normalised ops take it (agreement with
 *   the reference op: fused-norm.test.ts, wasm-norm-agreement.test.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { checkGradient, expectNoLeak } from '../../../test/helpers.js';
import { gruSequence, lstmSequence, setKernelBackend } from '../src/dispatch.js';
import { dropoutDraw, dropoutMaskFromSeed } from '../src/fused/dropout-hash.js';
import type { FusedImpl } from '../src/fused/impl.js';
import { fusedGruSequence, fusedLstmSequence } from '../src/fused/ops.js';
import { loadNativeBinding } from '../src/native/binding.js';
import { nativeImpl } from '../src/native/native-impl.js';
import type { GruSequenceInputs, LstmSequenceInputs } from '../src/types.js';
import { createWasmImpl } from '../src/wasm/impl.js';
import { gruRun, lstmRun, prefix } from './fused-agreement.js';
import { type CaseOptions, caseTensors, gruCase, lstmCase } from './fused-cases.js';
import { normTensors, randomNormalization, runNorm } from './norm-run.js';

const { binding } = loadNativeBinding();
const wasm = createWasmImpl();
afterAll(() => wasm.dispose());
const backends: [string, FusedImpl][] = [
  ...(binding ? [['native', nativeImpl(binding)] as [string, FusedImpl]] : []),
  ['wasm', wasm],
];

const sixSigma = (q: number, n: number) => 6 * Math.sqrt((q * (1 - q)) / n);

/** The case with its seeded masks given as the [T, B, H] tensors dropoutMaskFromSeed draws. */
function materialized<I extends LstmSequenceInputs | GruSequenceInputs>(c: I): I {
  const [B, T] = c.x.shape;
  const H = c.recurrentKernel.shape[0];
  const asTensor = (d: { rate: number; seed: number } | undefined) =>
    d ? tf.tensor3d(dropoutMaskFromSeed(d.seed, d.rate, T, B, H), [T, B, H]) : undefined;
  return {
    ...c,
    dropoutSeeded: undefined,
    recurrentMask: asTensor(c.dropoutSeeded?.recurrent) ?? c.recurrentMask,
    candidateMask: asTensor(c.dropoutSeeded?.candidate) ?? c.candidateMask,
  };
}

function expectSameBits(
  a: Record<string, Float32Array>,
  b: Record<string, Float32Array>,
  what: string,
): void {
  for (const k of Object.keys(b)) expect(Array.from(a[k]!), `${what}: ${k}`).toEqual(Array.from(b[k]!));
}

describe.each(backends)('%s: the seeded per-step mask is dropoutMaskFromSeed', (_name, impl) => {
  const lstm = (i: LstmSequenceInputs) => fusedLstmSequence(impl, i);
  const gru = (i: GruSequenceInputs) => fusedGruSequence(impl, i);
  const cases: CaseOptions[] = [
    { batch: 3, steps: 4, dim: 2, units: 9, recurrentMask: 'seeded' },
    { batch: 2, steps: 5, dim: 3, units: 17, candidate: 'seeded', goBackwards: true },
    { batch: 5, steps: 3, dim: 2, units: 8, recurrentMask: 'seeded', candidate: 'seeded', stepMask: true },
  ];
  it('bit for bit, forward and every gradient (LSTM, GRU reset-before and reset-after)', () => {
    for (const o of cases) {
      for (const seed of [1, 77]) {
        const c = lstmCase({ ...o, seed });
        const m = materialized(c);
        expectSameBits(lstmRun(lstm, c), lstmRun(lstm, m), `lstm ${JSON.stringify(o)}`);
        tf.dispose([...caseTensors(c), m.recurrentMask!, m.candidateMask!].filter(Boolean));
        for (const resetAfter of [false, true]) {
          const g = gruCase({ ...o, seed }, resetAfter);
          const gm = materialized(g);
          expectSameBits(gruRun(gru, g), gruRun(gru, gm), `gru ${resetAfter} ${JSON.stringify(o)}`);
          tf.dispose([...caseTensors(g), gm.recurrentMask!, gm.candidateMask!].filter(Boolean));
        }
      }
    }
  });

  it('bit for bit inside the normalised kernels too (layer and batch norm; LSTM, GRU both variants)', () => {
    const o: CaseOptions = {
      batch: 4,
      steps: 3,
      dim: 2,
      units: 9,
      recurrentMask: 'seeded',
      candidate: 'seeded',
    };
    for (const kind of [{ kind: 'layer' }, { kind: 'batch', training: true }] as const)
      for (const cell of ['lstm', 'gru reset-after', 'gru reset-before'] as const) {
        const c = cell === 'lstm' ? lstmCase(o) : gruCase(o, cell === 'gru reset-after');
        const m = materialized(c);
        const n = randomNormalization(kind, cell === 'lstm' ? 4 : 3, o.units, cell === 'lstm');
        expectSameBits(runNorm(impl, c, n), runNorm(impl, m, n), `${cell} ${kind.kind}`);
        tf.dispose([...caseTensors(c), m.recurrentMask!, m.candidateMask!, ...normTensors(n)]);
      }
  });

  it('a new mask every step, applied where the draw says (read off the outputs)', () => {
    // Linear candidate, hard-sigmoid gates saturated by the bias (i = o = 1, f = 0 exactly),
    // W = 0, U_g = I, b_g = 1, h0 = 0: h_t = 1 + ĥ_{t−1} = 1 + m_t ⊙ h_{t−1} with h_{t−1} ≥ 1 for
    // t ≥ 1, so h_t = 1 exactly where step t's Gal mask dropped the unit, and > 1 where it kept it.
    const B = 4,
      T = 6,
      H = 16,
      rate = 0.5,
      seed = 123;
    const bias = new Float32Array(4 * H);
    for (let j = 0; j < H; j++) {
      bias[j] = 10; // i
      bias[H + j] = -10; // f
      bias[2 * H + j] = 1; // g
      bias[3 * H + j] = 10; // o
    }
    const u = new Float32Array(H * 4 * H);
    for (let j = 0; j < H; j++) u[j * 4 * H + 2 * H + j] = 1;
    const inputs: LstmSequenceInputs = {
      x: tf.zeros([B, T, 1]),
      h0: tf.zeros([B, H]),
      c0: tf.zeros([B, H]),
      kernel: tf.zeros([1, 4 * H]),
      recurrentKernel: tf.tensor2d(u, [H, 4 * H]),
      bias: tf.tensor1d(bias),
      activation: 'linear',
      recurrentActivation: 'hardSigmoid',
      dropoutSeeded: { recurrent: { rate, seed } },
    };
    const seq = fusedLstmSequence(impl, inputs).sequence.arraySync() as number[][][];
    const mask = dropoutMaskFromSeed(seed, rate, T, B, H);
    const dropped: boolean[][] = [];
    for (let t = 1; t < T; t++) {
      const row: boolean[] = [];
      for (let b = 0; b < B; b++)
        for (let j = 0; j < H; j++) {
          expect(seq[b]![t]![j]! === 1, `step ${t}, example ${b}, unit ${j}`).toBe(
            mask[(t * B + b) * H + j] === 0,
          );
          row.push(mask[(t * B + b) * H + j] === 0);
        }
      dropped.push(row);
    }
    for (let t = 1; t < dropped.length; t++)
      expect(dropped[t], `steps ${t} and ${t + 1}`).not.toEqual(dropped[t - 1]);
    tf.dispose([inputs.x, inputs.h0, inputs.c0, inputs.kernel, inputs.recurrentKernel, inputs.bias]);
  });
});

describe('the draw (dropoutMaskFromSeed, which the kernels equal bit for bit)', () => {
  it('values 0 or fround(1/(1−p)), dropped fraction within 6σ of p, a fresh mask per step', () => {
    const [T, B, H] = [20, 32, 50];
    for (const p of [0.1, 0.5, 0.9]) {
      const m = dropoutMaskFromSeed(7, p, T, B, H);
      const scale = Math.fround(1 / (1 - p));
      expect(m.every((v) => v === 0 || v === scale)).toBe(true);
      const dropped = m.filter((v) => v === 0).length / m.length;
      expect(Math.abs(dropped - p), `p ${p}`).toBeLessThan(sixSigma(p, m.length));
      // Independent steps agree on an entry with probability q = p² + (1 − p)²; one mask with itself: 1.
      const q = p * p + (1 - p) * (1 - p);
      let same = 0;
      for (let k = 1; k < T; k++)
        for (let i = 0; i < B * H; i++) same += m[k * B * H + i] === m[(k - 1) * B * H + i] ? 1 : 0;
      expect(Math.abs(same / ((T - 1) * B * H) - q), `p ${p}`).toBeLessThan(sixSigma(q, (T - 1) * B * H));
    }
  });

  it('rate 0 keeps everything at 1; a rate outside [0, 1) is refused', () => {
    expect(dropoutMaskFromSeed(3, 0, 2, 3, 4).every((v) => v === 1)).toBe(true);
    const draw = dropoutDraw(3, 0.25);
    expect([draw.threshold, draw.scale]).toEqual([0.25 * 2 ** 24, Math.fround(4 / 3)]);
    expect(() => dropoutMaskFromSeed(3, 1, 1, 1, 1)).toThrow(/dropout rate must lie in \[0, 1\), got 1/);
  });
});

describe.skipIf(binding === null)('native: identical bits on 1, 2 and 3 threads', () => {
  const impl = binding ? nativeImpl(binding) : null;
  const lstm = (i: LstmSequenceInputs) => fusedLstmSequence(impl!, i);
  const gru = (i: GruSequenceInputs) => fusedGruSequence(impl!, i);
  it('units split (B 5) and rows split (B 50): seeded Gal + Semeniuta, a given per-step mask', () => {
    const cases: CaseOptions[] = [
      {
        batch: 5,
        steps: 6,
        dim: 3,
        units: 70,
        recurrentMask: 'seeded',
        candidate: 'seeded',
        zoneout: 'seeded',
      },
      {
        batch: 50,
        steps: 4,
        dim: 2,
        units: 37,
        recurrentMask: 'step',
        candidate: 'seeded',
        goBackwards: true,
      },
    ];
    const before = impl!.threads();
    try {
      for (const o of cases) {
        const c = lstmCase(o);
        const g = gruCase(o, true);
        const g0 = gruCase(o, false);
        const results = [1, 2, 3].map((n) => {
          impl!.setThreads(n);
          return {
            ...lstmRun(lstm, c),
            ...prefix(gruRun(gru, g), 'gruA'),
            ...prefix(gruRun(gru, g0), 'gruB'),
          };
        });
        expectSameBits(results[1]!, results[0]!, `2 vs 1 threads ${JSON.stringify(o)}`);
        expectSameBits(results[2]!, results[0]!, `3 vs 1 threads ${JSON.stringify(o)}`);
        tf.dispose([...caseTensors(c), ...caseTensors(g), ...caseTensors(g0)]);
      }
    } finally {
      impl!.setThreads(before);
    }
  });
});

describe('wasm: identical bits on 1 and 2 threads', () => {
  it('seeded Gal + Semeniuta per step (LSTM, GRU reset-after)', () => {
    const o: CaseOptions = {
      batch: 6,
      steps: 5,
      dim: 3,
      units: 20,
      recurrentMask: 'seeded',
      candidate: 'seeded',
    };
    const c = lstmCase(o);
    const g = gruCase(o, true);
    const run = () => ({
      ...lstmRun((i) => fusedLstmSequence(wasm, i), c),
      ...prefix(
        gruRun((i) => fusedGruSequence(wasm, i), g),
        'gru',
      ),
    });
    wasm.setThreads(1);
    const one = run();
    wasm.setThreads(2);
    const two = run();
    expectSameBits(two, one, '2 vs 1 wasm threads');
    tf.dispose([...caseTensors(c), ...caseTensors(g)]);
  });
});

describe.each(backends)('%s: leaks and finite differences', (name) => {
  it('the dispatched ops leave no tensors (forward, gradient; LSTM and GRU)', async () => {
    expect(setKernelBackend(name as 'native' | 'wasm')).toBe(name);
    try {
      const o: CaseOptions = {
        batch: 3,
        steps: 4,
        dim: 2,
        units: 5,
        recurrentMask: 'seeded',
        candidate: 'seeded',
      };
      const c = lstmCase(o);
      const g = gruCase(o, false);
      await expectNoLeak(() => tf.dispose(Object.values(lstmSequence(c))), 'lstm forward');
      await expectNoLeak(
        () =>
          tf
            .grad((x: tf.Tensor) => tf.sum(lstmSequence({ ...c, x: x as tf.Tensor3D }).h) as tf.Scalar)(c.x)
            .dispose(),
        'lstm gradient',
      );
      await expectNoLeak(
        () =>
          tf
            .grad((x: tf.Tensor) => tf.sum(gruSequence({ ...g, x: x as tf.Tensor3D }).sequence) as tf.Scalar)(
              g.x,
            )
            .dispose(),
        'gru gradient',
      );
      tf.dispose([...caseTensors(c), ...caseTensors(g)]);
    } finally {
      setKernelBackend('auto');
    }
  });

  it('the dispatched normalised ops take seeded per-step masks (no refusal) and leave no tensors', async () => {
    expect(setKernelBackend(name as 'native' | 'wasm')).toBe(name);
    try {
      const o: CaseOptions = {
        batch: 3,
        steps: 4,
        dim: 2,
        units: 5,
        recurrentMask: 'seeded',
        candidate: 'seeded',
      };
      const c = lstmCase(o);
      const g = gruCase(o, true);
      const nl = randomNormalization({ kind: 'layer' }, 4, o.units, true);
      const nb = randomNormalization({ kind: 'batch', training: true }, 3, o.units, false);
      await expectNoLeak(
        () =>
          tf
            .grad(
              (x: tf.Tensor) =>
                tf.sum(lstmSequence({ ...c, x: x as tf.Tensor3D, normalization: nl }).h) as tf.Scalar,
            )(c.x)
            .dispose(),
        'normalised lstm gradient',
      );
      await expectNoLeak(() => {
        const out = gruSequence({ ...g, normalization: nb });
        tf.dispose([out.sequence, out.h, ...Object.values(out.batchStats ?? {})]);
      }, 'normalised gru forward');
      tf.dispose([...caseTensors(c), ...caseTensors(g), ...normTensors(nl), ...normTensors(nb)]);
    } finally {
      setKernelBackend('auto');
    }
  });

  it('gradients of every input match central differences (LSTM, GRU reset-after; eps 1e-2, atol 5e-3, rtol 2e-2 as fused-gradcheck)', () => {
    const impl = backends.find(([n]) => n === name)![1];
    const o: CaseOptions = {
      batch: 2,
      steps: 3,
      dim: 2,
      units: 3,
      recurrentMask: 'seeded',
      candidate: 'seeded',
    };
    const c = lstmCase(o);
    const g = gruCase(o, true);
    const w = tf.randomNormal([2, 3, 3], 0, 1, 'float32', 5);
    for (const input of ['x', 'h0', 'recurrentKernel', 'bias'] as const) {
      const f = (t: tf.Tensor) => {
        const out = fusedLstmSequence(impl, { ...c, [input]: t } as LstmSequenceInputs);
        return tf.add(tf.sum(tf.mul(out.sequence, w)), tf.sum(out.c)) as tf.Scalar;
      };
      checkGradient(f, c[input], { atol: 5e-3, rtol: 2e-2 }, 1e-2, `${name} LSTM d${input}`);
      const fg = (t: tf.Tensor) => {
        const out = fusedGruSequence(impl, { ...g, [input]: t } as GruSequenceInputs);
        return tf.sum(tf.mul(out.sequence, w)) as tf.Scalar;
      };
      checkGradient(fg, g[input], { atol: 5e-3, rtol: 2e-2 }, 1e-2, `${name} GRU d${input}`);
    }
    tf.dispose([w, ...caseTensors(c), ...caseTensors(g)]);
  });
});
