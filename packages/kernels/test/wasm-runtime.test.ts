/**
 * The WebAssembly kernels as a runtime: thread counts and builds give the same numbers, nothing
 * leaks (tensors or WebAssembly memory), bad arguments fail with clear errors, the committed
 * binaries match their sources, and the dispatcher can select the build.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { allClose, checkGradient, expectNoLeak } from '../../../test/helpers.js';
import { backend, setKernelBackend } from '../src/dispatch.js';
import type { LstmArgs } from '../src/fused/impl.js';
import { fusedGruSequence, fusedLstmSequence } from '../src/fused/ops.js';
import { wasmBytes } from '../src/wasm/bytes.js';
import { createWasmImpl, type WasmImpl } from '../src/wasm/impl.js';
import { caseTensors, gruCase, lstmCase, type CaseOptions } from './fused-cases.js';
import { expectAgree, gruRun, lstmRun, prefix } from './fused-agreement.js';

const impl = createWasmImpl();
const others: WasmImpl[] = [];
afterAll(() => [impl, ...others].forEach((i) => i.dispose()));

/** LSTM and both GRUs with every option that touches the recurrence at once. */
function runAll(w: WasmImpl, o: CaseOptions): Record<string, Float32Array> {
  const c = lstmCase(o);
  const g0 = gruCase(o, false);
  const g1 = gruCase(o, true);
  try {
    return {
      ...lstmRun((i) => fusedLstmSequence(w, i), c),
      ...prefix(
        gruRun((i) => fusedGruSequence(w, i), g0),
        'gru',
      ),
      ...prefix(
        gruRun((i) => fusedGruSequence(w, i), g1),
        'gruAfter',
      ),
    };
  } finally {
    tf.dispose([...caseTensors(c), ...caseTensors(g0), ...caseTensors(g1)]);
  }
}

const BIG: CaseOptions = {
  batch: 5,
  steps: 6,
  dim: 3,
  units: 19,
  zoneout: 'seeded',
  recurrentMask: true,
  candidate: 'step',
  stepMask: true,
};

describe('wasm kernels: threads and builds', () => {
  it('gives bit-identical results on 1 and 2 threads (rows are split, each element summed in the same order)', () => {
    expect(impl.runtime.maxThreads()).toBe(2);
    impl.setThreads(1);
    expect(impl.threads()).toBe(1);
    const one = runAll(impl, BIG);
    impl.setThreads(2);
    expect(impl.threads()).toBe(2);
    const two = runAll(impl, BIG);
    for (const k of Object.keys(one)) expect(Array.from(two[k]), k).toEqual(Array.from(one[k]));
  });

  it('gives bit-identical results with unshared memory on one thread (the browser build) and with shared memory', () => {
    const shared = createWasmImpl({ relaxed: false });
    const unshared = createWasmImpl({ relaxed: false, threads: false });
    others.push(shared, unshared);
    expect(unshared.runtime.maxThreads()).toBe(1);
    const a = runAll(shared, BIG);
    const b = runAll(unshared, BIG);
    for (const k of Object.keys(a)) expect(Array.from(b[k]), k).toEqual(Array.from(a[k]));
  });

  it('agrees between the relaxed-SIMD (fused multiply-add) and plain SIMD builds within float32 rounding', () => {
    const plain = createWasmImpl({ relaxed: false });
    others.push(plain);
    expect(plain.runtime.relaxed).toBe(false);
    expectAgree(runAll(impl, BIG), runAll(plain, BIG), `${impl.describe()} vs ${plain.describe()}`);
  });
});

