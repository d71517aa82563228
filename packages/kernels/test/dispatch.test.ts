/**
 * The dispatcher: REGULAB_KERNELS forces a backend, REGULAB_THREADS sets threads, switching at run
 * time, the CPU kernels follow the backend, and every backend gives the same op (seeded zoneout
 * included, since the reference draws the very masks the kernels draw).
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { allClose } from '../../../test/helpers.js';
import {
  backend,
  fusedImpl,
  kernelThreads,
  lstmSequence,
  gruSequence,
  setKernelBackend,
  setKernelThreads,
} from '../src/dispatch.js';
import { cpuKernelsInstalled } from '../src/fused/cpu-kernels.js';
import { loadNativeBinding } from '../src/native/binding.js';
import { caseTensors, gruCase, lstmCase } from './fused-cases.js';

const nativeBuilt = loadNativeBinding().binding !== null;

describe('kernel dispatcher', () => {
  it('honours REGULAB_KERNELS and REGULAB_THREADS on first use', () => {
    process.env.REGULAB_KERNELS = 'reference';
    process.env.REGULAB_THREADS = '1';
    try {
      expect(backend()).toBe('reference');
      expect(fusedImpl()).toBeNull();
      expect(kernelThreads()).toBe(1);
      expect(cpuKernelsInstalled()).toBe(false);
    } finally {
      delete process.env.REGULAB_KERNELS;
    }
  });

  it.skipIf(!nativeBuilt)('switches to native at run time, with threads and the CPU kernels', () => {
    expect(setKernelBackend('native')).toBe('native');
    expect(backend()).toBe('native');
    expect(kernelThreads()).toBe(1); // REGULAB_THREADS=1 from the previous test
    setKernelThreads(2);
    expect(kernelThreads()).toBe(2);
    expect(fusedImpl()!.describe()).toMatch(/^native (avx512|avx2|baseline), 2 threads$/);
    expect(cpuKernelsInstalled()).toBe(true);
    expect(() => setKernelThreads(0)).toThrow(/positive integer/);
    expect(setKernelBackend('reference')).toBe('reference');
    expect(cpuKernelsInstalled()).toBe(false);
  });

  it('gives the same outputs on every available backend, seeded zoneout included', () => {
    const c = lstmCase({ batch: 2, steps: 4, dim: 3, units: 5, recurrentMask: true });
    const seeded = { ...c, zoneoutSeeded: { cell: { rate: 0.5, seed: 3 }, hidden: { rate: 0.2, seed: 4 } } };
    const g = gruCase({ batch: 2, steps: 4, dim: 3, units: 5 }, true);
    const gSeeded = { ...g, zoneoutSeeded: { hidden: { rate: 0.3, seed: 5 } } };
    setKernelBackend('reference');
    const want = tf.tidy(() => [lstmSequence(seeded).sequence, gruSequence(gSeeded).sequence]);
    for (const b of ['native', 'wasm'] as const) {
      if (setKernelBackend(b) !== b) continue; // not available here
      const got = tf.tidy(() => [lstmSequence(seeded).sequence, gruSequence(gSeeded).sequence]);
      allClose(got[0], want[0], { atol: 1e-5, rtol: 1e-4 }, `${b} LSTM`);
      allClose(got[1], want[1], { atol: 1e-5, rtol: 1e-4 }, `${b} GRU`);
      tf.dispose(got);
    }
    setKernelBackend('reference');
    tf.dispose([...want, ...caseTensors(c), ...caseTensors(g)]);
  });

  it('runs zero-length sequences on the reference whatever the backend', () => {
    setKernelBackend('auto');
    const c = lstmCase({ batch: 2, steps: 1, dim: 3, units: 4 });
    const x = tf.zeros([2, 0, 3]) as tf.Tensor3D;
    const o = lstmSequence({ ...c, x });
    expect(o.sequence.shape).toEqual([2, 0, 4]);
    allClose(o.h, c.h0, { atol: 0, rtol: 0 }, 'h of an empty sequence');
    tf.dispose([x, o.sequence, o.h, o.c, ...caseTensors(c)]);
    setKernelBackend('reference');
  });
});
