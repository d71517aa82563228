/**
 * Max and average pooling (NHWC, as tfjs's pools are) and their gradients for tfjs's CPU backend,
 * as single passes over the windows with the channel axis innermost. tfjs's kernels walk one
 * channel at a time through TensorBuffer index arithmetic, and MaxPoolGrad loops over every input
 * pixel and filter tap; these give tfjs's results bit for bit:
 *
 *     MaxPool      y[n, i, j, c] = max over the window's pixels inside x (strict >, from −∞, so NaN is skipped)
 *     AvgPool      y[n, i, j, c] = (Σ over the window's pixels inside x) / their count (summed in float64)
 *     MaxPoolGrad  dx[p] = Σ dy[w] over the windows w whose first maximum is p (float64, windows in order)
 *     AvgPoolGrad  dx[p] = (Σ dy[w] over the windows w covering p) · 1/(fh·fw) (tfjs divides by the
 *                  whole window, padding included, whatever count the forward used)
 *
 * Geometry is tfjs's `backend_util.computePool2DInfo`. Float32 inputs of at least MIN_ELEMENTS
 * elements go this way; anything else runs tfjs's kernel. Installed by ./cpu-kernels.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { type CpuBackend, type Inputs, type KernelFunc, MIN_ELEMENTS, size } from './cpu-backend.js';

type PoolInfo = tf.backend_util.Conv2DInfo;

interface PoolAttrs {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/**
 * The windows of a pooling, precomputed: rows [r0[i], r1[i]) of x for output row i and columns
 * [c0[j], c1[j]) for output column j (clipped to x), with the sizes as plain numbers (the hot
 * loops read locals, not Conv2DInfo's properties).
 */
interface Windows {
  N: number;
  H: number;
  W: number;
  C: number;
  OH: number;
  OW: number;
  r0: Int32Array;
  r1: Int32Array;
  c0: Int32Array;
  c1: Int32Array;
}

function windows(p: PoolInfo): Windows {
  const span = (out: number, stride: number, pad: number, filter: number, size: number) => {
    const lo = new Int32Array(out);
    const hi = new Int32Array(out);
    for (let i = 0; i < out; i++) {
      lo[i] = Math.max(0, i * stride - pad);
      hi[i] = Math.min(size, i * stride - pad + filter);
    }
    return [lo, hi];
  };
  const [r0, r1] = span(p.outHeight, p.strideHeight, p.padInfo.top, p.effectiveFilterHeight, p.inHeight);
  const [c0, c1] = span(p.outWidth, p.strideWidth, p.padInfo.left, p.effectiveFilterWidth, p.inWidth);
  const { batchSize: N, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW } = p;
  return { N, H, W, C, OH, OW, r0, r1, c0, c1 };
}

/** Whether a pixel can lie in two windows (their gradients then add up). */
const overlapping = (p: PoolInfo) =>
  p.strideHeight < p.effectiveFilterHeight || p.strideWidth < p.effectiveFilterWidth;

function maxPool(p: PoolInfo, x: Float32Array): Float32Array {
  const { N, H, W, C, OH, OW, r0, r1, c0, c1 } = windows(p);
  const y = new Float32Array(N * OH * OW * C).fill(-Infinity);
  for (let n = 0, o = 0; n < N; n++)
    for (let i = 0; i < OH; i++)
      for (let j = 0; j < OW; j++, o += C)
        for (let r = r0[i]; r < r1[i]; r++)
          for (let c = c0[j], s = ((n * H + r) * W + c) * C; c < c1[j]; c++, s += C)
            for (let ch = 0; ch < C; ch++) {
              const v = x[s + ch];
              if (v > y[o + ch]) y[o + ch] = v;
            }
  return y;
}

function avgPool(p: PoolInfo, x: Float32Array): Float32Array {
  const { N, H, W, C, OH, OW, r0, r1, c0, c1 } = windows(p);
  const y = new Float32Array(N * OH * OW * C);
  const acc = new Float64Array(C);
  for (let n = 0, o = 0; n < N; n++)
    for (let i = 0; i < OH; i++)
      for (let j = 0; j < OW; j++, o += C) {
        acc.fill(0);
        for (let r = r0[i]; r < r1[i]; r++)
          for (let c = c0[j], s = ((n * H + r) * W + c) * C; c < c1[j]; c++, s += C)
            for (let ch = 0; ch < C; ch++) acc[ch] += x[s + ch];
        const count = (r1[i] - r0[i]) * (c1[j] - c0[j]);
        for (let ch = 0; ch < C; ch++) y[o + ch] = acc[ch] / count;
      }
  return y;
}

/** Adds dy of each window to its first maximum, in window order, into acc. */
function scatterMax(w: Windows, x: Float32Array, dy: Float32Array, acc: Float32Array | Float64Array): void {
  const { N, H, W, C, OH, OW, r0, r1, c0, c1 } = w;
  const best = new Float32Array(C);
  const at = new Int32Array(C);
  for (let n = 0, o = 0; n < N; n++)
    for (let i = 0; i < OH; i++)
      for (let j = 0; j < OW; j++, o += C) {
        best.fill(-Infinity);
        at.fill(-1);
        for (let r = r0[i]; r < r1[i]; r++)
          for (let c = c0[j], s = ((n * H + r) * W + c) * C; c < c1[j]; c++, s += C)
            for (let ch = 0; ch < C; ch++) {
              const v = x[s + ch];
              if (v > best[ch]) {
                best[ch] = v;
                at[ch] = s + ch;
              }
            }
        for (let ch = 0; ch < C; ch++) if (at[ch] >= 0) acc[at[ch]] += dy[o + ch];
      }
}

