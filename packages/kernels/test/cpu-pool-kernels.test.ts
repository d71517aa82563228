/**
 * The pooling kernels of src/fused/cpu-pool-kernels.ts registered for tfjs's CPU backend give
 * tfjs's own results bit for bit (same comparisons, same float64 sums in the same order): max and
 * average pooling and their gradients (through tf.grads) with valid, same, explicit and numeric
 * padding (each rounding mode), non-overlapping and overlapping windows, on normal values and on
 * small integers full of ties (the gradient goes to the first maximum, as tfjs's does); no leaked
 * tensors. The JavaScript kernels need no native addon.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { installCpuKernels, uninstallCpuKernels } from '../src/fused/cpu-kernels.js';
import { jsBinary, jsUnary } from '../src/fused/js-elementwise.js';
import type { Sgemm } from '../src/fused/impl.js';

const noSgemm: Sgemm = () => {
  throw new Error('no matmul in these tests');
};

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

function both(f: () => tf.Tensor[]): { got: Float32Array[]; want: Float32Array[] } {
  const run = () => tf.tidy(() => f().map((t) => t.dataSync() as Float32Array));
  uninstallCpuKernels();
  const want = run();
  installCpuKernels(noSgemm, jsBinary, jsUnary);
  const got = run();
  return { got, want };
}

describe('pooling kernels for tfjs CPU', () => {
  afterAll(() => uninstallCpuKernels());

  for (const c of CASES) {
    for (const values of ['normal', 'tied integers'] as const) {
      it(`give tfjs's bits: ${c.name}, ${values} values`, () => {
        const x = tf.tidy(() => {
          const v = tf.randomNormal([3, 13, 12, 8], 0, 1, 'float32', 9) as tf.Tensor4D;
          return values === 'normal' ? v : (tf.floor(tf.mul(v, 1.5)) as tf.Tensor4D);
        });
        const { got, want } = both(() => poolsAndGrads(c, x));
        expect(got.length).toBe(want.length);
        got.forEach((g, i) => expect(Array.from(g), `${c.name} #${i}`).toEqual(Array.from(want[i])));
        x.dispose();
      });
    }
  }

  it('are the kernels registered, and leave no tensors behind', () => {
    uninstallCpuKernels();
    const originals = ['MaxPool', 'AvgPool', 'MaxPoolGrad', 'AvgPoolGrad'].map(
      (n) => tf.getKernel(n, 'cpu')!.kernelFunc,
    );
    installCpuKernels(noSgemm, jsBinary, jsUnary);
    ['MaxPool', 'AvgPool', 'MaxPoolGrad', 'AvgPoolGrad'].forEach((n, i) =>
      expect(tf.getKernel(n, 'cpu')!.kernelFunc, n).not.toBe(originals[i]),
    );
    const x = tf.randomNormal([2, 16, 16, 8], 0, 1, 'float32', 1) as tf.Tensor4D;
    tf.dispose(poolsAndGrads(CASES[1], x)); // warm-up
    const before = tf.memory();
    tf.dispose(poolsAndGrads(CASES[1], x));
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(tf.memory().numDataBuffers).toBe(before.numDataBuffers);
    x.dispose();
  });
});
