/**
 * The element-wise (Step and comparisons included), reduction and transpose CPU kernels registered for tfjs (./cpu-math-kernels.ts,
 * ./cpu-data-kernels.ts, ./js-elementwise.ts), each against tfjs's own kernel on the same input,
 * with the native entry points and with the plain-JS ones the WebAssembly backend uses.
 *
 * Tolerances: data movement (transpose), Neg/Abs/Square/Sqrt/Reciprocal/Relu, arithmetic and
 * Max/Min are exact (Rsqrt within 1 ulp: float32 sqrt then divide rounds twice) (float32 results of one correctly rounded operation); Sum rtol 1e-6 (the same
 * float64 accumulation order as tfjs); the native vector exp/log/sigmoid/tanh are approximations:
 * rtol 1e-6 + atol 1e-7 (≈ 8 ulp; measured worst ≈ 2 ulp), and exact at edge values (±inf, NaN,
 * zero, subnormals, overflow), which take the C library's path.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { allClose } from '../../../test/helpers.js';
import { installCpuKernels, uninstallCpuKernels } from '../src/fused/cpu-kernels.js';
import { UNARY_CODE, type BinaryOp, type UnaryOp } from '../src/fused/impl.js';
import { jsBinary, jsUnary } from '../src/fused/js-elementwise.js';
import { loadNativeBinding } from '../src/native/binding.js';
import { nativeImpl } from '../src/native/native-impl.js';

const { binding } = loadNativeBinding();
const native = binding === null ? null : nativeImpl(binding);
const EXACT = { atol: 0, rtol: 0, equalNan: true };
const APPROX = { atol: 1e-7, rtol: 1e-6, equalNan: true };

interface Variant {
  name: string;
  unary: UnaryOp;
  binary: BinaryOp;
}
const variants: Variant[] = [{ name: 'plain JS', unary: jsUnary, binary: jsBinary }];
if (native) variants.push({ name: 'native', unary: native.unary!, binary: native.binary! });

/** f's outputs with tfjs's own kernels, then with the variant's (sgemm: tfjs's own matmul). */
function both(v: Variant, f: () => tf.Tensor[]): [Float32Array[], Float32Array[]] {
  const run = () => tf.tidy(() => f().map((t) => Float32Array.from(t.dataSync())));
  uninstallCpuKernels();
  const want = run();
  const tfjsMatMul = (
    a: Float32Array,
    b: Float32Array,
    m: number,
    k: number,
    n: number,
    ta: boolean,
    tb: boolean,
  ) =>
    tf.tidy(() => {
      const x = tf.tensor(a, ta ? [k, m] : [m, k]) as tf.Tensor2D;
      const y = tf.tensor(b, tb ? [n, k] : [k, n]) as tf.Tensor2D;
      return Float32Array.from(tf.matMul(x, y, ta, tb).dataSync());
    });
  installCpuKernels(tfjsMatMul, v.binary, v.unary);
  const got = run();
  uninstallCpuKernels();
  return [got, want];
}

/** Values of every magnitude, including ones the vector approximations must hand to libm. */
function mixed(n: number, seed: number): Float32Array {
  const v = tf.tidy(() => Float32Array.from(tf.randomNormal([n], 0, 4, 'float32', seed).dataSync()));
  const edges = [NaN, Infinity, -Infinity, 0, -0, 1e-40, -1e-40, 88.5, -87.5, -104, 100, -100, 1e-30, 3e38];
  edges.forEach((e, i) => (v[i * 37] = e));
  return v;
}

afterAll(() => uninstallCpuKernels());

