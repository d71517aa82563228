/**
 * Shared by the tests of the convolution kernels registered for tfjs's CPU backend
 * (cpu-conv-kernels.test.ts, cpu-depthwise-kernels.test.ts; both families run on
 * src/fused/cpu-conv-family.ts): the cases' shapes, their tensors, the forward pass with its
 * gradients, counted ops, and the checks each family runs on each of its ops — agreement with
 * tfjs's own kernels (ours uninstalled give the expected values) with every op really called,
 * the fused forward with bias and ReLU, the same bits on 1, 2 and 3 threads, the kernels
 * registered, and no leaked tensors.
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import { allClose } from '../../../test/helpers.js';
import { uninstallCpuKernels } from '../src/fused/cpu-kernels.js';
import type { Conv2dOps, ConvGeometry } from '../src/fused/impl.js';

/** Sums of ≤ 3·3·6 products (forward, input gradient) or ≤ 16·12·12 (filter gradient) of O(1) float32 values in another order than tfjs's. */
export const TOL = { atol: 1e-4, rtol: 1e-4 };

export type Pad =
  'valid' | 'same' | number | [[number, number], [number, number], [number, number], [number, number]];

/** One convolution: x in the case's data format, filter [fh, fw, in, out or multiplier]. */
export interface ConvCase {
  name: string;
  x: [number, number, number, number];
  filter: [number, number, number, number];
  strides: [number, number];
  pad: Pad;
  dilations?: [number, number];
  nchw?: boolean;
  rounding?: 'floor' | 'round' | 'ceil';
}

/**
 * The situations both families are checked in (batch 16): every padding kind (valid, same,
 * explicit, a number with a rounding mode), strides, dilations (forward only: tfjs's gradients
 * refuse dilations > 1), a 1×1 filter (for conv2d the input is then the im2col matrix) and, for
 * conv2d, NCHW; each with the channels of the families that take it: conv2d [in, out],
 * depthwise [in, multiplier] (multipliers 1 to 4).
 */
const SITUATIONS: (Omit<ConvCase, 'x' | 'filter'> & {
  hw: [number, number];
  kernel: [number, number];
  conv?: [number, number];
  depthwise?: [number, number];
})[] = [
  {
    name: 'valid 3×3',
    hw: [9, 8],
    kernel: [3, 3],
    strides: [1, 1],
    pad: 'valid',
    conv: [3, 5],
    depthwise: [6, 1],
  },
  {
    name: 'same 3×3 stride 2',
    hw: [9, 8],
    kernel: [3, 3],
    strides: [2, 2],
    pad: 'same',
    conv: [4, 6],
    depthwise: [4, 2],
  },
  {
    name: 'same 2×4 strides 2, 3',
    hw: [10, 11],
    kernel: [2, 4],
    strides: [2, 3],
    pad: 'same',
    conv: [2, 7],
    depthwise: [5, 3],
  },
  {
    name: 'explicit pads',
    hw: [8, 9],
    kernel: [3, 2],
    strides: [1, 2],
    pad: [
      [0, 0],
      [1, 2],
      [2, 0],
      [0, 0],
    ],
    conv: [3, 4],
    depthwise: [7, 1],
  },
  {
    name: 'numeric pad 1, ceil',
    hw: [9, 9],
    kernel: [3, 3],
    strides: [2, 2],
    pad: 1,
    rounding: 'ceil',
    conv: [3, 4],
    depthwise: [3, 2],
  },
  {
    name: 'numeric pad 1, round',
    hw: [10, 9],
    kernel: [3, 3],
    strides: [2, 2],
    pad: 1,
    rounding: 'round',
    depthwise: [4, 1],
  },
  { name: '1×1', hw: [8, 7], kernel: [1, 1], strides: [1, 1], pad: 'valid', conv: [8, 6], depthwise: [8, 4] },
  {
    name: 'NCHW same stride 2',
    hw: [9, 8],
    kernel: [3, 3],
    strides: [2, 2],
    pad: 'same',
    nchw: true,
    conv: [3, 5],
  },
  {
    name: 'NCHW explicit pads',
    hw: [7, 8],
    kernel: [2, 3],
    strides: [1, 1],
    pad: [
      [0, 0],
      [0, 0],
      [1, 0],
      [2, 1],
    ],
    nchw: true,
    conv: [4, 3],
  },
  // the filter gradient builds col as the GEMM's packed panels when K = 3·3·C fills them (C 32:
  // K 288, whole panels; C 15: K 135, the last panel padded), in chunks of at most 16 MB of col
  // (33×33 with C 32: 15 images per chunk, so 16 images take two, the second accumulating)
  { name: 'same 3×3, 32 channels', hw: [6, 5], kernel: [3, 3], strides: [1, 1], pad: 'same', conv: [32, 8] },
  {
    name: 'valid 3×3 stride 2, 15 channels',
    hw: [7, 7],
    kernel: [3, 3],
    strides: [2, 2],
    pad: 'valid',
    conv: [15, 4],
  },
  {
    name: 'valid 3×3, 32 channels, two chunks',
    hw: [33, 33],
    kernel: [3, 3],
    strides: [1, 1],
    pad: 'valid',
    conv: [32, 1],
  },
  {
    name: 'dilations 2 same (forward only)',
    hw: [12, 11],
    kernel: [3, 3],
    strides: [1, 1],
    pad: 'same',
    dilations: [2, 2],
    conv: [3, 4],
    depthwise: [5, 1],
  },
  {
    name: 'dilations 2, 3 valid (forward only)',
    hw: [14, 14],
    kernel: [2, 3],
    strides: [1, 1],
    pad: 'valid',
    dilations: [2, 3],
    conv: [2, 5],
    depthwise: [3, 2],
  },
];

