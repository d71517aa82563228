/**
 * Data-movement and reduction kernels for tfjs's CPU backend where its generic versions cost more
 * than the whole fused LSTM in a language model's step: row gathers (embedding lookups),
 * transposes and sums over leading axes (bias gradients). Each serves float32 and the common
 * case, and hands anything else to tfjs's own kernel (`fallback`). Installed by ./cpu-kernels.ts.
 */
import { type CpuBackend, type Inputs, type KernelFunc, MIN_ELEMENTS, size } from './cpu-backend.js';
import { peekValues, takeF32 } from './recycled-outputs.js';
import type { ColumnSums } from './impl.js';

/** GatherV2 on axis 0 (batchDims 0): out[i] = x[indices[i]], rows copied with TypedArray.set. */
export function gatherKernel(fallback: () => KernelFunc): KernelFunc {
  return (args) => {
    const { x, indices } = args.inputs as Inputs;
    const { axis, batchDims } = args.attrs as { axis: number; batchDims: number };
    const backend = args.backend as unknown as CpuBackend;
    const rows = x!.shape[0];
    const width = x!.shape.length === 0 ? 0 : size(x!.shape) / Math.max(rows, 1);
    const n = size(indices!.shape);
    if (
      x!.dtype !== 'float32' ||
      axis !== 0 ||
      batchDims !== 0 ||
      x!.shape.length < 1 ||
      n * width < MIN_ELEMENTS
    ) {
      return fallback()(args);
    }
    const xv = peekValues(backend, x!) as Float32Array;
    const ids = peekValues(backend, indices!);
    const out = takeF32(n * width);
    for (let i = 0; i < n; i++) {
      const r = ids[i];
      if (!(r >= 0 && r < rows)) return fallback()(args); // let tfjs raise its error
      // A plain loop: a subarray object per row is garbage the next scavenge must sweep.
      for (let j = 0, s = r * width, o = i * width; j < width; j++) out[o + j] = xv[s + j];
    }
    return backend.makeTensorInfo([...indices!.shape, ...x!.shape.slice(1)], 'float32', out);
  };
}

/**
 * Transpose of a float32 tensor: the input's own storage, shared as tfjs's Reshape shares it, for
 * the identity permutation (tfjs's layers emit those),
 * 32×32 blocks for 2-D, and for any other permutation a walk over the output in order with the
 * input's stride on the innermost output axis. tfjs's kernel computes a multi-index array per
 * element (~14 MB of garbage per language-model step).
 */
export function transposeKernel(fallback: () => KernelFunc): KernelFunc {
  return (args) => {
    const { x } = args.inputs as Inputs;
    const { perm } = args.attrs as { perm: number[] };
    const backend = args.backend as unknown as CpuBackend;
    const shape = x!.shape;
    const rank = shape.length;
    if (x!.dtype !== 'float32' || perm.length !== rank || size(shape) < MIN_ELEMENTS) return fallback()(args);
    const xv = peekValues(backend, x!);
    if (!(xv instanceof Float32Array)) return fallback()(args);
    const outShape = perm.map((p) => shape[p]);
    if (perm.every((p, i) => p === i)) {
      backend.incRef(x!.dataId);
      return { dataId: x!.dataId, shape: outShape, dtype: 'float32' };
    }
    const out = takeF32(xv.length);
    if (rank === 2) {
      const [m, n] = shape;
      for (let i0 = 0; i0 < m; i0 += 32) {
        for (let j0 = 0; j0 < n; j0 += 32) {
          const i1 = Math.min(m, i0 + 32);
          const j1 = Math.min(n, j0 + 32);
          for (let i = i0; i < i1; i++) for (let j = j0; j < j1; j++) out[j * m + i] = xv[i * n + j];
        }
      }
      return backend.makeTensorInfo(outShape, 'float32', out);
    }
    const inStrides = shape.map((_, i) => size(shape.slice(i + 1)));
    const stride = perm.map((p) => inStrides[p]); // input step per output axis
    const inner = outShape[rank - 1];
    const innerStride = stride[rank - 1];
    const idx = new Array<number>(rank - 1).fill(0);
    let base = 0; // input offset of the current output row
    for (let o = 0; o < out.length; o += inner) {
      for (let j = 0, s = base; j < inner; j++, s += innerStride) out[o + j] = xv[s];
      for (let d = rank - 2; d >= 0; d--) {
        base += stride[d];
        if (++idx[d] < outShape[d]) break;
        base -= stride[d] * outShape[d];
        idx[d] = 0;
      }
    }
    return backend.makeTensorInfo(outShape, 'float32', out);
  };
}

/** Sum over the leading axes 0..k−1 of a float32 tensor (e.g. a bias gradient) by `columnSums`. */
export function sumKernel(columnSums: ColumnSums, fallback: () => KernelFunc): KernelFunc {
  return (args) => {
    const { x } = args.inputs as Inputs;
    const { axis, keepDims } = args.attrs as { axis: number | number[]; keepDims: boolean };
    const backend = args.backend as unknown as CpuBackend;
    const rank = x!.shape.length;
    const axes = [
      ...new Set((Array.isArray(axis) ? axis : [axis]).map((a) => (a < 0 ? a + rank : a))),
    ].sort();
    const leading = axes.length > 0 && axes.length < rank && axes.every((a, i) => a === i);
    // any size: tfjs's Sum over leading axes transposes them to the end first (0.3 ms for [1, 64, 10])
    if (x!.dtype !== 'float32' || !leading || size(x!.shape) === 0) return fallback()(args);
    const width = size(x!.shape.slice(axes.length));
    const rows = size(x!.shape) / width;
    const xv = peekValues(backend, x!) as Float32Array;
    const out = takeF32(width);
    columnSums(xv, rows, width, out);
    const shape = keepDims ? x!.shape.map((d, i) => (i < axes.length ? 1 : d)) : x!.shape.slice(axes.length);
    return backend.makeTensorInfo(shape, 'float32', out);
  };
}
