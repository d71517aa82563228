/**
 * Inference on a ring tape (abi `ringTape`, src/native/native-impl.ts): a forward call that keeps
 * no tape writes the gates and states of only RING_TAPE_STEPS steps, used in turn, instead of the
 * whole sequence's. It must give bit for bit what the same call with a kept tape gives, on every
 * path of the plain LSTM and GRU kernels (rows and units thread splits, masks, zoneout, padding,
 * goBackwards, no sequence output), and its memory must not grow with the sequence. The addon
 * refuses a ring tape where no ring can serve: a backward call, a normalised call.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { NATIVE_BUFFERS, NATIVE_FLOATS, NATIVE_INTS, RING_TAPE_STEPS, inSlots } from '../src/fused/abi.js';
import type { FusedNorm, FusedZoneout, GruArgs, LstmArgs } from '../src/fused/impl.js';
import { loadNativeBinding } from '../src/native/binding.js';
import { BufferPool } from '../src/native/buffer-pool.js';
import { nativeImpl } from '../src/native/native-impl.js';

const { binding } = loadNativeBinding();
const impl = binding ? nativeImpl(binding) : null;
const threadsBefore = impl?.threads() ?? 1;
afterAll(() => impl?.setThreads(threadsBefore));

function values(n: number, seed: number, scale = 0.3): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => Math.sin(i * 1.7 + seed) * scale);
}

/** 0/1 (or 1/keep-scaled) mask values from a seed, for the mask paths. */
function mask(n: number, seed: number, keep: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) =>
    Math.abs(Math.sin(i * 12.9898 + seed)) < keep ? 1 / keep : 0,
  );
}

interface Case {
  name: string;
  B: number;
  T: number;
  D: number;
  H: number;
  zoneout?: 'seeded' | 'expectation' | 'mask';
  recurrent?: 'sequence' | 'step' | 'seeded';
  candidate?: 'sequence' | 'step';
  stepMask?: boolean;
  goBackwards?: boolean;
  sequenceOutput?: boolean;
}

const CASES: Case[] = [
  { name: 'plain, rows split', B: 24, T: 9, D: 5, H: 19 },
  { name: 'plain, units split (small batch)', B: 2, T: 11, D: 3, H: 40 },
  { name: 'one step', B: 4, T: 1, D: 2, H: 8 },
  { name: 'seeded zoneout, goBackwards', B: 6, T: 8, D: 4, H: 17, zoneout: 'seeded', goBackwards: true },
  { name: 'zoneout expectation, step mask', B: 5, T: 7, D: 3, H: 12, zoneout: 'expectation', stepMask: true },
  {
    name: 'Gal mask per sequence, Semeniuta per step',
    B: 7,
    T: 6,
    D: 4,
    H: 16,
    recurrent: 'sequence',
    candidate: 'step',
  },
  {
    name: 'seeded per-step recurrent dropout, last state only',
    B: 3,
    T: 10,
    D: 2,
    H: 21,
    recurrent: 'seeded',
    sequenceOutput: false,
  },
  { name: 'zoneout masks given', B: 4, T: 6, D: 3, H: 9, zoneout: 'mask' },
  {
    name: 'per-step Gal mask, Semeniuta per sequence, units split',
    B: 2,
    T: 5,
    D: 3,
    H: 33,
    recurrent: 'step',
    candidate: 'sequence',
  },
];

/** A given dropout mask, [B, H] per sequence or [T, B, H] per step (null: none or seeded in-kernel). */
function givenMask(c: Case, kind: Case['recurrent'], keep: number, seed: number): Float32Array | null {
  if (kind === 'sequence') return mask(c.B * c.H, seed, keep);
  if (kind === 'step') return mask(c.T * c.B * c.H, seed, keep);
  return null;
}

/** The case's zoneout of one state at `rate` (a given mask: 0/1 from `seed`). */
function zoneout(c: Case, rate: number, seed: number): FusedZoneout {
  const { B, T, H } = c;
  if (c.zoneout === 'seeded') return { mode: 'seeded', rate, seed };
  if (c.zoneout === 'expectation') return { mode: 'expectation', rate };
  if (c.zoneout === 'mask')
    return { mode: 'mask', mask: mask(T * B * H, seed, 0.5).map((v) => (v > 0 ? 1 : 0)) };
  return { mode: 'none' };
}

function lstmArgs(c: Case, seed = 1): LstmArgs {
  const { B, T, D, H } = c;
  return {
    dims: { batch: B, steps: T, inputDim: D, units: H },
    x: values(B * T * D, seed, 1),
    kernel: values(D * 4 * H, seed + 1),
    recurrentKernel: values(H * 4 * H, seed + 2),
    h0: values(B * H, seed + 3),
    c0: values(B * H, seed + 4),
    bias: values(4 * H, seed + 5),
    recurrentMask: givenMask(c, c.recurrent, 0.75, seed + 6),
    recurrentPerStep: c.recurrent === 'step' || c.recurrent === 'seeded',
    recurrentDropout: c.recurrent === 'seeded' ? { rate: 0.3, seed: seed + 7 } : undefined,
    candidateMask: givenMask(c, c.candidate, 0.8, seed + 8),
    candidatePerStep: c.candidate === 'step',
    zoneoutHidden: zoneout(c, 0.2, seed + 9),
    zoneoutCell: zoneout(c, 0.4, seed + 10),
    stepMask: c.stepMask
      ? Float32Array.from({ length: B * T }, (_, i) => (i % T < T - (((i / T) | 0) % 3) ? 1 : 0))
      : null,
    goBackwards: c.goBackwards === true,
    sequenceOutput: c.sequenceOutput !== false,
    activation: 2,
    recurrentActivation: 1,
  } as LstmArgs;
}

