/**
 * Speeds up tfjs's CPU backend where a Regulab training step spends its time once the recurrence
 * is fused: dense matrix products. `installCpuKernels(sgemm)` replaces the CPU kernels of
 * `BatchMatMul` (tf.matMul) and `_FusedMatMul` (tf.fused.matMul, used by tf.layers.dense) with
 * ones that call a fast sgemm (the native addon's packed, threaded GEMM); their gradients are
 * tfjs's own, which call tf.matMul again and so run on the fast kernel too. It also replaces
 * `UnsortedSegmentSum` (the embedding gradient) with a single-pass loop, `Slice` with contiguous
 * copies, GatherV2 / Transpose / Sum with the simple cases of ./cpu-data-kernels.ts, element-wise
 * math (Exp, Log, Sqrt, …) and last-axis Max / Min / Sum with ./cpu-math-kernels.ts, and broadcasting
 * Add / Sub / Multiply / RealDiv with per-pattern loops (native, or ./js-elementwise.ts), max and
 * average pooling and their gradients with ./cpu-pool-kernels.ts (native threaded passes, or the
 * same in JavaScript), Conv2D / FusedConv2D and their gradients with ./cpu-conv-kernels.ts (on the
 * given Conv2dOps, or on the sgemm through ./sgemm-conv.ts), and the depthwise convolutions
 * (DepthwiseConv2dNative, FusedDepthwiseConv2D and both gradients) with ./cpu-depthwise-kernels.ts
 * (both families registered by ./cpu-conv-family.ts);
 * Relu's gradient runs as one pass (./relu-grad.ts) instead of Step, Cast and Multiply, and Softmax
 * as one pass per row (./cpu-softmax-kernel.ts) instead of tfjs's Max, Sub, Exp, Sum and RealDiv.
 *
 * Only float32 products of rank 2, or rank 3 with equal batch sizes (or one of them 1), with no
 * activation other than linear or relu and at most a bias over the last axis go the fast way; anything
 * else, and tiny products, runs tfjs's original kernel. `uninstallCpuKernels()` restores tfjs's.
 */
import * as tf from '@tensorflow/tfjs';
import { BINARY_MODE, BINARY_OP, UNARY_CODE } from './abi.js';
import { type CpuBackend, type Inputs, type KernelFunc, MIN_ELEMENTS, MIN_WORK } from './cpu-backend.js';
import { convFamilyKernels } from './cpu-conv-family.js';
import { CONV2D } from './cpu-conv-kernels.js';
import { poolKernels } from './cpu-pool-kernels.js';
import { sgemmConv2d } from './sgemm-conv.js';
import { gatherKernel, sumKernel, transposeKernel } from './cpu-data-kernels.js';
import {
  COMPARISONS,
  type ComparisonName,
  UNARY_KERNELS,
  comparisonKernel,
  lastAxisReduction,
  stepKernel,
  unaryKernel,
} from './cpu-math-kernels.js';
import type {
  BinaryOp,
  ColumnSums,
  Conv2dOps,
  DepthwiseConv2dOps,
  Pool2dOps,
  Sgemm,
  UnaryOp,
} from './impl.js';
import { jsPool2d } from './js-pool.js';
import { installReluGrad, uninstallReluGrad } from './relu-grad.js';
import { softmaxKernel } from './cpu-softmax-kernel.js';
import { jsDepthwiseConv2d } from './js-depthwise.js';
import { DEPTHWISE_CONV2D } from './cpu-depthwise-kernels.js';
import { jsBinary, jsColumnSums, jsUnary } from './js-elementwise.js';
import { peekValues, takeF32 } from './recycled-outputs.js';

const ARITHMETIC = {
  Add: BINARY_OP.add,
  Sub: BINARY_OP.sub,
  Multiply: BINARY_OP.mul,
  RealDiv: BINARY_OP.div,
} as const;
const originals = new Map<string, KernelFunc>();

function f32(backend: CpuBackend, t: tf.TensorInfo): Float32Array {
  const v = peekValues(backend, t);
  return v instanceof Float32Array ? v : Float32Array.from(v);
}

