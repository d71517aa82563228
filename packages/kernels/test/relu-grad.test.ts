/**
 * Relu's gradient as one pass (src/fused/relu-grad.ts) while Regulab's CPU kernels are installed,
 * computed by BINARY_OP.reluGrad in JavaScript and in the native addon (threaded SIMD): the same
 * bits as tfjs's mul(dy, cast(step(x))) on normal values and on the special ones (±0, ±∞, NaN in
 * x and in dy: dy·0 keeps its sign, NaN in x gives NaN), through tf.grad of a function with a
 * ReLU and through the gradient of a gradient, at 4,096 elements and at 200,000 (the native call
 * splits those over its threads: the same bits on 1 and 3 threads); both refuse broadcasting
 * operands; it really runs (the profile shows RegulabReluGrad and no Step); uninstalling restores
 * tfjs's gradient; no leaked tensors.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { installCpuKernels, uninstallCpuKernels } from '../src/fused/cpu-kernels.js';
import { BINARY_MODE, BINARY_OP } from '../src/fused/abi.js';
import { jsBinary, jsUnary } from '../src/fused/js-elementwise.js';
import type { BinaryOp, Sgemm } from '../src/fused/impl.js';
import { RELU_GRAD } from '../src/fused/relu-grad.js';
import { loadNativeBinding } from '../src/native/binding.js';
import { nativeImpl } from '../src/native/native-impl.js';

const noSgemm: Sgemm = () => {
  throw new Error('no matmul in these tests');
};
const { binding } = loadNativeBinding();
const variants: { name: string; binary: BinaryOp }[] = [{ name: 'plain JS', binary: jsBinary }];
if (binding !== null) variants.push({ name: 'native', binary: nativeImpl(binding).binary! });
const install = (binary: BinaryOp = jsBinary) => installCpuKernels(noSgemm, binary, jsUnary);

const SPECIAL = [0, -0, 1, -1, Infinity, -Infinity, NaN, 1e-30, -1e-30, 3.5];

/** x of n values (the specials, then normal ones) and dy with the specials in another order. */
function inputs(n = 4096) {
  const x = tf.tidy(() =>
    tf.concat([tf.tensor1d(SPECIAL), tf.randomNormal([n - SPECIAL.length], 0, 1, 'float32', 3)]),
  );
  const dy = tf.tidy(() =>
    tf.concat([
      tf.tensor1d([...SPECIAL].reverse()),
      tf.randomNormal([n - SPECIAL.length], 0, 1, 'float32', 4),
    ]),
  );
  return { x, dy };
}

const reluVjp = (x: tf.Tensor, dy: tf.Tensor) => tf.grad((xx: tf.Tensor) => tf.relu(xx))(x, dy);
/** Gradient of Σ (∂/∂x Σ relu(x)·w)·v with respect to w: the second-order path through RegulabReluGrad. */
const second = (x: tf.Tensor, w: tf.Tensor, v: tf.Tensor) =>
  tf.grad((ww: tf.Tensor) => tf.sum(tf.mul(reluVjp(x, ww), v)))(w);
const bits = (t: tf.Tensor) => Array.from(new Uint32Array((t.dataSync() as Float32Array).slice().buffer));

describe('Relu gradient in one pass', () => {
  afterAll(() => uninstallCpuKernels());

  for (const variant of variants)
    for (const n of [4096, 200_000])
      it(`gives tfjs's bits on normal and special values, first and second order (${variant.name}, ${n} elements)`, () => {
        const { x, dy } = inputs(n);
        const v = tf.randomNormal([n], 0, 1, 'float32', 5);
        uninstallCpuKernels();
        const want = tf.tidy(() => [bits(reluVjp(x, dy)), bits(second(x, dy, v))]);
        install(variant.binary);
        const got = tf.tidy(() => [bits(reluVjp(x, dy)), bits(second(x, dy, v))]);
        expect(got[0]).toEqual(want[0]);
        expect(got[1]).toEqual(want[1]);
        tf.dispose([x, dy, v]);
      });

  it.skipIf(binding === null)('gives the same bits on 1 and 3 native threads', () => {
    const { x, dy } = inputs(200_001);
    const [xv, dyv] = [x.dataSync() as Float32Array, dy.dataSync() as Float32Array];
    const run = (threads: number) => {
      const before = binding!.threads();
      binding!.setThreads(threads);
      const out = new Float32Array(xv.length);
      nativeImpl(binding!).binary!(BINARY_OP.reluGrad, BINARY_MODE.sameShape, dyv, xv, out, 1);
      binding!.setThreads(before);
      return Array.from(new Uint32Array(out.buffer));
    };
    const one = run(1);
    expect(run(3)).toEqual(one);
    expect(one.some((b) => b !== 0)).toBe(true);
    tf.dispose([x, dy]);
  });

  for (const variant of variants)
    it(`refuses broadcasting operands, naming the mode (${variant.name})`, () => {
      const [a, b, out] = [new Float32Array(4), new Float32Array(1), new Float32Array(4)];
      expect(() => variant.binary(BINARY_OP.reluGrad, BINARY_MODE.bScalar, a, b, out, 1)).toThrow(
        /reluGrad takes operands of one shape.*got mode 1/,
      );
    });

  it('runs as one kernel instead of Step, Cast and Multiply, and uninstalls', async () => {
    const { x, dy } = inputs();
    install(variants[variants.length - 1].binary);
    const names = async () => {
      const p = await tf.profile(() => reluVjp(x, dy).dispose());
      return p.kernelNames;
    };
    const ours = await names();
    expect(ours).toContain(RELU_GRAD);
    expect(ours).not.toContain('Step');
    uninstallCpuKernels();
    const theirs = await names();
    expect(theirs).not.toContain(RELU_GRAD);
    expect(theirs).toContain('Step');
    expect(tf.getKernel(RELU_GRAD, 'cpu')).toBeUndefined();
    tf.dispose([x, dy]);
  });

  it('leaves no tensors behind', () => {
    const { x, dy } = inputs();
    install();
    tf.dispose(reluVjp(x, dy));
    const before = tf.memory();
    tf.dispose(reluVjp(x, dy));
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(tf.memory().numDataBuffers).toBe(before.numDataBuffers);
    tf.dispose([x, dy]);
  });
});
