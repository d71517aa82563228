/**
 * The 2-D convolution registered for tfjs's CPU backend (src/fused/cpu-conv-kernels.ts), on the
 * native kernels (native/src/conv.cc) and on the WebAssembly GEMM with JavaScript im2col
 * (src/fused/sgemm-conv.ts), against tfjs's own kernels (ours uninstalled give the expected values) on
 * every padding kind (valid, same, explicit, a number with each rounding mode), strides,
 * dilations (forward only: tfjs's conv2d gradient refuses dilations > 1), both data formats, and
 * FusedConv2D with bias and ReLU; gradients with respect to the input and the filter through
 * tf.grads. Tolerance atol 1e-4, rtol 1e-4: sums of ≤ 3·3·6 = 54 (forward, input gradient) or
 * ≤ 2·12·12 (filter gradient) float32 products of O(1) values, in another order than tfjs's.
 * Also: each case really runs on the fast kernels (counted calls), the same bits on 1, 2 and 3
 * threads, no leaked tensors, and (native) a clear error for a buffer the geometry does not fit.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { allClose } from '../../../test/helpers.js';
import { installCpuKernels, uninstallCpuKernels } from '../src/fused/cpu-kernels.js';
import type { Conv2dOps, FusedImpl } from '../src/fused/impl.js';
import { sgemmConv2d } from '../src/fused/sgemm-conv.js';
import { loadNativeBinding } from '../src/native/binding.js';
import { nativeImpl } from '../src/native/native-impl.js';
import { createWasmImpl } from '../src/wasm/impl.js';

const { binding, reason } = loadNativeBinding();
if (binding === null) console.warn(`native conv2d tests skipped: native addon not built (${reason})`);
const wasm = createWasmImpl();
afterAll(() => wasm.dispose());
const TOL = { atol: 1e-4, rtol: 1e-4 };

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

/** Native conv calls made since the last install, by entry point. */
const calls = { forward: 0, backpropInput: 0, backpropFilter: 0 };
function counted(ops: Conv2dOps): Conv2dOps {
  return {
    forward: (...a) => (calls.forward++, ops.forward(...a)),
    backpropInput: (...a) => (calls.backpropInput++, ops.backpropInput(...a)),
    backpropFilter: (...a) => (calls.backpropFilter++, ops.backpropFilter(...a)),
  };
}

function install(v: Variant): void {
  installCpuKernels(v.impl.sgemm!, v.impl.binary, v.impl.unary, counted(v.conv));
}

/** f's results with tfjs's kernels (expected) and with ours (actual), as arrays. */
function both(v: Variant, f: () => tf.Tensor[]): { got: Float32Array[]; want: Float32Array[] } {
  const run = () => tf.tidy(() => f().map((t) => t.dataSync() as Float32Array));
  uninstallCpuKernels();
  const want = run();
  install(v);
  const got = run();
  return { got, want };
}

type Pad =
  'valid' | 'same' | number | [[number, number], [number, number], [number, number], [number, number]];
interface Case {
  name: string;
  x: [number, number, number, number]; // in the case's data format
  filter: [number, number, number, number]; // [fh, fw, in, out]
  strides: [number, number];
  pad: Pad;
  dilations?: [number, number];
  nchw?: boolean;
  rounding?: 'floor' | 'round' | 'ceil';
}

const CASES: Case[] = [
  { name: 'valid 3×3', x: [16, 9, 8, 3], filter: [3, 3, 3, 5], strides: [1, 1], pad: 'valid' },
  { name: 'same 3×3 stride 2', x: [16, 9, 8, 4], filter: [3, 3, 4, 6], strides: [2, 2], pad: 'same' },
  { name: 'same 2×4 strides 2, 3', x: [16, 10, 11, 2], filter: [2, 4, 2, 7], strides: [2, 3], pad: 'same' },
  {
    name: 'explicit pads',
    x: [16, 8, 9, 3],
    filter: [3, 2, 3, 4],
    strides: [1, 2],
    pad: [
      [0, 0],
      [1, 2],
      [2, 0],
      [0, 0],
    ],
  },
  {
    name: 'numeric pad 1, ceil',
    x: [16, 9, 9, 3],
    filter: [3, 3, 3, 4],
    strides: [2, 2],
    pad: 1,
    rounding: 'ceil',
  },
  {
    name: '1×1 (the input is the im2col matrix)',
    x: [16, 8, 7, 8],
    filter: [1, 1, 8, 6],
    strides: [1, 1],
    pad: 'valid',
  },
  {
    name: 'NCHW same stride 2',
    x: [16, 3, 9, 8],
    filter: [3, 3, 3, 5],
    strides: [2, 2],
    pad: 'same',
    nchw: true,
  },
  {
    name: 'NCHW explicit pads',
    x: [16, 4, 7, 8],
    filter: [2, 3, 4, 3],
    strides: [1, 1],
    pad: [
      [0, 0],
      [0, 0],
      [1, 0],
      [2, 1],
    ],
    nchw: true,
  },
  {
    name: 'dilations 2 (forward only)',
    x: [16, 12, 11, 3],
    filter: [3, 3, 3, 4],
    strides: [1, 1],
    pad: 'same',
    dilations: [2, 2],
  },
  {
    name: 'dilations 2, 3 valid (forward only)',
    x: [16, 14, 14, 2],
    filter: [2, 3, 2, 5],
    strides: [1, 1],
    pad: 'valid',
    dilations: [2, 3],
  },
];

