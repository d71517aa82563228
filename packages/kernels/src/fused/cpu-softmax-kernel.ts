/**
 * Softmax over the last axis for tfjs's CPU backend, one row at a time in plain JavaScript:
 *
 *     m = max_j x_j,   e_j = exp(x_j − m),   y_j = e_j / Σ_k e_k
 *
 * (subtracting the row maximum keeps exp from overflowing: every e_j ≤ 1 and the largest is 1).
 * tfjs's CPU kernel runs the same steps as five kernels (Max, Sub, Exp, Sum, RealDiv) through its
 * generic broadcasting loops, with four full-size intermediate arrays; in Monte Carlo prediction of
 * the character model (`npm run bench -- --case mc-predict`) that was about half of the CPU time.
 *
 * Bits: the same float32 roundings as tfjs's kernel (x − m rounded to float32, Math.exp of it
 * rounded to float32, the row sum accumulated in float64 then rounded, the quotient rounded), so
 * the result equals tfjs's exactly; NaN in a row gives NaN (tfjs's Max lets NaN win).
 *
 * Shapes: logits [..., V] → y [..., V]. Inference and training alike; the gradient is tfjs's own
 * (mul, sum, sub of y and dy), which runs on Regulab's element-wise kernels. float32 inputs of at
 * least MIN_ELEMENTS elements go this way; anything else (and a non-last `dim`, which tfjs rejects)
 * runs tfjs's kernel. Installed by ./cpu-kernels.ts.
 */
import { type CpuBackend, type Inputs, type KernelFunc, MIN_ELEMENTS, size } from './cpu-backend.js';
import { peekValues, takeF32 } from './recycled-outputs.js';

/** y = softmax of each row of `width` values of x (numerically stable; see the file comment). */
export function softmaxRows(x: Float32Array, out: Float32Array, width: number): void {
  const f = Math.fround;
  for (let o = 0; o < x.length; o += width) {
    let m = x[o];
    for (let j = 1; j < width; j++) {
      const v = x[o + j];
      if (v > m || v !== v) m = v; // NaN wins, as in tfjs's Max
    }
    let s = 0;
    for (let j = 0; j < width; j++) {
      const e = f(Math.exp(f(x[o + j] - m)));
      out[o + j] = e;
      s += e;
    }
    const total = f(s);
    for (let j = 0; j < width; j++) out[o + j] = out[o + j] / total;
  }
}

/** The CPU kernel of Softmax (inputs {logits}, attrs {dim}); `fallback` is tfjs's. */
export function softmaxKernel(fallback: () => KernelFunc): KernelFunc {
  return (args) => {
    const { logits } = args.inputs as Inputs;
    const { dim } = args.attrs as { dim: number };
    const backend = args.backend as unknown as CpuBackend;
    const rank = logits!.shape.length;
    const width = rank >= 1 ? logits!.shape[rank - 1] : 0;
    const last = dim === -1 || dim === rank - 1;
    if (logits!.dtype !== 'float32' || !last || width === 0 || size(logits!.shape) < MIN_ELEMENTS)
      return fallback()(args);
    const xv = peekValues(backend, logits!);
    if (!(xv instanceof Float32Array)) return fallback()(args);
    const out = takeF32(xv.length);
    softmaxRows(xv, out, width);
    return backend.makeTensorInfo([...logits!.shape], 'float32', out);
  };
}