describe.each(variants)('element-wise kernels ($name)', (v) => {
  it('Exp, Log, Sigmoid, Tanh agree with tfjs (approximations within 1e-6 relative, edge values exact)', () => {
    const x = tf.tensor1d(mixed(5000, 1));
    const pos = tf.abs(x);
    const [got, want] = both(v, () => [tf.exp(x), tf.log(pos), tf.sigmoid(x), tf.tanh(x)]);
    const names = ['exp', 'log', 'sigmoid', 'tanh'];
    got.forEach((g, i) => {
      allClose(g, want[i], APPROX, names[i]);
      for (let j = 0; j < g.length; j++) {
        const w = want[i][j];
        if (!Number.isFinite(w) || w === 0)
          expect(Object.is(g[j], w) || (g[j] === 0 && w === 0), `${names[i]}[${j}]`).toBe(true);
      }
    });
    tf.dispose([x, pos]);
  });

  it('Neg, Sqrt, Rsqrt, Square, Abs, Reciprocal, Relu agree exactly (NaN and infinities included; Rsqrt 1 ulp)', () => {
    const x = tf.tensor1d(mixed(4096, 2));
    const pos = tf.abs(x);
    const [got, want] = both(v, () => [
      tf.neg(x),
      tf.sqrt(pos),
      tf.rsqrt(pos),
      tf.square(x),
      tf.abs(x),
      tf.reciprocal(x),
      tf.relu(x),
    ]);
    got.forEach((g, i) => {
      if (i === 2) return allClose(g, want[i], { atol: 0, rtol: 1.2e-7, equalNan: true }, 'rsqrt');
      for (let j = 0; j < g.length; j++) {
        if (!(Object.is(g[j], want[i][j]) || g[j] === want[i][j])) {
          throw new Error(`op #${i} at ${j}: got ${g[j]}, tfjs ${want[i][j]} (input ${x.dataSync()[j]})`);
        }
      }
    });
    tf.dispose([x, pos]);
  });

  it('Step (α 0 and 0.3) and Less, Greater, LessEqual, GreaterEqual (same shape, scalar) agree exactly', () => {
    const x = tf.tensor1d(mixed(4096, 3));
    const y = tf.tensor1d(mixed(4096, 4));
    const s = tf.scalar(0.25);
    const [got, want] = both(v, () => [
      tf.step(x),
      tf.step(x, 0.3),
      ...[tf.less, tf.greater, tf.lessEqual, tf.greaterEqual].flatMap((cmp) => [
        cmp(x, y),
        cmp(x, s),
        cmp(x, x),
      ]),
    ]);
    got.forEach((g, i) => {
      for (let j = 0; j < g.length; j++)
        if (!(Object.is(g[j], want[i][j]) || g[j] === want[i][j]))
          throw new Error(`op #${i} at ${j}: got ${g[j]}, tfjs ${want[i][j]} (input ${x.dataSync()[j]})`);
    });
    uninstallCpuKernels();
    const tfjs = ['Step', 'Less', 'GreaterEqual'].map((n) => tf.getKernel(n, 'cpu')!.kernelFunc);
    installCpuKernels(() => new Float32Array(0), v.binary, v.unary);
    ['Step', 'Less', 'GreaterEqual'].forEach((n, i) =>
      expect(tf.getKernel(n, 'cpu')!.kernelFunc, n).not.toBe(tfjs[i]),
    );
    uninstallCpuKernels();
    tf.dispose([x, y, s]);
  });

  it('serve every op code, keep shapes, and leave small or non-float32 inputs to tfjs', () => {
    const out = new Float32Array(3000);
    for (const code of Object.values(UNARY_CODE)) v.unary(code, new Float32Array(3000).fill(0.5), out);
    expect(() => v.unary(99, new Float32Array(4), new Float32Array(4))).toThrow(/unknown op/);
    const [got, want] = both(v, () => {
      const big = tf.fill([3, 40, 30], 0.25);
      const r = [tf.exp(big), tf.exp(tf.scalar(2)), tf.abs(tf.fill([3000], -3, 'int32'))];
      expect(r[0].shape).toEqual([3, 40, 30]);
      expect(r[2].dtype).toBe('int32');
      return r;
    });
    got.forEach((g, i) => allClose(g, want[i], APPROX, `shape/dtype #${i}`));
  });

  it('broadcasting Add, Sub, Multiply, RealDiv agree exactly in every pattern, both operand orders', () => {
    const big = tf.randomNormal([40, 70], 0, 1, 'float32', 3);
    const others = [
      tf.randomNormal([40, 70], 0, 1, 'float32', 4),
      tf.scalar(1.7),
      tf.randomNormal([40, 1], 0, 1, 'float32', 5),
      tf.randomNormal([70], 0, 1, 'float32', 6),
      tf.randomNormal([1, 70], 0, 1, 'float32', 7),
    ];
    const ops = [tf.add, tf.sub, tf.mul, tf.div];
    const [got, want] = both(v, () => others.flatMap((o) => ops.flatMap((op) => [op(big, o), op(o, big)])));
    got.forEach((g, i) => allClose(g, want[i], EXACT, `arithmetic #${i}`));
    expect(() => v.binary(0, 9, new Float32Array(1), new Float32Array(1), new Float32Array(1), 1)).toThrow(
      /mode/,
    );
    tf.dispose([big, ...others]);
  });

  it('Max, Min, Sum over the last axis agree (keepDims, negative axis, NaN rows), other axes fall back', () => {
    const data = mixed(60 * 50, 8).map((e) => (Number.isFinite(e) ? e : 1));
    data[7 * 50 + 3] = NaN; // row 7 holds a NaN: max, min and sum are NaN there
    const x = tf.tensor2d(data, [60, 50]);
    const x3 = tf.reshape(x, [3, 20, 50]);
    const [got, want] = both(v, () => [
      tf.max(x, 1),
      tf.max(x, -1, true),
      tf.min(x3, 2),
      tf.sum(x, 1, true),
      tf.sum(x3, -1),
      tf.max(x3, 1), // a middle axis: tfjs's kernel
      tf.sum(x3, [0, 1]), // leading axes: cpu-data-kernels
    ]);
    got.forEach((g, i) =>
      allClose(
        g,
        want[i],
        i === 3 || i === 4 || i === 6 ? { atol: 1e-5, rtol: 1e-6, equalNan: true } : EXACT,
        `reduce #${i}`,
      ),
    );
    expect(Number.isNaN(got[0][7])).toBe(true);
    tf.dispose([x, x3]);
  });
});