describe('wasm kernels: finite-difference gradients', () => {
  // Central differences with eps = 1e-2 in float32 on O(1) values; tolerance atol 2e-3 + rtol 2e-2
  // covers the O(eps²) truncation (≈ 1e-4 for these smooth activations) and float32 cancellation
  // (≈ 1e-7·|loss|/eps ≈ 1e-4).
  const TOL = { atol: 2e-3, rtol: 2e-2 };
  const o: CaseOptions = {
    batch: 2,
    steps: 3,
    dim: 2,
    units: 3,
    zoneout: 'mask',
    recurrentMask: true,
    stepMask: true,
  };
  const weights = tf.randomNormal([2, 3, 3], 0, 1, 'float32', 5);
  afterAll(() => weights.dispose());

  it('LSTM: x, recurrent kernel, h0 and c0', () => {
    const c = lstmCase(o);
    const loss = (patch: Partial<typeof c>) =>
      tf.sum(tf.mul(fusedLstmSequence(impl, { ...c, ...patch }).sequence, weights)) as tf.Scalar;
    checkGradient((x) => loss({ x: x as tf.Tensor3D }), c.x, TOL, 1e-2, 'dx');
    checkGradient((u) => loss({ recurrentKernel: u as tf.Tensor2D }), c.recurrentKernel, TOL, 1e-2, 'dU');
    checkGradient((h) => loss({ h0: h as tf.Tensor2D }), c.h0, TOL, 1e-2, 'dh0');
    checkGradient((cc) => loss({ c0: cc as tf.Tensor2D }), c.c0, TOL, 1e-2, 'dc0');
    tf.dispose(caseTensors(c));
  });

  for (const resetAfter of [false, true]) {
    it(`GRU (resetAfter ${resetAfter}): x, kernel, recurrent kernel, bias`, () => {
      const c = gruCase(o, resetAfter);
      const loss = (patch: Partial<typeof c>) =>
        tf.sum(tf.mul(fusedGruSequence(impl, { ...c, ...patch }).sequence, weights)) as tf.Scalar;
      checkGradient((x) => loss({ x: x as tf.Tensor3D }), c.x, TOL, 1e-2, 'dx');
      checkGradient((w) => loss({ kernel: w as tf.Tensor2D }), c.kernel, TOL, 1e-2, 'dW');
      checkGradient((u) => loss({ recurrentKernel: u as tf.Tensor2D }), c.recurrentKernel, TOL, 1e-2, 'dU');
      checkGradient((b) => loss({ bias: b as tf.Tensor1D }), c.bias, TOL, 1e-2, 'db');
      tf.dispose(caseTensors(c));
    });
  }
});

describe('wasm kernels: one-step sequences (finite differences; the reference cannot differentiate T = 1)', () => {
  const TOL = { atol: 2e-3, rtol: 2e-2 };
  const o: CaseOptions = {
    batch: 2,
    steps: 1,
    dim: 3,
    units: 5,
    zoneout: 'expectation',
    candidate: 'sequence',
  };

  it('LSTM and both GRUs: x, h0 and the recurrent kernel', () => {
    const c = lstmCase(o);
    const lossL = (patch: Partial<typeof c>) => {
      const r = fusedLstmSequence(impl, { ...c, ...patch });
      return tf.add(tf.sum(tf.square(r.sequence)), tf.sum(r.c)) as tf.Scalar;
    };
    checkGradient((x) => lossL({ x: x as tf.Tensor3D }), c.x, TOL, 1e-2, 'LSTM dx');
    checkGradient((h) => lossL({ h0: h as tf.Tensor2D }), c.h0, TOL, 1e-2, 'LSTM dh0');
    checkGradient(
      (u) => lossL({ recurrentKernel: u as tf.Tensor2D }),
      c.recurrentKernel,
      TOL,
      1e-2,
      'LSTM dU',
    );
    tf.dispose(caseTensors(c));
    for (const resetAfter of [false, true]) {
      const g = gruCase(o, resetAfter);
      const lossG = (patch: Partial<typeof g>) =>
        tf.sum(tf.square(fusedGruSequence(impl, { ...g, ...patch }).sequence)) as tf.Scalar;
      checkGradient((x) => lossG({ x: x as tf.Tensor3D }), g.x, TOL, 1e-2, `GRU ${resetAfter} dx`);
      checkGradient((h) => lossG({ h0: h as tf.Tensor2D }), g.h0, TOL, 1e-2, `GRU ${resetAfter} dh0`);
      checkGradient(
        (u) => lossG({ recurrentKernel: u as tf.Tensor2D }),
        g.recurrentKernel,
        TOL,
        1e-2,
        `GRU ${resetAfter} dU`,
      );
      tf.dispose(caseTensors(g));
    }
  });
});

