/**
 * The native CPU matmul kernels registered for tfjs: same products as tfjs's own (all transpose
 * combinations, batched with broadcasting, fused bias, gradients), and a clean uninstall.
 * Tolerance atol 1e-4, rtol 1e-4: sums of ≤ 70 float32 products of O(1) values in a different order.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { allClose } from '../../../test/helpers.js';
import { cpuKernelsInstalled, installCpuKernels, uninstallCpuKernels } from '../src/fused/cpu-kernels.js';
import { loadNativeBinding } from '../src/native/binding.js';
import { nativeImpl } from '../src/native/native-impl.js';

const { binding, reason } = loadNativeBinding();
if (binding === null) console.warn(`cpu-kernels tests skipped: native addon not built (${reason})`);
const TOL = { atol: 1e-4, rtol: 1e-4 };

/** Runs f with tfjs's kernels and with the native ones; returns both results as arrays. */
function both(f: () => tf.Tensor | tf.Tensor[]): [Float32Array[], Float32Array[]] {
  const run = () => tf.tidy(() => [f()].flat().map((t) => t.dataSync() as Float32Array));
  uninstallCpuKernels();
  const want = run();
  installCpuKernels(nativeImpl(binding!).sgemm!, nativeImpl(binding!).binary);
  const got = run();
  return [got, want];
}