/** The family's cases, in SITUATIONS' order (depthwise names say the multiplier). */
export function familyCases(family: 'conv' | 'depthwise'): ConvCase[] {
  return SITUATIONS.flatMap(({ hw, kernel, conv, depthwise, ...c }) => {
    const channels = family === 'conv' ? conv : depthwise;
    if (channels === undefined) return [];
    const [h, w] = hw;
    const [cin, cout] = channels;
    return [
      {
        ...c,
        name: family === 'conv' ? c.name : `${c.name}, multiplier ${cout}`,
        x: c.nchw ? [16, cin, h, w] : [16, h, w, cin],
        filter: [kernel[0], kernel[1], cin, cout],
      },
    ];
  });
}

/** The case of that name (a test's pick among its family's cases). */
export function caseNamed(cases: readonly ConvCase[], name: string): ConvCase {
  const c = cases.find((x) => x.name === name);
  if (c === undefined) throw new Error(`no case named '${name}'`);
  return c;
}

/** The family's tfjs op on a case's attributes (tf.conv2d, tf.depthwiseConv2d). */
export type ConvOp = (x: tf.Tensor4D, filter: tf.Tensor4D, c: ConvCase) => tf.Tensor4D;

/** The seeded x and filter of a case. */
export function caseTensors(c: ConvCase, seed: number): { x: tf.Tensor4D; filter: tf.Tensor4D } {
  const x = tf.randomNormal(c.x, 0, 1, 'float32', seed) as tf.Tensor4D;
  const filter = tf.randomNormal(c.filter, 0, 1, 'float32', seed + 1) as tf.Tensor4D;
  return { x, filter };
}

/** op of the case, and its gradients (x, filter) of Σ y·w for a fixed w, when it has no dilations. */
export function convAndGrads(op: ConvOp, c: ConvCase, x: tf.Tensor4D, filter: tf.Tensor4D): tf.Tensor[] {
  const y = op(x, filter, c);
  if (c.dilations) return [y];
  const w = tf.randomNormal(y.shape, 0, 1, 'float32', 99);
  const grads = tf.grads((xx: tf.Tensor, ff: tf.Tensor) =>
    tf.sum(tf.mul(op(xx as tf.Tensor4D, ff as tf.Tensor4D, c), w)),
  );
  const out = [y, ...grads([x, filter])];
  w.dispose();
  return out;
}

/**
 * Calls of each entry point made through `counted` ops since the last reset, and the calls whose
 * output was not written in full (`unwritten`: the contract says every element is written, and
 * the kernels hand the ops reused arrays with stale contents).
 */
export const calls = { forward: 0, backpropInput: 0, backpropFilter: 0, unwritten: [] as string[] };
export const resetCalls = (): void =>
  void ((calls.forward = calls.backpropInput = calls.backpropFilter = 0), (calls.unwritten = []));
type Entry = 'forward' | 'backpropInput' | 'backpropFilter';
/** The ops, counting calls and checking that a call into a NaN-filled output gives the same bits. */
export function counted(ops: Conv2dOps): Conv2dOps {
  const run =
    (entry: Entry) =>
    (g: ConvGeometry, a: Float32Array, b: Float32Array, out: Float32Array): void => {
      calls[entry]++;
      ops[entry](g, a, b, out);
      const again = new Float32Array(out.length).fill(NaN);
      ops[entry](g, a, b, again);
      if (!Buffer.from(again.buffer).equals(Buffer.from(out.buffer, out.byteOffset, out.byteLength)))
        calls.unwritten.push(entry);
    };
  return {
    forward: run('forward'),
    backpropInput: run('backpropInput'),
    backpropFilter: run('backpropFilter'),
  };
}

/** f's tensors as arrays, inside a tidy. */
export const read = (f: () => tf.Tensor[]): Float32Array[] =>
  tf.tidy(() => f().map((t) => t.dataSync() as Float32Array));

/** f's results with tfjs's kernels (expected) and with ours, installed by `install` (actual). */
export function both(
  install: () => void,
  f: () => tf.Tensor[],
): { got: Float32Array[]; want: Float32Array[] } {
  uninstallCpuKernels();
  const want = read(f);
  install();
  const got = read(f);
  return { got, want };
}