describe('wasm kernels: no leaks', () => {
  it('leaves no tensor and no WebAssembly memory behind over 1,000 training steps', async () => {
    const c = lstmCase({ batch: 2, steps: 3, dim: 2, units: 4, zoneout: 'seeded' });
    const vars = [c.x, c.kernel, c.recurrentKernel, c.bias] as const;
    await expectNoLeak(() => {
      for (let step = 0; step < 1000; step++) {
        const g = tf.grads((x, w, u, b) =>
          tf.sum(
            fusedLstmSequence(impl, {
              ...c,
              x: x as tf.Tensor3D,
              kernel: w as tf.Tensor2D,
              recurrentKernel: u as tf.Tensor2D,
              bias: b as tf.Tensor1D,
            }).sequence,
          ),
        )([...vars]);
        tf.dispose(g);
      }
    }, '1,000 steps');
    expect(impl.bytesInUse()).toBe(0);
    tf.dispose(caseTensors(c));
  });

  it('frees the call memory of an inference forward (no tape kept)', () => {
    const c = gruCase({ batch: 3, steps: 4, dim: 2, units: 5 }, true);
    tf.tidy(() => {
      fusedGruSequence(impl, c);
    });
    expect(impl.bytesInUse()).toBe(0);
    tf.dispose(caseTensors(c));
  });
});

function rawArgs(): LstmArgs {
  const B = 2,
    T = 3,
    D = 2,
    H = 3;
  return {
    dims: { batch: B, steps: T, inputDim: D, units: H },
    x: new Float32Array(B * T * D),
    kernel: new Float32Array(D * 4 * H),
    recurrentKernel: new Float32Array(H * 4 * H),
    bias: new Float32Array(4 * H),
    h0: new Float32Array(B * H),
    c0: new Float32Array(B * H),
    recurrentMask: null,
    candidateMask: null,
    candidatePerStep: false,
    zoneoutCell: { mode: 'none' },
    zoneoutHidden: { mode: 'none' },
    stepMask: null,
    goBackwards: false,
    sequenceOutput: true,
    activation: 2,
    recurrentActivation: 1,
  };
}

describe('wasm kernels: clear errors', () => {
  it('rejects other dtypes, wrong lengths and unknown activation codes', () => {
    const a = rawArgs();
    expect(() =>
      impl.lstmForward({ ...a, x: new Float64Array(12) as unknown as Float32Array }, false),
    ).toThrow(/x must be a Float32Array \(float32\), got Float64Array/);
    expect(() => impl.lstmForward({ ...a, recurrentKernel: new Float32Array(5) }, false)).toThrow(
      /recurrentKernel must have 36 elements, got 5/,
    );
    expect(() => impl.lstmForward({ ...a, c0: new Float32Array(1) }, false)).toThrow(
      /c0 must have 6 elements/,
    );
    expect(() => impl.lstmForward({ ...a, activation: 9 }, false)).toThrow(
      /activation must be an ACTIVATION_CODE/,
    );
    expect(() => impl.lstmForward({ ...a, dims: { ...a.dims, units: 0 } }, false)).toThrow(/must be ≥ 1/);
    expect(impl.bytesInUse()).toBe(0);
  });

  it('rejects a tape used twice, a foreign tape and wrong output-gradient shapes', () => {
    const a = rawArgs();
    const d = new Float32Array(18);
    const s = new Float32Array(6);
    const { tape } = impl.lstmForward(a, true);
    expect(() => impl.lstmBackward(a, tape!, new Float32Array(3), s, s)).toThrow(
      /output gradients must have the shapes/,
    );
    expect(() => impl.lstmBackward(a, tape!, d, s, s)).toThrow(/already used/);
    expect(() => impl.lstmBackward(a, {}, d, s, s)).toThrow(/not made by the wasm impl/);
    expect(() => impl.setThreads(0)).toThrow(/threads must be an integer ≥ 1/);
    expect(impl.bytesInUse()).toBe(0);
  });
});