/** C = op(A)·op(B) for rank 2/3 inputs, or null when the shapes are not ones this path serves. */
function product(
  sgemm: Sgemm,
  backend: CpuBackend,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  ta: boolean,
  tb: boolean,
) {
  if (a.dtype !== 'float32' || b.dtype !== 'float32') return null;
  const ra = a.shape.length;
  const rb = b.shape.length;
  if (ra !== rb || (ra !== 2 && ra !== 3)) return null;
  const batchA = ra === 3 ? a.shape[0] : 1;
  const batchB = rb === 3 ? b.shape[0] : 1;
  if (batchA !== batchB && batchA !== 1 && batchB !== 1) return null;
  const [ar, ac] = a.shape.slice(-2);
  const [br, bc] = b.shape.slice(-2);
  const m = ta ? ac : ar;
  const k = ta ? ar : ac;
  const n = tb ? br : bc;
  if ((tb ? bc : br) !== k) return null; // let tfjs report the mismatch
  const batch = Math.max(batchA, batchB);
  if (m * n * k < MIN_WORK || m * n * k === 0) return null;
  const av = f32(backend, a);
  const bv = f32(backend, b);
  const out = takeF32(batch * m * n, false); // every product written
  if (batch === 1)
    return { values: sgemm(av, bv, m, k, n, ta, tb, out), shape: ra === 3 ? [1, m, n] : [m, n] };
  for (let i = 0; i < batch; i++) {
    const ai = batchA === 1 ? av : av.subarray(i * m * k, (i + 1) * m * k);
    const bi = batchB === 1 ? bv : bv.subarray(i * k * n, (i + 1) * k * n);
    out.set(sgemm(ai, bi, m, k, n, ta, tb), i * m * n);
  }
  return { values: out, shape: ra === 3 ? [batch, m, n] : [m, n] };
}

function batchMatMul(sgemm: Sgemm): KernelFunc {
  return (args) => {
    const { a, b } = args.inputs as Inputs;
    const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
    const backend = args.backend as unknown as CpuBackend;
    const r = product(sgemm, backend, a!, b!, transposeA, transposeB);
    if (r === null) return originals.get('BatchMatMul')!(args);
    return backend.makeTensorInfo(r.shape, 'float32', r.values);
  };
}

/**
 * _FusedMatMul (tf.layers.dense in inference, and in training when linear): the product, then the
 * bias (one value per column) and a ReLU over the output in place. tfjs's training path of an
 * activated dense layer is unfused (matMul, add, relu), which the other kernels here serve.
 */
function fusedMatMul(sgemm: Sgemm, binary: BinaryOp, unary: UnaryOp): KernelFunc {
  return (args) => {
    const { a, b, bias, preluActivationWeights } = args.inputs as Inputs;
    const { transposeA, transposeB, activation } = args.attrs as {
      transposeA: boolean;
      transposeB: boolean;
      activation?: string;
    };
    const backend = args.backend as unknown as CpuBackend;
    const n = transposeB ? b!.shape[b!.shape.length - 2] : b!.shape[b!.shape.length - 1];
    const simple =
      (activation === undefined || activation === 'linear' || activation === 'relu') &&
      preluActivationWeights === undefined &&
      (bias === undefined || (bias.dtype === 'float32' && bias.shape.length === 1 && bias.shape[0] === n));
    const r = simple ? product(sgemm, backend, a!, b!, transposeA, transposeB) : null;
    if (r === null) return originals.get('_FusedMatMul')!(args);
    if (bias !== undefined)
      binary(BINARY_OP.add, BINARY_MODE.bRepeatedRow, r.values, f32(backend, bias), r.values, n);
    if (activation === 'relu') unary(UNARY_CODE.Relu, r.values, r.values);
    return backend.makeTensorInfo(r.shape, 'float32', r.values);
  };
}

/**
 * UnsortedSegmentSum (the gradient of tf.gather, i.e. of every embedding lookup) as one pass over
 * the rows: out[ids[i]] += x[i]. tfjs's CPU kernel builds a mask per segment (O(segments·rows)
 * tensor ops) and took 3 s of a 50-symbol language model's step; this takes well under 1 ms.
 */
function unsortedSegmentSum(): KernelFunc {
  return (args) => {
    const { x, segmentIds } = args.inputs as Inputs;
    const { numSegments } = args.attrs as { numSegments: number };
    const backend = args.backend as unknown as CpuBackend;
    if (x!.dtype !== 'float32' || x!.shape.length < 1) return originals.get('UnsortedSegmentSum')!(args);
    const rows = x!.shape[0];
    const width = rows === 0 ? 0 : x!.shape.reduce((a, d) => a * d, 1) / rows;
    if (segmentIds!.shape.length !== 1 || segmentIds!.shape[0] !== rows) {
      return originals.get('UnsortedSegmentSum')!(args);
    }
    const xv = peekValues(backend, x!);
    const ids = peekValues(backend, segmentIds!);
    const out = takeF32(numSegments * width);
    for (let i = 0; i < rows; i++) {
      const s = ids[i];
      if (!(s >= 0 && s < numSegments)) continue; // tfjs drops out-of-range ids as well
      const o = s * width;
      const r = i * width;
      for (let j = 0; j < width; j++) out[o + j] += xv[r + j];
    }
    return backend.makeTensorInfo([numSegments, ...x!.shape.slice(1)], 'float32', out);
  };
}

