/**
 * The depthwise 2-D convolution registered for tfjs's CPU backend
 * (src/fused/cpu-depthwise-kernels.ts), on the native addon's threaded loops
 * (native/src/depthwise.cc) and on the JavaScript ones (src/fused/js-depthwise.ts, the fallback
 * and the WebAssembly build's), against tfjs's own kernels (ours uninstalled give the expected
 * values) on every padding kind (valid, same, explicit, a number with each rounding mode),
 * strides, dilations (forward only: tfjs's depthwise gradient refuses dilations > 1), channel
 * multipliers 1 to 4, and FusedDepthwiseConv2D with bias and ReLU; gradients with respect to the
 * input and the filter through tf.grads. NCHW: tfjs's CPU kernels read every input as NHWC
 * whatever the attribute says, so an NCHW call is left to tfjs's kernel (checked: no call reaches
 * ours, same result). Tolerance atol 1e-4, rtol 1e-4: sums of ≤ 3·3 (forward), ≤ 3·3·4 (input
 * gradient) or ≤ 16·12·12 (filter gradient) float32 products of O(1) values, in another order
 * than tfjs's. Also: each case really runs on the given ops (counted calls), the same bits on 1, 2
 * and 3 threads (native, inputs large enough to be split), no leaked tensors, and (native) a clear
 * error for a buffer the geometry does not fit.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { allClose } from '../../../test/helpers.js';
import { installCpuKernels, uninstallCpuKernels } from '../src/fused/cpu-kernels.js';
import { jsBinary, jsUnary } from '../src/fused/js-elementwise.js';
import { jsDepthwiseConv2d } from '../src/fused/js-depthwise.js';
import type { DepthwiseConv2dOps, Sgemm } from '../src/fused/impl.js';
import { loadNativeBinding } from '../src/native/binding.js';
import { nativeImpl } from '../src/native/native-impl.js';

const noSgemm: Sgemm = () => {
  throw new Error('no matmul in these tests');
};
const TOL = { atol: 1e-4, rtol: 1e-4 };

const { binding, reason } = loadNativeBinding();
if (binding === null) console.warn(`native depthwise tests skipped: native addon not built (${reason})`);
const native = binding === null ? null : nativeImpl(binding);

interface Variant {
  name: string;
  ops: DepthwiseConv2dOps;
}
const variants: Variant[] = [{ name: 'JavaScript', ops: jsDepthwiseConv2d }];
if (native !== null) variants.unshift({ name: 'native', ops: native.depthwiseConv2d! });

const calls = { forward: 0, backpropInput: 0, backpropFilter: 0 };
function counted(ops: DepthwiseConv2dOps): DepthwiseConv2dOps {
  return {
    forward: (...a) => (calls.forward++, ops.forward(...a)),
    backpropInput: (...a) => (calls.backpropInput++, ops.backpropInput(...a)),
    backpropFilter: (...a) => (calls.backpropFilter++, ops.backpropFilter(...a)),
  };
}
const install = (v: Variant) =>
  installCpuKernels(noSgemm, jsBinary, jsUnary, undefined, { depthwise: counted(v.ops) });
const read = (f: () => tf.Tensor[]) => tf.tidy(() => f().map((t) => t.dataSync() as Float32Array));

/** f's results with tfjs's kernels (expected) and with ours (actual). */
function both(v: Variant, f: () => tf.Tensor[]): { got: Float32Array[]; want: Float32Array[] } {
  uninstallCpuKernels();
  const want = read(f);
  install(v);
  const got = read(f);
  return { got, want };
}

type Pad =
  'valid' | 'same' | number | [[number, number], [number, number], [number, number], [number, number]];
interface Case {
  name: string;
  x: [number, number, number, number]; // NHWC
  filter: [number, number, number, number]; // [fh, fw, in, multiplier]
  strides: [number, number];
  pad: Pad;
  dilations?: [number, number];
  rounding?: 'floor' | 'round' | 'ceil';
}