describe('wasm kernels: shipped binaries and selection', () => {
  it('ships binaries built from the current sources (wasm/bin/manifest.json, written by npm run build:wasm)', async () => {
    const dir = new URL('../wasm/', import.meta.url);
    const build = (await import(new URL('build.mjs', dir).href)) as { sourceHash(): string };
    const manifest = JSON.parse(readFileSync(new URL('bin/manifest.json', dir), 'utf8')) as {
      sources: string;
      binaries: Record<string, string>;
    };
    expect(manifest.sources, 'sources changed since the last `npm run build:wasm`').toBe(build.sourceHash());
    expect(Object.keys(manifest.binaries)).toHaveLength(4);
    for (const [file, hash] of Object.entries(manifest.binaries)) {
      const got = createHash('sha256')
        .update(readFileSync(new URL(file, dir)))
        .digest('hex');
      expect(got, `${file} differs from the build`).toBe(hash);
    }
  });

  it('embeds exactly those binaries in src/wasm/binaries.ts (npm run embed:wasm rewrites it)', async () => {
    const embed = (await import(new URL('../wasm/embed.mjs', import.meta.url).href)) as {
      embeddedSource(): string;
      VARIANTS: { file: string }[];
    };
    const file = readFileSync(new URL('../src/wasm/binaries.ts', import.meta.url), 'utf8');
    expect(file, 'src/wasm/binaries.ts is stale: npm run embed:wasm -w packages/kernels').toBe(
      embed.embeddedSource(),
    );
    const dir = new URL('../wasm/', import.meta.url);
    for (const [shared, relaxed, name] of [
      [false, false, 'bin/regulab-kernels.wasm'],
      [false, true, 'bin/regulab-kernels-relaxed.wasm'],
      [true, false, 'bin/regulab-kernels-shared.wasm'],
      [true, true, 'bin/regulab-kernels-shared-relaxed.wasm'],
    ] as const) {
      expect(Buffer.from(wasmBytes(shared, relaxed)).equals(readFileSync(new URL(name, dir)))).toBe(true);
    }
  });

  it('is what the dispatcher runs under REGULAB_KERNELS=wasm', () => {
    expect(setKernelBackend('wasm')).toBe('wasm');
    expect(backend()).toBe('wasm');
    setKernelBackend('auto');
  });
});

describe('wasm kernels: sgemm (dense matmul for the tfjs CPU backend)', () => {
  it('matches tf.matMul for every transposition and odd sizes (float32: atol 1e-5 + rtol 1e-4)', () => {
    for (const [m, k, n] of [
      [5, 7, 3],
      [33, 1, 17],
      [1, 64, 50],
      [40, 9, 8],
    ]) {
      for (const transA of [false, true]) {
        for (const transB of [false, true]) {
          const a = tf.randomNormal(transA ? [k, m] : [m, k], 0, 1, 'float32', m + k) as tf.Tensor2D;
          const b = tf.randomNormal(transB ? [n, k] : [k, n], 0, 1, 'float32', k + n) as tf.Tensor2D;
          const want = tf.matMul(a, b, transA, transB);
          const got = impl.sgemm(
            a.dataSync() as Float32Array,
            b.dataSync() as Float32Array,
            m,
            k,
            n,
            transA,
            transB,
          );
          allClose(got, want, { atol: 1e-5, rtol: 1e-4 }, `sgemm ${m}x${k}x${n} ${transA} ${transB}`);
          tf.dispose([a, b, want]);
        }
      }
    }
    expect(() => impl.sgemm(new Float32Array(3), new Float32Array(3), 2, 2, 2, false, false)).toThrow(
      /must have 2·2/,
    );
    expect(impl.bytesInUse()).toBe(0);
  });
});