/**
 * Slice as contiguous runs copied with TypedArray.set (tfjs's CPU kernel copies a strided slice
 * element by element through a TensorBuffer: 45 ms for the last step of a [32, 50, 256] sequence).
 */
function slice(): KernelFunc {
  return (args) => {
    const { x } = args.inputs as Inputs;
    const { begin, size } = args.attrs as { begin: number[]; size: number[] };
    const backend = args.backend as unknown as CpuBackend;
    const shape = x!.shape;
    const rank = shape.length;
    const sz = shape.map((d, i) => (size[i] === -1 ? d - begin[i] : size[i]));
    const total = sz.reduce((p, d) => p * d, 1);
    if (x!.dtype !== 'float32' || rank === 0 || total < MIN_ELEMENTS || begin.length !== rank) {
      return originals.get('Slice')!(args);
    }
    const strides = shape.map((_, i) => shape.slice(i + 1).reduce((p, d) => p * d, 1));
    let k = rank - 1;
    let run = 1;
    while (k >= 0 && begin[k] === 0 && sz[k] === shape[k]) run *= shape[k--];
    if (k >= 0) run *= sz[k]; // the partial dimension is one contiguous run per outer index
    const xv = f32(backend, x!);
    const out = takeF32(total);
    const idx = new Array<number>(Math.max(k, 0)).fill(0); // multi-index over dimensions 0..k−1
    for (let o = 0; o < total; o += run) {
      let offset = k >= 0 ? begin[k] * strides[k] : 0;
      for (let d = 0; d < idx.length; d++) offset += (begin[d] + idx[d]) * strides[d];
      out.set(xv.subarray(offset, offset + run), o);
      for (let d = idx.length - 1; d >= 0 && ++idx[d] === sz[d]; d--) idx[d] = 0;
    }
    return backend.makeTensorInfo(sz, 'float32', out);
  };
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * The broadcast pattern of a op b (see BinaryOp) and the row length m, or null when it is not one
 * of: same shape, a scalar side, one value per row ([..., N, M] with [..., N, 1]), one repeated
 * row ([..., M] with [M] or [1, M]).
 */
function pattern(
  as: readonly number[],
  bs: readonly number[],
): { mode: number; m: number; shape: number[] } | null {
  const sizeA = as.reduce((p, d) => p * d, 1);
  const sizeB = bs.reduce((p, d) => p * d, 1);
  if (sameShape(as, bs)) return { mode: BINARY_MODE.sameShape, m: 1, shape: [...as] };
  if (sizeB === 1 && bs.length <= as.length) return { mode: BINARY_MODE.bScalar, m: 1, shape: [...as] };
  if (sizeA === 1 && as.length <= bs.length) return { mode: BINARY_MODE.aScalar, m: 1, shape: [...bs] };
  const perRow = (big: readonly number[], small: readonly number[]) =>
    big.length >= 2 &&
    small.length === big.length &&
    small[small.length - 1] === 1 &&
    sameShape(big.slice(0, -1), small.slice(0, -1));
  const repeated = (big: readonly number[], small: readonly number[]) => {
    const core = small.slice(small.findIndex((d) => d !== 1));
    return small.length <= big.length && core.length === 1 && core[0] === big[big.length - 1];
  };
  const last = (s: readonly number[]) => s[s.length - 1];
  if (perRow(as, bs)) return { mode: BINARY_MODE.bPerRow, m: last(as), shape: [...as] };
  if (perRow(bs, as)) return { mode: BINARY_MODE.aPerRow, m: last(bs), shape: [...bs] };
  if (repeated(as, bs)) return { mode: BINARY_MODE.bRepeatedRow, m: last(as), shape: [...as] };
  if (repeated(bs, as)) return { mode: BINARY_MODE.aRepeatedRow, m: last(bs), shape: [...bs] };
  return null;
}

function arithmetic(name: keyof typeof ARITHMETIC, binary: BinaryOp): KernelFunc {
  return (args) => {
    const { a, b } = args.inputs as Inputs;
    const backend = args.backend as unknown as CpuBackend;
    const p = a!.dtype === 'float32' && b!.dtype === 'float32' ? pattern(a!.shape, b!.shape) : null;
    const size = p === null ? 0 : p.shape.reduce((q, d) => q * d, 1);
    // tfjs's broadcasting loop computes an index per element (~1.5 µs each: 2 ms for softmax
    // cross-entropy's [128, 1]·[128, 10] of mlp-step): a broadcast of any size comes here
    if (p === null || (size < MIN_ELEMENTS && p.mode === BINARY_MODE.sameShape))
      return originals.get(name)!(args);
    const out = takeF32(size, false); // binary writes every element
    binary(ARITHMETIC[name], p.mode, f32(backend, a!), f32(backend, b!), out, p.m);
    return backend.makeTensorInfo(p.shape, 'float32', out);
  };
}

function replace(name: string, kernelFunc: KernelFunc): void {
  if (!originals.has(name)) {
    const k = tf.getKernel(name, 'cpu');
    if (k === undefined) return; // the CPU backend is not registered
    originals.set(name, k.kernelFunc);
  }
  tf.unregisterKernel(name, 'cpu');
  tf.registerKernel({ kernelName: name, backendName: 'cpu', kernelFunc });
}

/** The optional pooling, depthwise convolution and column sums of installCpuKernels (default: JavaScript). */
export interface OptionalOps {
  pool?: Pool2dOps;
  depthwise?: DepthwiseConv2dOps;
  columnSums?: ColumnSums;
}

/**
 * Routes tfjs CPU matmuls through `sgemm`, the embedding gradient through a single pass,
 * broadcasting Add/Sub/Multiply/RealDiv through `binary` and element-wise math through `unary`
 * (plain-JS loops when not given), last-axis Max/Min/Sum, transposes and pooling through single
 * passes (`more.pool`, default ./js-pool.ts), 2-D convolutions through `conv` (default: im2col
 * on `sgemm`) and depthwise ones through `more.depthwise` (default ./js-depthwise.ts)
 * (idempotent; replaces an install).
 */
export function installCpuKernels(
  sgemm: Sgemm,
  binary: BinaryOp = jsBinary,
  unary: UnaryOp = jsUnary,
  conv?: Conv2dOps,
  more: OptionalOps = {},
): void {
  uninstallCpuKernels();
  const original = (name: string) => originals.get(name)!;
  const extra = {
    ...poolKernels(more.pool ?? jsPool2d, original),
    ...convFamilyKernels(CONV2D, conv ?? sgemmConv2d(sgemm), binary, unary, original),
    ...convFamilyKernels(DEPTHWISE_CONV2D, more.depthwise ?? jsDepthwiseConv2d, binary, unary, original),
  };
  for (const [name, kernelFunc] of Object.entries(extra)) replace(name, kernelFunc);
  installReluGrad(binary);
  replace('BatchMatMul', batchMatMul(sgemm));
  replace('_FusedMatMul', fusedMatMul(sgemm, binary, unary));
  replace('UnsortedSegmentSum', unsortedSegmentSum());
  replace('Slice', slice());
  replace(
    'GatherV2',
    gatherKernel(() => originals.get('GatherV2')!),
  );
  replace(
    'Transpose',
    transposeKernel(() => originals.get('Transpose')!),
  );
  const leadingSum = sumKernel(more.columnSums ?? jsColumnSums, () => originals.get('Sum')!);
  replace(
    'Sum',
    lastAxisReduction('Sum', () => leadingSum),
  );
  for (const name of ['Max', 'Min'] as const)
    replace(
      name,
      lastAxisReduction(name, () => originals.get(name)!),
    );
  for (const name of UNARY_KERNELS)
    replace(
      name,
      unaryKernel(name, unary, () => originals.get(name)!),
    );
  for (const name of Object.keys(ARITHMETIC) as (keyof typeof ARITHMETIC)[])
    replace(name, arithmetic(name, binary));
  replace(
    'Step',
    stepKernel(() => original('Step')),
  );
  replace(
    'Softmax',
    softmaxKernel(unary, () => original('Softmax')),
  );
  for (const name of Object.keys(COMPARISONS) as ComparisonName[])
    replace(
      name,
      comparisonKernel(name, () => original(name)),
    );
}

/** Restores tfjs's own CPU kernels. */
export function uninstallCpuKernels(): void {
  uninstallReluGrad();
  for (const [name, kernelFunc] of originals) {
    tf.unregisterKernel(name, 'cpu');
    tf.registerKernel({ kernelName: name, backendName: 'cpu', kernelFunc });
  }
  originals.clear();
}

/** Whether the fast CPU kernels are installed. */
export function cpuKernelsInstalled(): boolean {
  return originals.size > 0;
}