function gruArgs(c: Case, resetAfter: boolean, seed = 1): GruArgs {
  const l = lstmArgs(c, seed);
  const { D, H } = c;
  return {
    ...l,
    kernel: values(D * 3 * H, seed + 1),
    recurrentKernel: values(H * 3 * H, seed + 2),
    bias: values((resetAfter ? 2 : 1) * 3 * H, seed + 5),
    zoneoutCell: { mode: 'none' },
    resetAfter,
  } as GruArgs;
}

const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

describe.skipIf(impl === null)('native inference on a ring tape', () => {
  for (const c of CASES) {
    it(`LSTM, ${c.name}: the same bits as with a kept tape, on 1 and 2 threads`, () => {
      for (const threads of [1, 2]) {
        impl!.setThreads(threads);
        const a = lstmArgs(c);
        const kept = impl!.lstmForward(a, true);
        const ring = impl!.lstmForward(a, false);
        expect(kept.tape).not.toBeNull();
        expect(ring.tape).toBeNull();
        expect(bits(ring.sequence), `sequence, ${threads} threads`).toEqual(bits(kept.sequence));
        expect(bits(ring.h), `h, ${threads} threads`).toEqual(bits(kept.h));
        expect(bits(ring.c), `c, ${threads} threads`).toEqual(bits(kept.c));
        expect(ring.h.every(Number.isFinite)).toBe(true);
      }
    });

    for (const resetAfter of [false, true]) {
      it(`GRU (reset ${resetAfter ? 'after' : 'before'}), ${c.name}: the same bits as with a kept tape`, () => {
        for (const threads of [1, 2]) {
          impl!.setThreads(threads);
          const a = gruArgs(c, resetAfter);
          const kept = impl!.gruForward(a, true);
          const ring = impl!.gruForward(a, false);
          expect(ring.tape).toBeNull();
          expect(bits(ring.sequence), `sequence, ${threads} threads`).toEqual(bits(kept.sequence));
          expect(bits(ring.h), `h, ${threads} threads`).toEqual(bits(kept.h));
        }
      });
    }
  }

  // Batch-norm inference (moving statistics; maxSteps shorter than T: later steps reuse the last
  // row) on the LSTM that recomputes x̂_x (D ≤ 16) runs on the ring too.
  const bnNorm = (T: number, H: number, seed: number): FusedNorm => {
    const rows = Math.max(1, T - 2);
    return {
      kind: 'batch',
      scope: 'fused',
      training: false,
      epsilon: 1e-3,
      gammaX: values(4 * H, seed + 20, 0.5).map((v) => v + 1),
      gammaH: values(4 * H, seed + 21, 0.5).map((v) => v + 1),
      gammaC: values(H, seed + 22, 0.5).map((v) => v + 1),
      betaC: values(H, seed + 23, 0.2),
      moving: {
        meanX: values(rows * 4 * H, seed + 24, 0.2),
        varianceX: values(rows * 4 * H, seed + 25, 0.5).map((v) => v + 1),
        meanH: values(rows * 4 * H, seed + 26, 0.2),
        varianceH: values(rows * 4 * H, seed + 27, 0.5).map((v) => v + 1),
        meanC: values(rows * H, seed + 28, 0.2),
        varianceC: values(rows * H, seed + 29, 0.5).map((v) => v + 1),
      },
      maxSteps: rows,
    };
  };
  const BN_CASES: Case[] = [
    { name: 'D 1 (pMNIST-like), rows split', B: 13, T: 12, D: 1, H: 19 },
    {
      name: 'D 16, seeded zoneout, goBackwards, padding',
      B: 6,
      T: 9,
      D: 16,
      H: 17,
      zoneout: 'seeded',
      goBackwards: true,
      stepMask: true,
    },
    {
      name: 'D 3, per-step Gal and Semeniuta masks, small batch',
      B: 3,
      T: 7,
      D: 3,
      H: 24,
      recurrent: 'step',
      candidate: 'step',
    },
  ];
  for (const c of BN_CASES) {
    it(`LSTM batch-norm inference, ${c.name}: the same bits on a ring as with a kept tape, 1 and 2 threads`, () => {
      for (const threads of [1, 2]) {
        impl!.setThreads(threads);
        const a = { ...lstmArgs(c), norm: bnNorm(c.T, c.H, 3) };
        const kept = impl!.lstmForward(a, true);
        const ring = impl!.lstmForward(a, false);
        expect(bits(ring.sequence), `sequence, ${threads} threads`).toEqual(bits(kept.sequence));
        expect(bits(ring.h), `h, ${threads} threads`).toEqual(bits(kept.h));
        expect(bits(ring.c), `c, ${threads} threads`).toEqual(bits(kept.c));
        expect(ring.h.every(Number.isFinite)).toBe(true);
      }
    });
  }

  it('batch-norm inference takes the ring only where x̂_x is recomputed (D ≤ 16), training never', () => {
    const B = 4,
      T = 30,
      H = 8;
    const held = (D: number, training: boolean) => {
      const pool = new BufferPool(512 * 2 ** 20);
      const norm = { ...bnNorm(T, H, 5), training, ...(training ? { moving: undefined } : {}) };
      nativeImpl(binding!, pool).lstmForward({ ...lstmArgs({ name: '', B, T, D, H }), norm }, false);
      return pool.held();
    };
    // ring: gates, x̂_h [2, B, 4H]; h, c, PC [2, B, H]; then the per-step [T, ·] tapes (μ/σ²_x [2T, 4H],
    // rstd_x, rstd_h [T, 4H], μ_c, rstd_c [T, H])
    const ring = 4 * (2 * B * (2 * 4 * H + 3 * H) + 2 * T * 4 * H + 2 * T * 4 * H + 2 * T * H);
    expect(held(16, false)).toBe(ring);
    expect(held(17, false)).toBeGreaterThan(4 * T * B * 4 * H); // x̂_x kept: the whole tape
    expect(held(16, true)).toBeGreaterThan(4 * T * B * 4 * H); // training statistics: no ring
  });

  it('the tape it recycles does not grow with the sequence (structural: the pool holds 2 steps)', () => {
    const B = 8,
      D = 3,
      H = 10;
    for (const T of [5, 500]) {
      const pool = new BufferPool(512 * 2 ** 20);
      const mine = nativeImpl(binding!, pool);
      mine.lstmForward(lstmArgs({ name: '', B, T, D, H }), false);
      // gates [2, B, 4H], states h and c [2, B, H], PC [2, B, H], given back after the call
      expect(pool.held()).toBe(4 * RING_TAPE_STEPS * B * (4 * H + 3 * H));
      const gruPool = new BufferPool(512 * 2 ** 20);
      nativeImpl(binding!, gruPool).gruForward(gruArgs({ name: '', B, T, D, H }, false), false);
      expect(gruPool.held()).toBe(4 * RING_TAPE_STEPS * B * (3 * H + 2 * H));
    }
    // with a kept tape the backward pass needs every step: T·B·4H gates, (T + 1)·B·H states
    const pool = new BufferPool(512 * 2 ** 20);
    const T = 50;
    const f = nativeImpl(binding!, pool).lstmForward(lstmArgs({ name: '', B, T, D, H }), true);
    expect(f.tape).not.toBeNull();
    expect(pool.held()).toBe(0);
  });

  it('the addon refuses a ring tape on a backward call, naming the slot', () => {
    const c: Case = { name: '', B: 2, T: 3, D: 2, H: 4 };
    const a = lstmArgs(c);
    const f = impl!.lstmForward(a, true);
    const ints = Int32Array.from(
      inSlots(NATIVE_INTS, {
        ...Object.fromEntries(NATIVE_INTS.map((k) => [k, 0])),
        batch: 2,
        steps: 3,
        inputDim: 2,
        units: 4,
        activation: 2,
        recurrentActivation: 1,
        ringTape: 1,
      } as Record<(typeof NATIVE_INTS)[number], number>),
    );
    const floats = new Float64Array(NATIVE_FLOATS.length);
    const slots = [...NATIVE_BUFFERS.lstm, ...NATIVE_BUFFERS.lstmBackward];
    const tape = f.tape as unknown as Record<string, Float32Array>;
    const given: Record<string, Float32Array | null> = {
      x: a.x,
      kernel: a.kernel,
      recurrentKernel: a.recurrentKernel,
      bias: a.bias,
      h0: a.h0,
      c0: a.c0!,
      tapeGates: tape.gates!,
      tapeHs: tape.hs!,
      tapeCs: tape.cs!,
      tapePc: tape.pc!,
      dSequence: new Float32Array(2 * 3 * 4),
      dh: new Float32Array(8),
      dc: new Float32Array(8),
      dx: new Float32Array(2 * 3 * 2),
      dKernel: new Float32Array(2 * 16),
      dRecurrentKernel: new Float32Array(4 * 16),
      dBias: new Float32Array(16),
      dh0: new Float32Array(8),
      dc0: new Float32Array(8),
    };
    const bufs = slots.map((s) => given[s] ?? null);
    expect(() => binding!.lstmBackward(ints, floats, bufs)).toThrow(
      /lstmBackward: ringTape 1 is for forward calls without normalisation or, in the LSTM, with batch-norm inference on at most 16 inputs \(got a backward call\)/,
    );
  });
});
