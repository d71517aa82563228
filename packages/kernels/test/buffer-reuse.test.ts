/**
 * Memory the native kernels keep across calls: the recycled tape (src/native/buffer-pool.ts) and
 * the per-thread scratch of the C++ drivers. Both come back with stale contents, so a call after
 * calls of other sizes and values must give bit for bit what a first call gives.
 */
import { describe, expect, it } from 'vitest';
import type { LstmArgs, GruArgs } from '../src/fused/impl.js';
import { loadNativeBinding } from '../src/native/binding.js';
import { BufferPool } from '../src/native/buffer-pool.js';
import { nativeImpl } from '../src/native/native-impl.js';

const { binding } = loadNativeBinding();

function values(n: number, seed: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => Math.sin(i * 1.7 + seed) * 0.3);
}

function lstmArgs(B: number, T: number, D: number, H: number, seed: number): LstmArgs {
  return {
    dims: { batch: B, steps: T, inputDim: D, units: H },
    x: values(B * T * D, seed),
    kernel: values(D * 4 * H, seed + 1),
    recurrentKernel: values(H * 4 * H, seed + 2),
    h0: values(B * H, seed + 3),
    c0: values(B * H, seed + 4),
    bias: values(4 * H, seed + 5),
    recurrentMask: null,
    candidateMask: null,
    candidatePerStep: false,
    zoneoutHidden: { mode: 'seeded', rate: 0.1, seed: seed },
    zoneoutCell: { mode: 'seeded', rate: 0.4, seed: seed + 9 },
    stepMask: null,
    goBackwards: false,
    sequenceOutput: true,
    activation: 2,
    recurrentActivation: 1,
  };
}

function runLstm(impl: ReturnType<typeof nativeImpl>, a: LstmArgs) {
  const { batch: B, steps: T, units: H } = a.dims;
  const f = impl.lstmForward(a, true);
  const g = impl.lstmBackward(a, f.tape!, values(B * T * H, 7), values(B * H, 8), values(B * H, 9));
  return [f.sequence, f.h, f.c, g.dx, g.dKernel, g.dRecurrentKernel, g.dBias, g.dh0, g.dc0];
}

describe('BufferPool', () => {
  it('hands back arrays of the exact length and keeps at most maxBytes', () => {
    const pool = new BufferPool(1000);
    const a = pool.take(100);
    expect(a.length).toBe(100);
    pool.give(a, new Float32Array(200)); // 400 + 800 bytes: the second is over the cap
    expect(pool.held()).toBe(400);
    expect(pool.take(100)).toBe(a);
    expect(pool.take(100)).not.toBe(a);
    expect(pool.held()).toBe(0);
  });

  it('keeps the lengths used last: a full pool evicts the least recently used other lengths', () => {
    // A training step's tape (lengths 100, 50), then evaluation calls of another size (length 150)
    // that do not fit beside it, then training again: the pool must end up holding the training
    // arrays, not stay filled with the evaluation's (which made every later step allocate afresh).
    const pool = new BufferPool(1000);
    const t1 = pool.take(100);
    const t2 = pool.take(50);
    pool.give(t1, t2); // 600 bytes
    const e = pool.take(150);
    pool.give(e); // 600 + 600 > 1000: the least recently used length (100) goes, 50 stays
    expect(pool.held()).toBe(800);
    expect(pool.take(150)).toBe(e);
    expect(pool.take(50)).toBe(t2);
    const t1b = pool.take(100);
    expect(t1b).not.toBe(t1); // evicted: a fresh array
    pool.give(e); // 600
    pool.give(t1b, t2); // training again: 150 (used before) is evicted for them
    expect(pool.held()).toBe(600);
    expect(pool.take(100)).toBe(t1b);
    expect(pool.take(50)).toBe(t2);
    expect(pool.take(150)).not.toBe(e);
  });

  it('never evicts a length given in the same call, nor keeps an array larger than the cap', () => {
    const pool = new BufferPool(1000);
    pool.give(new Float32Array(300)); // 1200 bytes > cap: dropped
    expect(pool.held()).toBe(0);
    const a = new Float32Array(150);
    const b = new Float32Array(100);
    pool.give(a, b); // 600 + 400 = 1000: both fit
    expect(pool.held()).toBe(1000);
    pool.give(new Float32Array(10), new Float32Array(150)); // 150's length is in this call: 100 goes for the 40 bytes
    expect(pool.held()).toBe(640);
    expect(pool.take(150)).toBe(a);
  });
});

describe.skipIf(binding === null)('native kernels with recycled tape and scratch', () => {
  it('give the same LSTM results after calls of other sizes and values as a fresh instance', () => {
    const want = runLstm(nativeImpl(binding!), lstmArgs(5, 9, 7, 33, 1));
    const impl = nativeImpl(binding!);
    runLstm(impl, lstmArgs(8, 20, 16, 64, 2)); // larger: scratch grows, tape buffers of other sizes
    runLstm(impl, lstmArgs(5, 9, 7, 33, 3)); // same sizes, other values: the tape is recycled
    const got = runLstm(impl, lstmArgs(5, 9, 7, 33, 1));
    got.forEach((g, i) => expect(Array.from(g), `output #${i}`).toEqual(Array.from(want[i])));
  });

  it('give the same GRU results (both reset modes) after other calls', () => {
    const gruArgs = (resetAfter: boolean, seed: number, H = 17): GruArgs => {
      const l = lstmArgs(3, 6, 5, H, seed);
      return {
        ...l,
        kernel: values(5 * 3 * H, seed + 1),
        recurrentKernel: values(H * 3 * H, seed + 2),
        bias: values((resetAfter ? 2 : 1) * 3 * H, seed + 5),
        resetAfter,
      };
    };
    for (const resetAfter of [false, true]) {
      const run = (impl: ReturnType<typeof nativeImpl>, a: GruArgs) => {
        const f = impl.gruForward(a, true);
        const g = impl.gruBackward(a, f.tape!, values(3 * 6 * a.dims.units, 7), values(3 * a.dims.units, 8));
        return [f.sequence, f.h, g.dx, g.dKernel, g.dRecurrentKernel, g.dBias, g.dh0];
      };
      const want = run(nativeImpl(binding!), gruArgs(resetAfter, 1));
      const impl = nativeImpl(binding!);
      run(impl, gruArgs(resetAfter, 4, 40));
      run(impl, gruArgs(resetAfter, 5));
      const got = run(impl, gruArgs(resetAfter, 1));
      got.forEach((g, i) =>
        expect(Array.from(g), `resetAfter ${resetAfter} #${i}`).toEqual(Array.from(want[i])),
      );
    }
  });
});
