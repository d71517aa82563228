/**
 * The pooling kernels registered for tfjs's CPU backend (src/fused/cpu-pool-kernels.ts), on the
 * native addon's threaded passes (native/src/pool.cc) and on the JavaScript ones
 * (src/fused/js-pool.ts, the fallback and the WebAssembly build's), give tfjs's own results bit
 * for bit (same comparisons, same float64 sums in the same order): max and average pooling and
 * their gradients (through tf.grad) with valid, same, explicit and numeric padding (each rounding
 * mode), non-overlapping and overlapping windows, on normal values and on small integers full of
 * ties (the gradient goes to the first maximum, as tfjs's does), and on inputs full of NaN, −∞ and
 * ±0 with gradients holding NaN and −0 (windows of NaN and −∞ only, which get no gradient; pixels
 * in no window, which get 0) for channel counts 3, 6, 20 and 37 (the native passes' scalar,
 * 4-channel and 16-channel chunks and their tails). Also: each case really runs on the given ops
 * (counted calls), every output element is written (a buffer of NaN ends as a zeroed one does,
 * pixels in no window included), the native passes give tfjs's bits on 1, 2 and 3 threads with
 * inputs large enough to be split, no leaked tensors, and a clear error for a buffer the geometry
 * does not fit.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { installCpuKernels, uninstallCpuKernels } from '../src/fused/cpu-kernels.js';
import { jsBinary, jsUnary } from '../src/fused/js-elementwise.js';
import { jsPool2d } from '../src/fused/js-pool.js';
import type { Pool2dOps, Sgemm } from '../src/fused/impl.js';
import { loadNativeBinding } from '../src/native/binding.js';
import { nativeImpl } from '../src/native/native-impl.js';

const noSgemm: Sgemm = () => {
  throw new Error('no matmul in these tests');
};

const { binding, reason } = loadNativeBinding();
if (binding === null) console.warn(`native pooling tests skipped: native addon not built (${reason})`);
const native = binding === null ? null : nativeImpl(binding);

interface Variant {
  name: string;
  ops: Pool2dOps;
}
const variants: Variant[] = [{ name: 'JavaScript', ops: jsPool2d }];
if (native !== null) variants.unshift({ name: 'native', ops: native.pool2d! });

/** Calls into the ops since the last reset. */
let calls = 0;
function counted(ops: Pool2dOps): Pool2dOps {
  return {
    maxPool: (...a) => (calls++, ops.maxPool(...a)),
    avgPool: (...a) => (calls++, ops.avgPool(...a)),
    maxPoolGrad: (...a) => (calls++, ops.maxPoolGrad(...a)),
    avgPoolGrad: (...a) => (calls++, ops.avgPoolGrad(...a)),
  };
}

type Pad =
  'valid' | 'same' | number | [[number, number], [number, number], [number, number], [number, number]];
interface Case {
  name: string;
  filter: [number, number];
  strides: [number, number];
  pad: Pad;
  rounding?: 'floor' | 'round' | 'ceil';
}

const CASES: Case[] = [
  { name: '2×2 stride 2 valid', filter: [2, 2], strides: [2, 2], pad: 'valid' },
  { name: '3×3 stride 2 same (overlapping)', filter: [3, 3], strides: [2, 2], pad: 'same' },
  { name: '3×2 strides 1, 2 same', filter: [3, 2], strides: [1, 2], pad: 'same' },
  {
    name: '2×3 explicit pads',
    filter: [2, 3],
    strides: [2, 1],
    pad: [
      [0, 0],
      [1, 0],
      [2, 1],
      [0, 0],
    ],
  },
  { name: '3×3 stride 2 pad 1 ceil', filter: [3, 3], strides: [2, 2], pad: 1, rounding: 'ceil' },
  { name: '3×3 stride 2 pad 1 round', filter: [3, 3], strides: [2, 2], pad: 1, rounding: 'round' },
];

/** The pools of x and their input gradients of Σ pool(x)·w (w fixed). */
function poolsAndGrads(c: Case, x: tf.Tensor4D): tf.Tensor[] {
  const out: tf.Tensor[] = [];
  for (const pool of [tf.maxPool, tf.avgPool]) {
    // tfjs's AvgPoolGrad takes no rounding mode: its gradient is only defined without one.
    if (pool === tf.avgPool && c.rounding !== undefined && c.rounding !== 'floor') continue;
    const f = (xx: tf.Tensor) => pool(xx as tf.Tensor4D, c.filter, c.strides, c.pad, c.rounding);
    const y = f(x);
    const w = tf.randomNormal(y.shape, 0, 1, 'float32', 5);
    out.push(y, tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(f(xx), w)))(x));
    w.dispose();
  }
  return out;
}

