/**
 * Softmax over the last axis for tfjs's CPU backend in plain JavaScript over the typed arrays (the
 * exponentials in one call to the installed UnaryOp):
 *
 *     m = max_j x_j,   e_j = exp(x_j − m),   y_j = e_j / Σ_k e_k
 *
 * (subtracting the row maximum keeps exp from overflowing: every e_j ≤ 1 and the largest is 1).
 * tfjs's CPU kernel runs the same steps as five kernels (Max, Sub, Exp, Sum, RealDiv) through its
 * generic broadcasting loops, with four full-size intermediate arrays; in Monte Carlo prediction of
 * the character model (`npm run bench -- --case mc-predict`) that was about half of the CPU time.
 *
 * Roundings are tfjs's (x − m rounded to float32, its exp rounded to float32, the row sum
 * accumulated in float64 then rounded, the quotient rounded), so with Math.exp as the UnaryOp the
 * result equals tfjs's bit for bit. The installed exps (the native addon's vector exp, or
 * ./js-elementwise.ts's polynomial) are within 1e-6 relative of Math.exp after rounding, and so is
 * y (test/cpu-softmax-kernel.test.ts). NaN in a row gives NaN (tfjs's Max lets NaN win).
 *
 * Shapes: logits [..., V] → y [..., V]. Inference and training alike; the gradient is tfjs's own
 * (mul, sum, sub of y and dy), which runs on Regulab's element-wise kernels. float32 inputs of at
 * least MIN_ELEMENTS elements go this way; anything else (and a non-last `dim`, which tfjs rejects)
 * runs tfjs's kernel. Installed by ./cpu-kernels.ts.
 */
import { type CpuBackend, type Inputs, type KernelFunc, MIN_ELEMENTS, size } from './cpu-backend.js';
import { UNARY_CODE, type UnaryOp } from './impl.js';
import { jsUnary } from './js-elementwise.js';
import { peekValues, takeF32 } from './recycled-outputs.js';

/**
 * y = softmax of each row of `width` values of x (numerically stable; see the file comment), in
 * three passes: x − row max into `out`, exp of all of `out` in place through `unary` (one call),
 * then each row divided by its sum.
 */
export function softmaxRows(
  x: Float32Array,
  out: Float32Array,
  width: number,
  unary: UnaryOp = jsUnary,
): void {
  for (let o = 0; o < x.length; o += width) {
    let m = x[o];
    for (let j = 1; j < width; j++) {
      const v = x[o + j];
      if (v > m || v !== v) m = v; // NaN wins, as in tfjs's Max
    }
    for (let j = 0; j < width; j++) out[o + j] = x[o + j] - m; // rounded to float32, as tfjs's Sub
  }
  unary(UNARY_CODE.Exp, out, out);
  for (let o = 0; o < x.length; o += width) {
    let s = 0;
    for (let j = 0; j < width; j++) s += out[o + j];
    const total = Math.fround(s); // tfjs's Sum: float64 accumulation, float32 result
    for (let j = 0; j < width; j++) out[o + j] = out[o + j] / total;
  }
}

/** The CPU kernel of Softmax (inputs {logits}, attrs {dim}), exp through `unary`; `fallback` is tfjs's. */
export function softmaxKernel(unary: UnaryOp, fallback: () => KernelFunc): KernelFunc {
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
    softmaxRows(xv, out, width, unary);
    return backend.makeTensorInfo([...logits!.shape], 'float32', out);
  };
}
