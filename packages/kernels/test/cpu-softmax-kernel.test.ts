/**
 * Regulab's one-pass Softmax kernel for tfjs's CPU backend (../src/fused/cpu-softmax-kernel.ts)
 * against tfjs's own kernel on the same inputs.
 *
 * Bounds: with Math.exp as its exp, max |Δ| = 0 (bit for bit): the kernel rounds to float32 where
 * tfjs's Max/Sub/Exp/Sum/RealDiv chain does (float64 row sum, as tfjs's Sum). As installed, with the
 * plain-JS polynomial exp or the native vector exp (both ≤ 1e-6 relative of Math.exp after float32
 * rounding, ./cpu-math-kernels.test.ts): rtol 1e-6 + atol 1e-7, i.e. max |Δ| ≤ 1.1e-6. Training
 * steps (the gradient is tfjs's mul/sum/sub, on Regulab's element-wise kernels when installed):
 * atol 1e-6, rtol 1e-5.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { allClose } from '../../../test/helpers.js';
import { installCpuKernels, uninstallCpuKernels } from '../src/fused/cpu-kernels.js';
import { softmaxRows } from '../src/fused/cpu-softmax-kernel.js';
import type { Sgemm, UnaryOp } from '../src/fused/impl.js';
import { jsBinary, jsUnary } from '../src/fused/js-elementwise.js';
import { loadNativeBinding } from '../src/native/binding.js';
import { nativeImpl } from '../src/native/native-impl.js';

/** A plain triple-loop sgemm (C = op(A)·op(B), float64 sums) so matmuls work while installed. */
const naiveSgemm: Sgemm = (a, b, m, k, n, ta, tb, out = new Float32Array(m * n)) => {
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++)
        s += (ta ? a[p * m + i] : a[i * k + p]) * (tb ? b[j * k + p] : b[p * n + j]);
      out[i * n + j] = s;
    }
  return out;
};
const softmaxKernel = () => tf.getKernel('Softmax', 'cpu')!.kernelFunc;

const { binding } = loadNativeBinding();
const native = binding === null ? null : nativeImpl(binding);
const APPROX = { atol: 1e-7, rtol: 1e-6, equalNan: true };
const variants: { name: string; unary: UnaryOp }[] = [{ name: 'plain JS', unary: jsUnary }];
if (native) variants.push({ name: 'native', unary: native.unary! });