describe.skipIf(binding === null)('native CPU matmul kernels', () => {
  afterAll(() => uninstallCpuKernels());

  it('match tfjs for every transpose combination, batches and broadcasting', () => {
    const a = tf.randomNormal([3, 37, 70], 0, 1, 'float32', 1);
    const b = tf.randomNormal([3, 70, 45], 0, 1, 'float32', 2);
    const b1 = tf.randomNormal([1, 70, 45], 0, 1, 'float32', 3);
    for (const [ta, tb] of [
      [false, false],
      [true, false],
      [false, true],
      [true, true],
    ] as const) {
      const [got, want] = both(() => {
        const x = ta ? tf.transpose(a, [0, 2, 1]) : a;
        const y = tb ? tf.transpose(b, [0, 2, 1]) : b;
        return [
          tf.matMul(x, y, ta, tb),
          tf.matMul(tf.squeeze(tf.slice(x, 0, 1)), tf.squeeze(tf.slice(y, 0, 1)), ta, tb),
        ];
      });
      got.forEach((g, i) => allClose(g, want[i], TOL, `ta ${ta} tb ${tb} #${i}`));
    }
    const [got, want] = both(() => tf.matMul(a, b1));
    allClose(got[0], want[0], TOL, 'broadcast batch');
    expect(cpuKernelsInstalled()).toBe(true);
    tf.dispose([a, b, b1]);
  });

  it('match tfjs for a dense layer forward and its gradients (fused bias)', () => {
    const x = tf.randomNormal([64, 40], 0, 1, 'float32', 4);
    const w = tf.randomNormal([40, 50], 0, 1, 'float32', 5);
    const bias = tf.randomNormal([50], 0, 1, 'float32', 6);
    const [got, want] = both(() => {
      const f = (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) =>
        tf.sum(tf.square(tf.fused.matMul({ a: xx as tf.Tensor2D, b: ww as tf.Tensor2D, bias: bb })));
      return [tf.fused.matMul({ a: x, b: w, bias }), ...tf.grads(f)([x, w, bias])];
    });
    got.forEach((g, i) => allClose(g, want[i], { atol: 1e-3, rtol: 1e-4 }, `dense #${i}`));
    tf.dispose([x, w, bias]);
  });

  it('match tfjs for a dense layer in inference: bias and ReLU after the product (_FusedMatMul)', () => {
    const x = tf.randomNormal([64, 40], 0, 1, 'float32', 8) as tf.Tensor2D;
    const w = tf.randomNormal([40, 50], 0, 1, 'float32', 9) as tf.Tensor2D;
    const bias = tf.randomNormal([50], 0, 1, 'float32', 10);
    const [got, want] = both(() => tf.fused.matMul({ a: x, b: w, bias, activation: 'relu' }));
    allClose(got[0], want[0], TOL, 'relu(x·w + b)');
    expect(Math.min(...got[0]), 'ReLU applied').toBe(0);
    tf.dispose([x, w, bias]);
  });

  it('match tfjs for the embedding gradient (UnsortedSegmentSum), repeated and out-of-range ids', () => {
    const table = tf.randomNormal([7, 5], 0, 1, 'float32', 7);
    const ids = tf.tensor1d([0, 3, 3, 6, 1, 3, 0, 2], 'int32');
    const [got, want] = both(() => [
      tf.grad((t: tf.Tensor) => tf.sum(tf.square(tf.gather(t, ids))))(table),
      tf.unsortedSegmentSum(tf.ones([4, 2]), tf.tensor1d([1, 9, 1, -1], 'int32'), 3),
    ]);
    got.forEach((g, i) => allClose(g, want[i], TOL, `segment sum #${i}`));
    tf.dispose([table, ids]);
  });

  it('match tfjs for broadcasting Add, Sub, Multiply, RealDiv (every served pattern and one that is not)', () => {
    const big = tf.randomNormal([40, 70], 0, 1, 'float32', 8);
    const others = [
      tf.randomNormal([40, 70], 0, 1, 'float32', 9), // same shape
      tf.scalar(1.7), // scalar
      tf.randomNormal([40, 1], 0, 1, 'float32', 10), // one value per row
      tf.randomNormal([70], 0, 1, 'float32', 11), // one repeated row
      tf.randomNormal([1, 70], 0, 1, 'float32', 12),
      tf.randomNormal([2, 40, 70], 0, 1, 'float32', 13), // not served (batch broadcast): tfjs's kernel
    ];
    const ops = [tf.add, tf.sub, tf.mul, tf.div];
    const [got, want] = both(() => others.flatMap((o) => ops.flatMap((op) => [op(big, o), op(o, big)])));
    got.forEach((g, i) => allClose(g, want[i], { atol: 1e-6, rtol: 1e-6 }, `arithmetic #${i}`));
    tf.dispose([big, ...others]);
  });

  it('match tfjs for slices of every kind (inner, middle and outer axes, -1 sizes)', () => {
    // Every slice has ≥ 2048 elements, so the fast kernel (not tfjs's) serves it.
    const x = tf.randomNormal([8, 9, 300], 0, 1, 'float32', 14);
    const [got, want] = both(() => [
      tf.slice(x, [0, 8, 0], [-1, 1, -1]),
      tf.slice(x, [1, 2, 3], [6, 5, 280]),
      tf.slice(x, [2, 0, 0], [2, -1, -1]),
      tf.slice(x, [0, 0, 10], [8, 9, 250]),
    ]);
    got.forEach((g, i) => allClose(g, want[i], { atol: 0, rtol: 0 }, `slice #${i}`));
    x.dispose();
  });

  it('match tfjs for row gathers, 2-D transposes and leading-axis sums (and fall back otherwise)', () => {
    const table = tf.randomNormal([50, 64], 0, 1, 'float32', 15);
    const ids = tf.tensor2d(
      [
        3, 0, 49, 3, 7, 7, 12, 1, 0, 2, 5, 9, 11, 30, 31, 48, 3, 3, 2, 1, 0, 0, 6, 6, 8, 44, 45, 46, 47, 1, 2,
        3,
      ],
      [4, 8],
      'int32',
    );
    const m = tf.randomNormal([3, 60, 50], 0, 1, 'float32', 16);
    const [got, want] = both(() => [
      tf.gather(table, ids),
      tf.transpose(tf.reshape(m, [180, 50])),
      tf.sum(m, [0, 1]),
      tf.sum(m, 0, true),
      tf.sum(m, -1), // not a leading axis: tfjs's kernel
      tf.gather(table, tf.tensor1d([1, 2], 'int32'), 1), // axis 1: tfjs's kernel
    ]);
    got.forEach((g, i) => allClose(g, want[i], { atol: 1e-4, rtol: 1e-5 }, `data #${i}`));
    tf.dispose([table, ids, m]);
  });

  it('leave non-float32 and activated products to tfjs, and uninstall cleanly', () => {
    installCpuKernels(nativeImpl(binding!).sgemm!, nativeImpl(binding!).binary);
    expect(tf.add(tf.ones([64, 64], 'int32'), tf.ones([64, 64], 'int32')).dtype).toBe('int32');
    const ai = tf.ones([40, 40], 'int32') as tf.Tensor2D;
    expect(tf.matMul(ai, ai).dtype).toBe('int32');
    const [got, want] = both(() =>
      tf.fused.matMul({
        a: tf.ones([40, 40]) as tf.Tensor2D,
        b: tf.ones([40, 40]) as tf.Tensor2D,
        activation: 'elu',
      }),
    );
    allClose(got[0], want[0], TOL, 'elu');
    uninstallCpuKernels();
    expect(cpuKernelsInstalled()).toBe(false);
    ai.dispose();
  });
});
