/**
 * The 2-D convolution registered for tfjs's CPU backend (src/fused/cpu-conv-kernels.ts), on the
 * native kernels (native/src/conv.cc) and on the WebAssembly GEMM with JavaScript im2col
 * (src/fused/sgemm-conv.ts), against tfjs's own kernels (ours uninstalled give the expected values) on
 * every padding kind (valid, same, explicit, a number with each rounding mode), strides,
 * dilations (forward only: tfjs's conv2d gradient refuses dilations > 1), both data formats, and
 * FusedConv2D with bias and ReLU; gradients with respect to the input and the filter through
 * tf.grads. Tolerance atol 1e-4, rtol 1e-4: sums of ≤ 3·3·32 = 288 (forward, input gradient) or
 * ≤ 16·31·31 (filter gradient) float32 products of O(1) values, in another order than tfjs's.
 * The 32- and 15-channel cases take the filter gradient's packed-panel col, one of them in two
 * chunks.
 * Also: each case really runs on the fast kernels (counted calls), the same bits on 1, 2 and 3
 * threads, the four kernels registered, no leaked tensors, and (native) a clear error for a buffer
 * the geometry does not fit. The checks are ./conv-kernel-checks.ts's, shared with the depthwise
 * convolution's tests.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { installCpuKernels, uninstallCpuKernels } from '../src/fused/cpu-kernels.js';
import type { Conv2dOps, FusedImpl } from '../src/fused/impl.js';
import { sgemmConv2d } from '../src/fused/sgemm-conv.js';
import { loadNativeBinding } from '../src/native/binding.js';
import { nativeImpl } from '../src/native/native-impl.js';
import { createWasmImpl } from '../src/wasm/impl.js';
import * as checks from './conv-kernel-checks.js';
import type { ConvOp } from './conv-kernel-checks.js';

const { binding, reason } = loadNativeBinding();
if (binding === null) console.warn(`native conv2d tests skipped: native addon not built (${reason})`);
const wasm = createWasmImpl();
afterAll(() => wasm.dispose());

interface Variant {
  name: string;
  impl: FusedImpl;
  conv: Conv2dOps;
}
const variants: Variant[] = [{ name: 'wasm sgemm, JS im2col', impl: wasm, conv: sgemmConv2d(wasm.sgemm) }];
if (binding !== null) {
  const native = nativeImpl(binding);
  variants.unshift({ name: 'native', impl: native, conv: native.conv2d! });
}

const conv2d: ConvOp = (x, filter, c) =>
  tf.conv2d(x, filter, c.strides, c.pad, c.nchw ? 'NCHW' : 'NHWC', c.dilations ?? [1, 1], c.rounding);

const CASES = checks.familyCases('conv');

describe.each(variants)('conv2d kernels for tfjs CPU ($name)', (v) => {
  const install = () => installCpuKernels(v.impl.sgemm!, v.impl.binary, v.impl.unary, checks.counted(v.conv));
  afterAll(() => uninstallCpuKernels());

  for (const c of CASES) it(`match tfjs: ${c.name}`, () => checks.checkCase(conv2d, c, install));

  it('match tfjs for FusedConv2D with bias and ReLU (what tf.layers.conv2d runs), forward and gradients', () =>
    checks.checkFused(
      (x, filter, bias, activation) =>
        tf.fused.conv2d({ x, filter, bias, strides: 1, pad: 'same', activation }),
      { x: [3, 10, 10, 3], filter: [3, 3, 3, 8], outChannels: 8 },
      install,
    ));

  for (const name of ['same 3×3 stride 2', 'same 3×3, 32 channels'])
    it(`give the same bits on 1, 2 and 3 threads (${name})`, () => {
      const c = checks.caseNamed(CASES, name);
      const { x, filter } = checks.caseTensors(c, 11);
      install();
      checks.checkSameBitsOnThreads(v.impl, () =>
        tf.tidy(() => checks.convAndGrads(conv2d, c, x, filter).map((t) => Array.from(t.dataSync()))),
      );
      tf.dispose([x, filter]);
    });

  it('are registered, and leave no tensors behind', () => {
    checks.checkRegistered(['Conv2D', 'FusedConv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter'], install);
    checks.checkNoLeaks(conv2d, checks.caseNamed(CASES, 'NCHW same stride 2'), install);
  });

  it.skipIf(v.name !== 'native')('refuse a buffer the geometry does not fit, naming both sizes', () => {
    const g = checks.smallGeometry(1, 1);
    expect(() => v.conv.forward(g, new Float32Array(16), new Float32Array(9), new Float32Array(3))).toThrow(
      /conv2dForward: buffer 2 holds 3 floats, the geometry needs 4/,
    );
  });
});