function tensors(c: Case, seed: number) {
  const x = tf.randomNormal(c.x, 0, 1, 'float32', seed) as tf.Tensor4D;
  const filter = tf.randomNormal(c.filter, 0, 1, 'float32', seed + 1) as tf.Tensor4D;
  return { x, filter };
}

/** conv2d of the case, and its gradients (x, filter) of Σ y·w for a fixed w, when it has no dilations. */
function convAndGrads(c: Case, x: tf.Tensor4D, filter: tf.Tensor4D): tf.Tensor[] {
  const format = c.nchw ? 'NCHW' : 'NHWC';
  const conv = (xx: tf.Tensor4D, ff: tf.Tensor4D) =>
    tf.conv2d(xx, ff, c.strides, c.pad, format, c.dilations ?? [1, 1], c.rounding);
  const y = conv(x, filter);
  if (c.dilations) return [y];
  const w = tf.randomNormal(y.shape, 0, 1, 'float32', 99);
  const grads = tf.grads((xx: tf.Tensor, ff: tf.Tensor) =>
    tf.sum(tf.mul(conv(xx as tf.Tensor4D, ff as tf.Tensor4D), w)),
  );
  const out = [y, ...grads([x, filter])];
  w.dispose();
  return out;
}

describe.each(variants)('conv2d kernels for tfjs CPU ($name)', (v) => {
  afterAll(() => uninstallCpuKernels());

  for (const c of CASES) {
    it(`match tfjs: ${c.name}`, () => {
      const { x, filter } = tensors(c, 7);
      calls.forward = calls.backpropInput = calls.backpropFilter = 0;
      const { got, want } = both(v, () => convAndGrads(c, x, filter));
      expect(calls.forward, 'forward ran natively (again inside tf.grads)').toBe(c.dilations ? 1 : 2);
      if (!c.dilations) {
        expect(calls.backpropInput, 'input gradient ran natively').toBe(1);
        expect(calls.backpropFilter, 'filter gradient ran natively').toBe(1);
      }
      ['y', 'dx', 'dfilter']
        .slice(0, got.length)
        .forEach((what, i) => allClose(got[i], want[i], TOL, `${c.name}: ${what}`));
      tf.dispose([x, filter]);
    });
  }

  it('match tfjs for FusedConv2D with bias and ReLU (what tf.layers.conv2d runs), forward and gradients', () => {
    const x = tf.randomNormal([3, 10, 10, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    const filter = tf.randomNormal([3, 3, 3, 8], 0, 1, 'float32', 2) as tf.Tensor4D;
    const bias = tf.randomNormal([8], 0, 1, 'float32', 3) as tf.Tensor1D;
    const fused = (xx: tf.Tensor, ff: tf.Tensor, bb: tf.Tensor, activation: 'relu' | 'linear') =>
      tf.fused.conv2d({
        x: xx as tf.Tensor4D,
        filter: ff as tf.Tensor4D,
        bias: bb,
        strides: 1,
        pad: 'same',
        activation,
      });
    const { got, want } = both(v, () => [
      fused(x, filter, bias, 'relu'),
      ...tf.grads((xx: tf.Tensor, ff: tf.Tensor, bb: tf.Tensor) =>
        tf.sum(tf.square(fused(xx, ff, bb, 'linear'))),
      )([x, filter, bias]),
    ]);
    got.forEach((g, i) => allClose(g, want[i], { atol: 1e-3, rtol: 1e-4 }, `fused #${i}`));
    expect(Math.min(...got[0]), 'ReLU applied').toBe(0);
    tf.dispose([x, filter, bias]);
  });

  it('give the same bits on 1, 2 and 3 threads', () => {
    const c = CASES[1];
    const { x, filter } = tensors(c, 11);
    install(v);
    const before = v.impl.threads();
    const runs = [1, 2, 3].map((n) => {
      v.impl.setThreads(n);
      return tf.tidy(() => convAndGrads(c, x, filter).map((t) => Array.from(t.dataSync())));
    });
    v.impl.setThreads(before);
    expect(runs[1]).toEqual(runs[0]);
    expect(runs[2]).toEqual(runs[0]);
    tf.dispose([x, filter]);
  });

  it('leave no tensors behind', () => {
    const c = CASES[6];
    const { x, filter } = tensors(c, 3);
    install(v);
    tf.tidy(() => convAndGrads(c, x, filter)); // warm-up: tfjs's own lazily created tensors
    const before = tf.memory();
    tf.dispose(convAndGrads(c, x, filter));
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(tf.memory().numDataBuffers).toBe(before.numDataBuffers);
    tf.dispose([x, filter]);
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
      filterHeight: 3,
      filterWidth: 3,
      strideHeight: 1,
      strideWidth: 1,
      dilationHeight: 1,
      dilationWidth: 1,
      padTop: 0,
      padLeft: 0,
    };
    expect(() => v.conv.forward(g, new Float32Array(16), new Float32Array(9), new Float32Array(3))).toThrow(
      /conv2dForward: buffer 2 holds 3 floats, the geometry needs 4/,
    );
  });
});