const CASES: Case[] = [
  { name: 'valid 3×3, multiplier 1', x: [16, 9, 8, 6], filter: [3, 3, 6, 1], strides: [1, 1], pad: 'valid' },
  {
    name: 'same 3×3 stride 2, multiplier 2',
    x: [16, 9, 8, 4],
    filter: [3, 3, 4, 2],
    strides: [2, 2],
    pad: 'same',
  },
  {
    name: 'same 2×4 strides 2, 3, multiplier 3',
    x: [16, 10, 11, 5],
    filter: [2, 4, 5, 3],
    strides: [2, 3],
    pad: 'same',
  },
  {
    name: 'explicit pads, multiplier 1',
    x: [16, 8, 9, 7],
    filter: [3, 2, 7, 1],
    strides: [1, 2],
    pad: [
      [0, 0],
      [1, 2],
      [2, 0],
      [0, 0],
    ],
  },
  {
    name: 'numeric pad 1, ceil, multiplier 2',
    x: [16, 9, 9, 3],
    filter: [3, 3, 3, 2],
    strides: [2, 2],
    pad: 1,
    rounding: 'ceil',
  },
  {
    name: 'numeric pad 1, round, multiplier 1',
    x: [16, 10, 9, 4],
    filter: [3, 3, 4, 1],
    strides: [2, 2],
    pad: 1,
    rounding: 'round',
  },
  { name: '1×1, multiplier 4', x: [16, 8, 7, 8], filter: [1, 1, 8, 4], strides: [1, 1], pad: 'valid' },
  {
    name: 'dilations 2 same, multiplier 1 (forward only)',
    x: [16, 12, 11, 5],
    filter: [3, 3, 5, 1],
    strides: [1, 1],
    pad: 'same',
    dilations: [2, 2],
  },
  {
    name: 'dilations 2, 3 valid, multiplier 2 (forward only)',
    x: [16, 14, 14, 3],
    filter: [2, 3, 3, 2],
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

/** The depthwise conv of the case, and its gradients (x, filter) of Σ y·w for a fixed w, without dilations. */
function convAndGrads(c: Case, x: tf.Tensor4D, filter: tf.Tensor4D): tf.Tensor[] {
  const conv = (xx: tf.Tensor4D, ff: tf.Tensor4D) =>
    tf.depthwiseConv2d(xx, ff, c.strides, c.pad, 'NHWC', c.dilations ?? [1, 1], c.rounding);
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

describe.each(variants)('depthwise conv2d kernels for tfjs CPU ($name)', (v) => {
  afterAll(() => uninstallCpuKernels());

  for (const c of CASES) {
    it(`match tfjs: ${c.name}`, () => {
      const { x, filter } = tensors(c, 7);
      calls.forward = calls.backpropInput = calls.backpropFilter = 0;
      const { got, want } = both(v, () => convAndGrads(c, x, filter));
      expect(calls.forward, 'forward ran on the ops (again inside tf.grads)').toBe(c.dilations ? 1 : 2);
      if (!c.dilations) {
        expect(calls.backpropInput, 'input gradient ran on the ops').toBe(1);
        expect(calls.backpropFilter, 'filter gradient ran on the ops').toBe(1);
      }
      ['y', 'dx', 'dfilter']
        .slice(0, got.length)
        .forEach((what, i) => allClose(got[i], want[i], TOL, `${c.name}: ${what}`));
      tf.dispose([x, filter]);
    });
  }

  it('leave NCHW to tfjs (its CPU kernels read NHWC whatever the attribute)', () => {
    const x = tf.randomNormal([2, 3, 8, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    const filter = tf.randomNormal([3, 3, 3, 1], 0, 1, 'float32', 2) as tf.Tensor4D;
    calls.forward = 0;
    const run = () => [tf.depthwiseConv2d(x, filter, 1, 'same', 'NCHW')];
    const { got, want } = both(v, run);
    expect(calls.forward).toBe(0);
    expect(Array.from(got[0])).toEqual(Array.from(want[0]));
    tf.dispose([x, filter]);
  });

  it('match tfjs for FusedDepthwiseConv2D with bias and ReLU, forward and gradients', () => {
    const x = tf.randomNormal([3, 10, 10, 4], 0, 1, 'float32', 1) as tf.Tensor4D;
    const filter = tf.randomNormal([3, 3, 4, 2], 0, 1, 'float32', 2) as tf.Tensor4D;
    const bias = tf.randomNormal([8], 0, 1, 'float32', 3) as tf.Tensor1D;
    const fused = (xx: tf.Tensor, ff: tf.Tensor, bb: tf.Tensor, activation: 'relu' | 'linear') =>
      tf.fused.depthwiseConv2d({
        x: xx as tf.Tensor4D,
        filter: ff as tf.Tensor4D,
        bias: bb,
        strides: 1,
        pad: 'same',
        activation,
      });
    calls.forward = 0;
    const { got, want } = both(v, () => [
      fused(x, filter, bias, 'relu'),
      ...tf.grads((xx: tf.Tensor, ff: tf.Tensor, bb: tf.Tensor) =>
        tf.sum(tf.square(fused(xx, ff, bb, 'linear'))),
      )([x, filter, bias]),
    ]);
    expect(calls.forward, 'the fused forward ran on the ops').toBeGreaterThanOrEqual(2);
    got.forEach((g, i) => allClose(g, want[i], { atol: 1e-3, rtol: 1e-4 }, `fused #${i}`));
    expect(Math.min(...got[0]), 'ReLU applied').toBe(0);
    tf.dispose([x, filter, bias]);
  });

  it.skipIf(v.name !== 'native')(
    'give the same bits on 1, 2 and 3 threads (inputs split across them)',
    () => {
      const c: Case = {
        name: 'big',
        x: [8, 24, 24, 16],
        filter: [3, 3, 16, 2],
        strides: [1, 1],
        pad: 'same',
      };
      const { x, filter } = tensors(c, 11);
      install(v);
      const before = native!.threads();
      const runs = [1, 2, 3].map((n) => {
        native!.setThreads(n);
        return read(() => convAndGrads(c, x, filter)).map((a) => Array.from(a));
      });
      native!.setThreads(before);
      expect(runs[1]).toEqual(runs[0]);
      expect(runs[2]).toEqual(runs[0]);
      tf.dispose([x, filter]);
    },
  );

  it('are registered, and leave no tensors behind', () => {
    uninstallCpuKernels();
    const names = [
      'DepthwiseConv2dNative',
      'FusedDepthwiseConv2D',
      'DepthwiseConv2dNativeBackpropInput',
      'DepthwiseConv2dNativeBackpropFilter',
    ];
    const originals = names.map((n) => tf.getKernel(n, 'cpu')!.kernelFunc);
    install(v);
    names.forEach((n, i) => expect(tf.getKernel(n, 'cpu')!.kernelFunc, n).not.toBe(originals[i]));
    const c = CASES[1];
    const { x, filter } = tensors(c, 3);
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
      inChannels: 2,
      outHeight: 2,
      outWidth: 2,
      outChannels: 4,
      filterHeight: 3,
      filterWidth: 3,
      strideHeight: 1,
      strideWidth: 1,
      dilationHeight: 1,
      dilationWidth: 1,
      padTop: 0,
      padLeft: 0,
    };
    expect(() => v.ops.forward(g, new Float32Array(32), new Float32Array(36), new Float32Array(3))).toThrow(
      /depthwise2d: buffer 2 holds 3 floats, the geometry needs 16/,
    );
    expect(() =>
      v.ops.forward(
        { ...g, outChannels: 3 },
        new Float32Array(32),
        new Float32Array(27),
        new Float32Array(12),
      ),
    ).toThrow(/depthwise2d: outChannels 3 is not a multiple of inChannels 2/);
  });
});