const install = (v: Variant) =>
  installCpuKernels(noSgemm, jsBinary, jsUnary, undefined, { pool: counted(v.ops) });
const read = (f: () => tf.Tensor[]) => tf.tidy(() => f().map((t) => Array.from(t.dataSync())));

/** f's results with tfjs's kernels (expected) and with ours (actual). */
function both(v: Variant, f: () => tf.Tensor[]): { got: number[][]; want: number[][] } {
  uninstallCpuKernels();
  const want = read(f);
  install(v);
  const got = read(f);
  return { got, want };
}

function input(shape: [number, number, number, number], values: 'normal' | 'tied integers', seed = 9) {
  return tf.tidy(() => {
    const v = tf.randomNormal(shape, 0, 1, 'float32', seed) as tf.Tensor4D;
    return values === 'normal' ? v : (tf.floor(tf.mul(v, 1.5)) as tf.Tensor4D);
  });
}

describe.each(variants)('pooling kernels for tfjs CPU ($name)', (v) => {
  afterAll(() => uninstallCpuKernels());

  for (const c of CASES) {
    for (const values of ['normal', 'tied integers'] as const) {
      it(`give tfjs's bits: ${c.name}, ${values} values`, () => {
        const x = input([3, 13, 12, 8], values);
        calls = 0;
        const { got, want } = both(v, () => poolsAndGrads(c, x));
        // per pool: its forward, again inside tf.grad, and its gradient (left to tfjs with a
        // rounding mode: tfjs's gradient drops the mode, see leaveToTfjs)
        const perPool = c.rounding === undefined ? 3 : 2;
        expect(calls, 'every pool and gradient ran on the ops').toBe((want.length / 2) * perPool);
        expect(got.length).toBe(want.length);
        got.forEach((g, i) => expect(g, `${c.name} #${i}`).toEqual(want[i]));
        x.dispose();
      });
    }
  }

  // 2×2 / 2 on 11 leaves the last row and column in no window; 2×2 / 3 leaves every third
  it("give tfjs's bits on NaN, −∞, ±0 and ties, with NaN and −0 gradients, and pixels in no window", () => {
    const special: Case[] = [
      CASES[0],
      { name: '2×2 stride 3 valid', filter: [2, 2], strides: [3, 3], pad: 'valid' },
      { name: '2×2 stride 2 same (last windows clipped)', filter: [2, 2], strides: [2, 2], pad: 'same' },
      CASES[1],
    ];
    /** A tensor of `shape` whose elements are drawn from `table` (seeded). */
    const pick = (table: number[], shape: number[], seed: number) =>
      tf.tidy(() => {
        const at = tf.floor(tf.randomUniform(shape, 0, table.length, 'float32', seed)).toInt();
        return tf.gather(tf.tensor1d(table), at) as tf.Tensor as tf.Tensor4D; // gather takes at's shape
      });
    for (const C of [3, 6, 20, 37]) {
      // half the pixels NaN or −∞: a 2×2 window is all of them with probability 1/16
      const x = pick([NaN, -Infinity, -Infinity, NaN, 1, 2, -0, 0], [6, 11, 11, C], 3);
      for (const c of special) {
        const f = (xx: tf.Tensor) => tf.maxPool(xx as tf.Tensor4D, c.filter, c.strides, c.pad);
        const run = () => {
          const y = f(x);
          const dy = pick([-0, 1.5, NaN, -2, 0, 3], y.shape, 4);
          return [y, tf.grad(f)(x, dy)];
        };
        calls = 0;
        const { got, want } = both(v, run);
        expect(calls, 'the pool and its gradient ran on the ops').toBe(3);
        const empty = want[0].filter((y) => y === -Infinity).length;
        expect(empty, 'windows of NaN and −∞ only').toBeGreaterThan(0);
        got.forEach((g, i) => expect(g, `${c.name}, C = ${C}, #${i}`).toEqual(want[i]));
      }
      x.dispose();
    }
  });

  it('write every element of their outputs (a buffer of NaN ends as a zeroed one does)', () => {
    // 2×2 windows, stride 3, on 11 × 11: rows and columns 2, 5 and 8 lie in no window
    const g = {
      batch: 2,
      inHeight: 11,
      inWidth: 11,
      inChannels: 5,
      outHeight: 4,
      outWidth: 4,
      outChannels: 5,
      filterHeight: 2,
      filterWidth: 2,
      strideHeight: 3,
      strideWidth: 3,
      dilationHeight: 1,
      dilationWidth: 1,
      padTop: 0,
      padLeft: 0,
    };
    const x = new Float32Array(tf.tidy(() => tf.randomNormal([2, 11, 11, 5], 0, 1, 'float32', 6).dataSync()));
    const dy = new Float32Array(tf.tidy(() => tf.randomNormal([2, 4, 4, 5], 0, 1, 'float32', 7).dataSync()));
    const runs: [string, number, (out: Float32Array) => void][] = [
      ['maxPool', dy.length, (out) => v.ops.maxPool(g, x, out)],
      ['avgPool', dy.length, (out) => v.ops.avgPool(g, x, out)],
      ['maxPoolGrad', x.length, (out) => v.ops.maxPoolGrad(g, x, dy, out)],
      ['avgPoolGrad', x.length, (out) => v.ops.avgPoolGrad(g, dy, out)],
    ];
    for (const [name, length, run] of runs) {
      const zeroed = new Float32Array(length);
      const stale = new Float32Array(length).fill(NaN);
      run(zeroed);
      run(stale);
      const wrote = zeroed.some((e) => e !== 0);
      expect(wrote, `${name} wrote something`).toBe(true);
      expect(Array.from(stale), name).toEqual(Array.from(zeroed));
    }
  });

  it.skipIf(v.name !== 'native')("give tfjs's bits on 1, 2 and 3 threads (inputs split across them)", () => {
    const x = input([6, 32, 30, 16], 'tied integers', 4);
    for (const c of [CASES[0], CASES[1], CASES[4]]) {
      uninstallCpuKernels();
      const want = read(() => poolsAndGrads(c, x));
      install(v);
      const before = native!.threads();
      for (const n of [1, 2, 3]) {
        native!.setThreads(n);
        const got = read(() => poolsAndGrads(c, x));
        got.forEach((g, i) => expect(g, `${c.name} #${i}, ${n} threads`).toEqual(want[i]));
      }
      native!.setThreads(before);
    }
    x.dispose();
  });

  it('are registered, and leave no tensors behind', () => {
    uninstallCpuKernels();
    const names = ['MaxPool', 'AvgPool', 'MaxPoolGrad', 'AvgPoolGrad'];
    const originals = names.map((n) => tf.getKernel(n, 'cpu')!.kernelFunc);
    install(v);
    names.forEach((n, i) => expect(tf.getKernel(n, 'cpu')!.kernelFunc, n).not.toBe(originals[i]));
    const x = tf.randomNormal([2, 16, 16, 8], 0, 1, 'float32', 1) as tf.Tensor4D;
    tf.dispose(poolsAndGrads(CASES[1], x)); // warm-up
    const before = tf.memory();
    tf.dispose(poolsAndGrads(CASES[1], x));
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(tf.memory().numDataBuffers).toBe(before.numDataBuffers);
    x.dispose();
  });

  it.skipIf(v.name !== 'native')('refuse a buffer the geometry does not fit, naming both sizes', () => {
    const g = {
      batch: 1,
      inHeight: 4,
      inWidth: 4,
      inChannels: 1,
      outHeight: 2,
      outWidth: 2,
      outChannels: 1,
      filterHeight: 2,
      filterWidth: 2,
      strideHeight: 2,
      strideWidth: 2,
      dilationHeight: 1,
      dilationWidth: 1,
      padTop: 0,
      padLeft: 0,
    };
    expect(() => v.ops.maxPool(g, new Float32Array(16), new Float32Array(3))).toThrow(
      /pool2d: buffer 2 holds 3 floats, the geometry needs 4/,
    );
    expect(() => v.ops.avgPool({ ...g, outChannels: 2 }, new Float32Array(16), new Float32Array(4))).toThrow(
      /pool2d: outChannels 2 != inChannels 1/,
    );
  });
});