describe('transpose kernel', () => {
  it('agrees exactly with tfjs for identity, 2-D and permutations of rank 3 and 4', () => {
    const x2 = tf.randomNormal([70, 45], 0, 1, 'float32', 9);
    const x3 = tf.randomNormal([6, 25, 30], 0, 1, 'float32', 10);
    const x4 = tf.randomNormal([3, 5, 12, 20], 0, 1, 'float32', 11);
    const perms3 = [
      [0, 1, 2],
      [0, 2, 1],
      [1, 0, 2],
      [1, 2, 0],
      [2, 0, 1],
      [2, 1, 0],
    ];
    const perms4 = [
      [0, 1, 2, 3],
      [3, 2, 1, 0],
      [0, 2, 1, 3],
      [1, 3, 0, 2],
      [2, 0, 3, 1],
    ];
    const [got, want] = both(variants[0], () => [
      tf.transpose(x2),
      tf.transpose(x2, [0, 1]),
      ...perms3.map((p) => tf.transpose(x3, p)),
      ...perms4.map((p) => tf.transpose(x4, p)),
    ]);
    got.forEach((g, i) => allClose(g, want[i], EXACT, `transpose #${i}`));
    // The identity permutation shares the input's storage (as Reshape does): it must be released
    // with the last tensor that holds it, and the input must outlive the output.
    installCpuKernels((a) => a, jsBinary, jsUnary);
    const before = tf.memory();
    const same = tf.transpose(x2, [0, 1]);
    x2.dispose();
    expect(Array.from(same.dataSync()).slice(0, 3)).toEqual(Array.from(want[1]).slice(0, 3));
    same.dispose();
    expect(tf.memory().numBytes).toBe(before.numBytes - 70 * 45 * 4);
    expect(tf.memory().numTensors).toBe(before.numTensors - 1);
    uninstallCpuKernels();
    tf.dispose([x3, x4]);
  });
});

describe.each(variants)('kernels in a training computation ($name)', (v) => {
  it('give tfjs’s gradients of softmax cross-entropy and leave no tensor behind over 100 steps', () => {
    const logits = tf.randomNormal([64, 50], 0, 2, 'float32', 12);
    const labels = tf.oneHot(
      tf.tensor1d(
        Array.from({ length: 64 }, (_, i) => (i * 7) % 50),
        'int32',
      ),
      50,
    );
    const loss = (l: tf.Tensor) => tf.losses.softmaxCrossEntropy(labels, l) as tf.Scalar;
    const [got, want] = both(v, () => [loss(logits), tf.grad(loss)(logits)]);
    got.forEach((g, i) => allClose(g, want[i], { atol: 1e-6, rtol: 1e-5 }, `softmax CE #${i}`));
    installCpuKernels((a) => a, v.binary, v.unary);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 100; i++) {
      tf.tidy(() => {
        tf.grad(loss)(logits);
      });
    }
    expect(tf.memory().numTensors).toBe(before);
    uninstallCpuKernels();
    tf.dispose([logits, labels]);
  });
});

describe.skipIf(native === null)('native element-wise calls split over threads', () => {
  it('give the same bits on 1, 2 and 3 threads for every unary op and broadcast mode', () => {
    const n = 200_003; // above the threading threshold, not a multiple of any vector width
    const x = mixed(n, 21);
    x.set(x.subarray(0, 600), 99_800); // the edge values (libm's path) also around the split points
    x.set(x.subarray(0, 600), 66_500);
    const y = mixed(n, 22);
    const row = mixed(1000, 23);
    const run = (threads: number) => {
      const before = binding!.threads();
      binding!.setThreads(threads);
      try {
        const outs: Buffer[] = [];
        for (const code of Object.values(UNARY_CODE)) {
          const out = new Float32Array(n);
          native!.unary!(code, x, out);
          outs.push(Buffer.from(out.buffer));
        }
        for (const [mode, b, m] of [
          [0, y, 1],
          [5, row, 1000],
        ] as const) {
          const out = new Float32Array(200_000);
          native!.binary!(2, mode, x.subarray(0, 200_000), b, out, m);
          outs.push(Buffer.from(out.buffer));
        }
        return outs;
      } finally {
        binding!.setThreads(before);
      }
    };
    const one = run(1);
    for (const threads of [2, 3])
      run(threads).forEach((b, i) => expect(b.equals(one[i]), `output ${i}, ${threads} threads`).toBe(true));
  });
});
