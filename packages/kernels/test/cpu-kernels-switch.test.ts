/**
 * cpuKernels(): the switch for Regulab's fast tfjs CPU kernels, which otherwise replace tfjs's own
 * for the whole process from the first Regulab call on. A plain tf.matMul gives exactly tfjs's
 * original product (bit for bit, against the product taken before any Regulab call) when they are
 * off, and exactly the fast sgemm's product when on; REGULAB_CPU_KERNELS=0 sets the default.
 * The tests run in order: the first one makes the first Regulab call of this process.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { backend, cpuKernels, fusedImpl, setKernelBackend } from '../src/index.js';

// Taken before any Regulab call: tfjs's own kernel and its product.
const a = tf.randomNormal([33, 300], 0, 1, 'float32', 1);
const b = tf.randomNormal([300, 47], 0, 1, 'float32', 2);
const tfjsKernel = tf.getKernel('BatchMatMul', 'cpu')!.kernelFunc;
const tfjsSoftmax = tf.getKernel('Softmax', 'cpu')!.kernelFunc;
const softmaxKernel = () => tf.getKernel('Softmax', 'cpu')!.kernelFunc;
const tfjsProduct = Array.from(tf.tidy(() => tf.matMul(a, b).dataSync()));

const matMulKernel = () => tf.getKernel('BatchMatMul', 'cpu')!.kernelFunc;
const product = () => Array.from(tf.tidy(() => tf.matMul(a, b).dataSync()));

describe('cpuKernels()', () => {
  it('REGULAB_CPU_KERNELS=0 keeps tfjs kernels from the first Regulab call on', () => {
    process.env.REGULAB_CPU_KERNELS = '0';
    try {
      expect(backend()).not.toBe('reference'); // the WebAssembly build is committed, so a fast impl loads
      expect(cpuKernels()).toBe(false);
      expect(matMulKernel()).toBe(tfjsKernel);
    } finally {
      delete process.env.REGULAB_CPU_KERNELS;
    }
  });

  it("cpuKernels(true) replaces tfjs's kernels: tf.matMul is the fast sgemm's product", () => {
    expect(cpuKernels(true)).toBe(true);
    expect(cpuKernels()).toBe(true);
    expect(matMulKernel()).not.toBe(tfjsKernel);
    expect(softmaxKernel()).not.toBe(tfjsSoftmax);
    const sgemm = fusedImpl()!.sgemm!;
    const fast = Array.from(
      sgemm(a.dataSync() as Float32Array, b.dataSync() as Float32Array, 33, 300, 47, false, false),
    );
    expect(product()).toEqual(fast);
  });

  it("cpuKernels(false) restores tfjs's own: tf.matMul is tfjs's original product, also after setKernelBackend", () => {
    expect(cpuKernels(false)).toBe(false);
    expect(matMulKernel()).toBe(tfjsKernel);
    expect(softmaxKernel()).toBe(tfjsSoftmax);
    expect(product()).toEqual(tfjsProduct);
    setKernelBackend('wasm');
    expect(cpuKernels()).toBe(false);
    expect(product()).toEqual(tfjsProduct);
  });

  it('the choice survives switching to the reference (which has none) and back', () => {
    expect(cpuKernels(true)).toBe(true);
    setKernelBackend('reference');
    expect(cpuKernels()).toBe(false);
    expect(cpuKernels(true)).toBe(false); // nothing to install on the reference
    setKernelBackend('wasm');
    expect(cpuKernels()).toBe(true);
  });

  it('rejects a value that is not a boolean', () => {
    expect(() => cpuKernels('false' as unknown as boolean)).toThrow(
      /cpuKernels: expected true, false or nothing, got "false" \(a string\)/,
    );
  });
});