function maxPoolGrad(p: PoolInfo, x: Float32Array, dy: Float32Array): Float32Array {
  if (!overlapping(p)) {
    const dx = new Float32Array(x.length);
    scatterMax(windows(p), x, dy, dx);
    return dx;
  }
  const acc = new Float64Array(x.length);
  scatterMax(windows(p), x, dy, acc);
  return Float32Array.from(acc);
}

/** Adds dy of each window to every pixel it covers, in window order, into acc. */
function scatterAvg(w: Windows, dy: Float32Array, acc: Float32Array | Float64Array): void {
  const { N, H, W, C, OH, OW, r0, r1, c0, c1 } = w;
  for (let n = 0, o = 0; n < N; n++)
    for (let i = 0; i < OH; i++)
      for (let j = 0; j < OW; j++, o += C)
        for (let r = r0[i]; r < r1[i]; r++)
          for (let c = c0[j], s = ((n * H + r) * W + c) * C; c < c1[j]; c++, s += C)
            for (let ch = 0; ch < C; ch++) acc[s + ch] += dy[o + ch];
}

function avgPoolGrad(p: PoolInfo, dy: Float32Array): Float32Array {
  const n = size(p.inShape);
  const acc = overlapping(p) ? new Float64Array(n) : new Float32Array(n);
  scatterAvg(windows(p), dy, acc);
  const scale = 1 / (p.filterHeight * p.filterWidth);
  const dx = acc instanceof Float32Array ? acc : new Float32Array(n);
  for (let i = 0; i < n; i++) dx[i] = acc[i] * scale;
  return dx;
}

/** tfjs's pooling geometry of an NHWC input (dilations 1, as tfjs's pooling kernels use). */
function poolInfo(xShape: readonly number[], a: PoolAttrs, rounding = true): PoolInfo {
  return tf.backend_util.computePool2DInfo(
    xShape as [number, number, number, number],
    a.filterSize,
    a.strides,
    1,
    a.pad,
    rounding ? a.dimRoundingMode : undefined,
  );
}

function floatData(backend: CpuBackend, t: tf.TensorInfo | undefined): Float32Array | null {
  if (t === undefined || t.dtype !== 'float32' || t.shape.length !== 4 || size(t.shape) < MIN_ELEMENTS)
    return null;
  const v = backend.readSync(t.dataId);
  return v instanceof Float32Array ? v : null;
}

/**
 * Whether tfjs's own kernel should run: a 1×1 window over an unchanged shape (tfjs returns the
 * input itself, sharing its storage), or a gradient whose dy has another shape than the geometry
 * (tfjs's gradients of a pool with a numeric pad and a rounding mode drop the mode, and its
 * kernels then read dy on a grid of another size).
 */
const leaveToTfjs = (p: PoolInfo, dy?: tf.TensorInfo) =>
  (dy !== undefined && !dy.shape.every((d, i) => d === p.outShape[i])) ||
  (p.filterHeight === 1 && p.filterWidth === 1 && p.inShape.every((d, i) => d === p.outShape[i]));

/** The pooling kernels by tfjs kernel name, each falling back to `original(name)`. */
export function poolKernels(original: (name: string) => KernelFunc): Record<string, KernelFunc> {
  const forward =
    (name: 'MaxPool' | 'AvgPool', run: (p: PoolInfo, x: Float32Array) => Float32Array): KernelFunc =>
    (args) => {
      const backend = args.backend as unknown as CpuBackend;
      const { x } = args.inputs as Inputs;
      const xv = floatData(backend, x);
      const p = xv === null ? null : poolInfo(x!.shape, args.attrs as unknown as PoolAttrs);
      if (xv === null || p === null || leaveToTfjs(p)) return original(name)(args);
      return backend.makeTensorInfo([...p.outShape], 'float32', run(p, xv));
    };
  return {
    MaxPool: forward('MaxPool', maxPool),
    AvgPool: forward('AvgPool', avgPool),
    MaxPoolGrad: (args) => {
      const backend = args.backend as unknown as CpuBackend;
      const { dy, input } = args.inputs as Inputs;
      const xv = floatData(backend, input);
      const dyv = dy?.dtype === 'float32' ? backend.readSync(dy.dataId) : null;
      const p = xv === null ? null : poolInfo(input!.shape, args.attrs as unknown as PoolAttrs);
      if (xv === null || p === null || leaveToTfjs(p, dy) || !(dyv instanceof Float32Array))
        return original('MaxPoolGrad')(args);
      return backend.makeTensorInfo([...input!.shape], 'float32', maxPoolGrad(p, xv, dyv));
    },
    AvgPoolGrad: (args) => {
      const backend = args.backend as unknown as CpuBackend;
      const { dy, input } = args.inputs as Inputs;
      const dyv = dy?.dtype === 'float32' ? backend.readSync(dy.dataId) : null;
      const ok = floatData(backend, input) !== null && dyv instanceof Float32Array;
      const p = ok ? poolInfo(input!.shape, args.attrs as unknown as PoolAttrs, false) : null; // as tfjs: no rounding mode
      if (p === null || leaveToTfjs(p, dy) || !(dyv instanceof Float32Array))
        return original('AvgPoolGrad')(args);
      return backend.makeTensorInfo([...input!.shape], 'float32', avgPoolGrad(p, dyv));
    },
  };
}