/** f's outputs with tfjs's own kernels, then with Regulab's (exp through `unary`: plain JS by default). */
function both(f: () => tf.Tensor[], unary: UnaryOp = jsUnary): [Float32Array[], Float32Array[]] {
  const run = () => tf.tidy(() => f().map((t) => Float32Array.from(t.dataSync())));
  uninstallCpuKernels();
  const want = run();
  installCpuKernels(naiveSgemm, jsBinary, unary);
  const got = run();
  uninstallCpuKernels();
  return [got, want];
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

function expectBitwise(got: Float32Array, want: Float32Array, what: string): void {
  expect(got.length, what).toBe(want.length);
  for (let i = 0; i < got.length; i++)
    if (!Object.is(got[i], want[i])) throw new Error(`${what}[${i}]: got ${got[i]}, tfjs ${want[i]}`);
}

afterAll(() => uninstallCpuKernels());

describe('Softmax CPU kernel', () => {
  it('replaces tfjs’s kernel while installed and restores it after', () => {
    uninstallCpuKernels();
    const tfjs = softmaxKernel();
    installCpuKernels(naiveSgemm);
    expect(softmaxKernel()).not.toBe(tfjs);
    uninstallCpuKernels();
    expect(softmaxKernel()).toBe(tfjs);
  });

  it('with Math.exp as its exp, equals tfjs’s kernel bit for bit (±80 logits; max |Δ| = 0)', () => {
    const mathExp: UnaryOp = (_op, x, out) => {
      for (let i = 0; i < x.length; i++) out[i] = Math.exp(x[i]);
    };
    const wide = tf.randomUniform([640, 53], -80, 80, 'float32', 3); // [B·T, V]
    uninstallCpuKernels();
    const want = tf.tidy(() => tf.softmax(wide).dataSync() as Float32Array);
    const got = new Float32Array(want.length);
    softmaxRows(wide.dataSync() as Float32Array, got, 53, mathExp);
    expect(maxAbsDiff(got, want)).toBe(0);
    expectBitwise(got, want, 'softmax');
    wide.dispose();
  });
});

// The installed kernel's exp: the plain-JS polynomial (< 1e-9 relative) or the native vector exp
// (≤ 8 ulp): y within rtol 1e-6 + atol 1e-7 of tfjs's, so max |Δ| ≤ 1.1e-6 on probabilities ≤ 1.
describe.each(variants)('Softmax CPU kernel, $name exp', ({ unary }) => {
  it('agrees with tfjs’s kernel within rtol 1e-6 + atol 1e-7 on random logits, ±80 included', () => {
    const wide = tf.randomUniform([640, 53], -80, 80, 'float32', 3); // [B·T, V]
    const normal = tf.randomNormal([4, 50, 50], 0, 3, 'float32', 4); // [B, T, V]
    const huge = tf.add(tf.randomUniform([64, 64], -1, 1, 'float32', 5), 1e4); // all far from 0
    const [got, want] = both(() => [tf.softmax(wide), tf.softmax(normal), tf.softmax(huge)], unary);
    got.forEach((g, i) => {
      allClose(g, want[i], APPROX, `input #${i}`);
      expect(maxAbsDiff(g, want[i]), `input #${i}`).toBeLessThanOrEqual(1.1e-6);
    });
    // Each row a probability vector: finite, in [0, 1], summing to 1 (float32 rounding: ≤ 1e-5).
    const rows = got[0].length / 53;
    for (let r = 0; r < rows; r++) {
      const row = got[0].subarray(r * 53, (r + 1) * 53);
      expect(row.every((p) => Number.isFinite(p) && p >= 0 && p <= 1)).toBe(true);
      expect(Math.abs(row.reduce((s, p) => s + p, 0) - 1)).toBeLessThan(1e-5);
    }
    tf.dispose([wide, normal, huge]);
  });

  it('gives 1 for rows of length 1 and NaN for rows holding NaN, as tfjs does', () => {
    const single = tf.randomUniform([4096, 1], -80, 80, 'float32', 6); // [N, 1]
    const v = tf.randomNormal([64, 40], 0, 1, 'float32', 7).dataSync() as Float32Array;
    v[5] = NaN; // row 0
    v[40 * 3 + 39] = NaN; // row 3, last column
    const withNan = tf.tensor2d(v, [64, 40]);
    const [got, want] = both(() => [tf.softmax(single), tf.softmax(withNan)], unary);
    expect(got[0].every((p) => p === 1)).toBe(true);
    expectBitwise(got[0], want[0], 'rows of length 1');
    allClose(got[1], want[1], APPROX, 'rows with NaN');
    expect(got[1].subarray(0, 40).every((p) => Number.isNaN(p))).toBe(true);
    expect(got[1].subarray(120, 160).every((p) => Number.isNaN(p))).toBe(true);
    expect(got[1].subarray(40, 80).some((p) => Number.isNaN(p))).toBe(false);
    tf.dispose([single, withNan]);
  });

  it('softmaxRows is stable where the naive exp(x)/Σexp(x) overflows', () => {
    const x = Float32Array.from([1000, 1000, 999, -1000]);
    const out = new Float32Array(4);
    softmaxRows(x, out, 4, unary);
    const e = Math.exp(-1);
    allClose(out, [1 / (2 + e), 1 / (2 + e), e / (2 + e), 0], { atol: 1e-7, rtol: 1e-6 }, 'softmax');
  });

  it('leaves small, non-float32 and tfjs-rejected inputs to tfjs', () => {
    const small = tf.randomNormal([4, 5], 0, 1, 'float32', 8);
    const [got, want] = both(() => [tf.softmax(small)], unary);
    expectBitwise(got[0], want[0], 'small');
    installCpuKernels(naiveSgemm, jsBinary, unary);
    const big = tf.zeros([64, 64]);
    expect(() => tf.softmax(big, 0)).toThrow(/non-last dimension/);
    uninstallCpuKernels();
    tf.dispose([small, big]);
  });

  it('keeps tf.memory flat over 50 calls', () => {
    const x = tf.randomNormal([256, 50], 0, 4, 'float32', 9);
    installCpuKernels(naiveSgemm, jsBinary, unary);
    tf.tidy(() => tf.softmax(x).dataSync()); // warm
    const before = tf.memory();
    for (let i = 0; i < 50; i++) tf.tidy(() => tf.softmax(x).dataSync());
    const kept = tf.softmax(x);
    expect(tf.memory().numTensors).toBe(before.numTensors + 1);
    expect(tf.memory().numBytes).toBe(before.numBytes + 256 * 50 * 4);
    kept.dispose();
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(tf.memory().numBytes).toBe(before.numBytes);
    uninstallCpuKernels();
    x.dispose();
  });

  it('trains a softmax classifier to the same weights as tfjs’s kernel (5 SGD steps, atol 1e-6)', () => {
    const x = tf.randomNormal([256, 32], 0, 1, 'float32', 10); // [N, D]
    const labels = tf.oneHot(tf.randomUniform([256], 0, 16, 'int32', 11), 16); // [N, K]
    const w0 = tf.randomNormal([32, 16], 0, 0.5, 'float32', 12); // [D, K]
    const train = (): tf.Tensor[] => {
      const w = tf.variable(w0.clone());
      const opt = tf.train.sgd(0.5);
      const losses: tf.Tensor[] = [];
      for (let s = 0; s < 5; s++) {
        const loss = opt.minimize(
          () => {
            const p = tf.softmax(tf.matMul(x, w)); // [N, K]
            return tf.neg(tf.mean(tf.sum(tf.mul(labels, tf.log(p)), 1))) as tf.Scalar;
          },
          true,
          [w],
        )!;
        losses.push(loss);
      }
      const out = [tf.stack(losses), w.clone()];
      tf.dispose(losses);
      w.dispose();
      opt.dispose();
      return out;
    };
    const [got, want] = both(train, unary);
    allClose(got[0], want[0], { atol: 1e-6, rtol: 1e-5 }, 'losses');
    allClose(got[1], want[1], { atol: 1e-6, rtol: 1e-5 }, 'weights');
    expect(got[0][4]).toBeLessThan(got[0][0]); // it did train
    tf.dispose([x, labels, w0]);
  });
});
