/**
 * Max and average pooling (NHWC) and their gradients in plain JavaScript: the Pool2dOps (./impl.ts)
 * of a backend without its own (the WebAssembly build, or no addon), and the reference the native
 * passes (native/src/pool.cc) follow. Single passes over the windows with the channel axis
 * innermost; tfjs's kernels walk one channel at a time through TensorBuffer index arithmetic, and
 * MaxPoolGrad loops over every input pixel and filter tap. These give tfjs's results bit for bit:
 *
 *     maxPool      y[n, i, j, c] = max over the window's pixels inside x (strict >, from −∞, so NaN is skipped)
 *     avgPool      y[n, i, j, c] = (Σ over the window's pixels inside x) / their count (summed in float64)
 *     maxPoolGrad  dx[p] = Σ dy[w] over the windows w whose first maximum is p (float64, windows in order)
 *     avgPoolGrad  dx[p] = (Σ dy[w] over the windows w covering p) · 1/(fh·fw) (tfjs divides by the
 *                  whole window, padding included, whatever count the forward used)
 */
import type { ConvGeometry, Pool2dOps } from './impl.js';

/**
 * The windows of a pooling, precomputed: rows [r0[i], r1[i]) of x for output row i and columns
 * [c0[j], c1[j]) for output column j (clipped to x), with the sizes as plain numbers (the hot
 * loops read locals, not the geometry's properties).
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

function windows(g: ConvGeometry): Windows {
  const span = (out: number, stride: number, pad: number, filter: number, size: number) => {
    const lo = new Int32Array(out);
    const hi = new Int32Array(out);
    for (let i = 0; i < out; i++) {
      lo[i] = Math.max(0, i * stride - pad);
      hi[i] = Math.min(size, i * stride - pad + filter);
    }
    return [lo, hi];
  };
  const [r0, r1] = span(g.outHeight, g.strideHeight, g.padTop, g.filterHeight, g.inHeight);
  const [c0, c1] = span(g.outWidth, g.strideWidth, g.padLeft, g.filterWidth, g.inWidth);
  const { batch: N, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW } = g;
  return { N, H, W, C, OH, OW, r0, r1, c0, c1 };
}

/** Whether a pixel can lie in two windows (their gradients then add up). */
const overlapping = (g: ConvGeometry) => g.strideHeight < g.filterHeight || g.strideWidth < g.filterWidth;

function maxPool(g: ConvGeometry, x: Float32Array, y: Float32Array): void {
  const { N, H, W, C, OH, OW, r0, r1, c0, c1 } = windows(g);
  y.fill(-Infinity);
  for (let n = 0, o = 0; n < N; n++)
    for (let i = 0; i < OH; i++)
      for (let j = 0; j < OW; j++, o += C)
        for (let r = r0[i]; r < r1[i]; r++)
          for (let c = c0[j], s = ((n * H + r) * W + c) * C; c < c1[j]; c++, s += C)
            for (let ch = 0; ch < C; ch++) {
              const v = x[s + ch];
              if (v > y[o + ch]) y[o + ch] = v;
            }
}

function avgPool(g: ConvGeometry, x: Float32Array, y: Float32Array): void {
  const { N, H, W, C, OH, OW, r0, r1, c0, c1 } = windows(g);
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

function maxPoolGrad(g: ConvGeometry, x: Float32Array, dy: Float32Array, dx: Float32Array): void {
  if (!overlapping(g)) {
    dx.fill(0);
    scatterMax(windows(g), x, dy, dx);
    return;
  }
  const acc = new Float64Array(x.length);
  scatterMax(windows(g), x, dy, acc);
  dx.set(acc);
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

function avgPoolGrad(g: ConvGeometry, dy: Float32Array, dx: Float32Array): void {
  const acc = overlapping(g) ? new Float64Array(dx.length) : dx.fill(0);
  scatterAvg(windows(g), dy, acc);
  const scale = 1 / (g.filterHeight * g.filterWidth);
  for (let i = 0; i < dx.length; i++) dx[i] = acc[i] * scale;
}

/** The pooling of plain JavaScript (every output written in full). */
export const jsPool2d: Pool2dOps = { maxPool, avgPool, maxPoolGrad, avgPoolGrad };
