/**
 * Relu's gradient as one pass (src/fused/relu-grad.ts) while Regulab's CPU kernels are installed:
 * the same bits as tfjs's mul(dy, cast(step(x))) on normal values and on the special ones (±0,
 * ±∞, NaN in x and in dy: dy·0 keeps its sign, NaN in x gives NaN), through tf.grad of a
 * function with a ReLU and through the gradient of a gradient; it really runs (the profile shows
 * RegulabReluGrad and no Step); uninstalling restores tfjs's gradient; no leaked tensors.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { installCpuKernels, uninstallCpuKernels } from '../src/fused/cpu-kernels.js';
import { jsBinary, jsUnary } from '../src/fused/js-elementwise.js';
import type { Sgemm } from '../src/fused/impl.js';
import { RELU_GRAD } from '../src/fused/relu-grad.js';

const noSgemm: Sgemm = () => {
  throw new Error('no matmul in these tests');
};
const install = () => installCpuKernels(noSgemm, jsBinary, jsUnary);

const SPECIAL = [0, -0, 1, -1, Infinity, -Infinity, NaN, 1e-30, -1e-30, 3.5];

/** x of 4096 values (the specials, then normal ones) and dy with the specials in another order. */
function inputs() {
  const x = tf.tidy(() =>
    tf.concat([tf.tensor1d(SPECIAL), tf.randomNormal([4096 - SPECIAL.length], 0, 1, 'float32', 3)]),
  );
  const dy = tf.tidy(() =>
    tf.concat([
      tf.tensor1d([...SPECIAL].reverse()),
      tf.randomNormal([4096 - SPECIAL.length], 0, 1, 'float32', 4),
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

  it("gives tfjs's bits on normal and special values, first and second order", () => {
    const { x, dy } = inputs();
    const v = tf.randomNormal([4096], 0, 1, 'float32', 5);
    uninstallCpuKernels();
    const want = tf.tidy(() => [bits(reluVjp(x, dy)), bits(second(x, dy, v))]);
    install();
    const got = tf.tidy(() => [bits(reluVjp(x, dy)), bits(second(x, dy, v))]);
    expect(got[0]).toEqual(want[0]);
    expect(got[1]).toEqual(want[1]);
    tf.dispose([x, dy, v]);
  });

  it('runs as one kernel instead of Step, Cast and Multiply, and uninstalls', async () => {
    const { x, dy } = inputs();
    install();
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