/** A case agrees with tfjs (TOL) and runs each of its passes once on the ops (the forward again inside tf.grads). */
export function checkCase(op: ConvOp, c: ConvCase, install: () => void): void {
  const { x, filter } = caseTensors(c, 7);
  resetCalls();
  const { got, want } = both(install, () => convAndGrads(op, c, x, filter));
  expect(calls.forward, 'forward ran on the ops (again inside tf.grads)').toBe(c.dilations ? 1 : 2);
  expect(calls.unwritten, 'outputs written in full').toEqual([]);
  if (!c.dilations) {
    expect(calls.backpropInput, 'input gradient ran on the ops').toBe(1);
    expect(calls.backpropFilter, 'filter gradient ran on the ops').toBe(1);
  }
  ['y', 'dx', 'dfilter']
    .slice(0, got.length)
    .forEach((what, i) => allClose(got[i], want[i], TOL, `${c.name}: ${what}`));
  tf.dispose([x, filter]);
}

/** The family's fused op (tf.fused.conv2d, tf.fused.depthwiseConv2d) with 'same' padding, stride 1. */
export type FusedOp = (
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  bias: tf.Tensor,
  activation: 'relu' | 'linear',
) => tf.Tensor4D;

/**
 * The fused forward with bias and ReLU, and the gradients of Σ y² (linear) with respect to x,
 * filter and bias, agree with tfjs (atol 1e-3: the squares double the terms), run on the ops,
 * and the ReLU is applied.
 */
export function checkFused(
  op: FusedOp,
  shapes: {
    x: [number, number, number, number];
    filter: [number, number, number, number];
    outChannels: number;
  },
  install: () => void,
): void {
  const x = tf.randomNormal(shapes.x, 0, 1, 'float32', 1) as tf.Tensor4D;
  const filter = tf.randomNormal(shapes.filter, 0, 1, 'float32', 2) as tf.Tensor4D;
  const bias = tf.randomNormal([shapes.outChannels], 0, 1, 'float32', 3);
  resetCalls();
  const { got, want } = both(install, () => [
    op(x, filter, bias, 'relu'),
    ...tf.grads((xx: tf.Tensor, ff: tf.Tensor, bb: tf.Tensor) =>
      tf.sum(tf.square(op(xx as tf.Tensor4D, ff as tf.Tensor4D, bb, 'linear'))),
    )([x, filter, bias]),
  ]);
  expect(calls.forward, 'the fused forward ran on the ops').toBeGreaterThanOrEqual(2);
  got.forEach((g, i) => allClose(g, want[i], { atol: 1e-3, rtol: 1e-4 }, `fused #${i}`));
  expect(Math.min(...got[0]), 'ReLU applied').toBe(0);
  tf.dispose([x, filter, bias]);
}

/** `run` gives the same bits on 1, 2 and 3 threads of `threads`. */
export function checkSameBitsOnThreads(
  threads: { threads(): number; setThreads(n: number): void },
  run: () => number[][],
): void {
  const before = threads.threads();
  const runs = [1, 2, 3].map((n) => {
    threads.setThreads(n);
    return run();
  });
  threads.setThreads(before);
  expect(runs[1]).toEqual(runs[0]);
  expect(runs[2]).toEqual(runs[0]);
}

/** `install` replaces tfjs's CPU kernels of these names. */
export function checkRegistered(names: readonly string[], install: () => void): void {
  uninstallCpuKernels();
  const originals = names.map((n) => tf.getKernel(n, 'cpu')!.kernelFunc);
  install();
  names.forEach((n, i) => expect(tf.getKernel(n, 'cpu')!.kernelFunc, n).not.toBe(originals[i]));
}

/** A case's forward and gradients leave no tensors or data buffers behind (after a warm-up). */
export function checkNoLeaks(op: ConvOp, c: ConvCase, install: () => void): void {
  const { x, filter } = caseTensors(c, 3);
  install();
  tf.tidy(() => convAndGrads(op, c, x, filter)); // warm-up: tfjs's own lazily created tensors
  const before = tf.memory();
  tf.dispose(convAndGrads(op, c, x, filter));
  expect(tf.memory().numTensors).toBe(before.numTensors);
  expect(tf.memory().numDataBuffers).toBe(before.numDataBuffers);
  tf.dispose([x, filter]);
}

/** A 4×4 input, 3×3 filter, 2×2 output geometry of `inChannels` → `outChannels`, for the buffer checks. */
export function smallGeometry(inChannels: number, outChannels: number): ConvGeometry {
  return {
    batch: 1,
    inHeight: 4,
    inWidth: 4,
    inChannels,
    outHeight: 2,
    outWidth: 2,
    outChannels,
    filterHeight: 3,
    filterWidth: 3,
    strideHeight: 1,
    strideWidth: 1,
    dilationHeight: 1,
    dilationWidth: 1,
    padTop: 0,
    padLeft: 0,
  };
}
