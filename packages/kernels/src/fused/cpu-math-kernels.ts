/**
 * Element-wise math and innermost-axis reductions for tfjs's CPU backend: Exp, Log, Neg, Sqrt,
 * Rsqrt, Square, Abs, Reciprocal, Sigmoid, Tanh, Relu through a UnaryOp (native SIMD, or the plain
 * loops of ./js-elementwise.ts), and Max / Min / Sum over the last axis. In a language model's step
 * these are softmax cross-entropy (max, exp, sum, log) and tf.train's optimizer updates (square,
 * sqrt); tfjs's generic unary loop costs 15–25 ns per element (Sqrt boxes every value), and its
 * reductions allocate per call what a single pass does not need.
 *
 * Also Step (the ReLU gradient's mask, x > 0 ? 1 : α) and the comparisons Less, Greater,
 * LessEqual, GreaterEqual of same-shape operands or against a scalar (dropout's mask u < 1 − p),
 * as plain loops: tfjs's generic loops cost ~20 ns per element where these cost ~1.
 *
 * Float32 inputs of at least MIN_ELEMENTS elements go this way; anything else runs tfjs's kernel.
 * Installed by ./cpu-kernels.ts.
 */
import { type CpuBackend, type Inputs, type KernelFunc, MIN_ELEMENTS, size } from './cpu-backend.js';
import { UNARY_CODE, type UnaryName, type UnaryOp } from './impl.js';
import { peekValues, takeF32 } from './recycled-outputs.js';

export const UNARY_KERNELS = Object.keys(UNARY_CODE) as UnaryName[];

/** The CPU kernel of one unary op through `unary`. */
export function unaryKernel(name: UnaryName, unary: UnaryOp, fallback: () => KernelFunc): KernelFunc {
  const code = UNARY_CODE[name];
  return (args) => {
    const { x } = args.inputs as Inputs;
    const backend = args.backend as unknown as CpuBackend;
    const xv = x!.dtype === 'float32' ? peekValues(backend, x!) : null;
    if (!(xv instanceof Float32Array) || xv.length < MIN_ELEMENTS) return fallback()(args);
    const out = takeF32(xv.length, false); // unary writes every element
    unary(code, xv, out);
    return backend.makeTensorInfo([...x!.shape], 'float32', out);
  };
}

export type ReductionName = 'Max' | 'Min' | 'Sum';

function reduceRows(name: ReductionName, xv: Float32Array, rows: number, width: number): Float32Array {
  const out = takeF32(rows);
  for (let r = 0, o = 0; r < rows; r++, o += width) {
    let acc = name === 'Sum' ? 0 : xv[o];
    if (name === 'Sum') for (let j = 0; j < width; j++) acc += xv[o + j];
    else if (name === 'Max')
      for (let j = 1; j < width; j++) {
        const v = xv[o + j];
        if (v > acc || v !== v) acc = v; // NaN wins, as in tfjs
      }
    else
      for (let j = 1; j < width; j++) {
        const v = xv[o + j];
        if (v < acc || v !== v) acc = v;
      }
    out[r] = acc;
  }
  return out;
}

/**
 * Max, Min or Sum of a float32 tensor over its last axis only (e.g. the row maxima and sums of
 * softmax), one pass per row. Other axes go to `fallback` (./cpu-data-kernels.ts sums leading axes).
 */
export function lastAxisReduction(name: ReductionName, fallback: () => KernelFunc): KernelFunc {
  return (args) => {
    const { x } = args.inputs as Inputs;
    const attrs = args.attrs as {
      axis?: number | number[];
      reductionIndices?: number | number[];
      keepDims: boolean;
    };
    const backend = args.backend as unknown as CpuBackend;
    const rank = x!.shape.length;
    const raw = attrs.reductionIndices ?? attrs.axis;
    const axes = raw == null ? [] : (Array.isArray(raw) ? raw : [raw]).map((a) => (a < 0 ? a + rank : a));
    const last = rank >= 1 && axes.length > 0 && axes.every((a) => a === rank - 1);
    const width = rank >= 1 ? x!.shape[rank - 1] : 0;
    if (x!.dtype !== 'float32' || !last || width === 0 || size(x!.shape) < MIN_ELEMENTS)
      return fallback()(args);
    const xv = peekValues(backend, x!);
    if (!(xv instanceof Float32Array)) return fallback()(args);
    const out = reduceRows(name, xv, xv.length / width, width);
    const shape = attrs.keepDims ? [...x!.shape.slice(0, -1), 1] : x!.shape.slice(0, -1);
    return backend.makeTensorInfo(shape, 'float32', out);
  };
}

/** Step: y = NaN for NaN, 1 for x > 0, else α (tfjs's definition; the ReLU gradient uses α = 0). */
export function stepKernel(fallback: () => KernelFunc): KernelFunc {
  return (args) => {
    const { x } = args.inputs as Inputs;
    const { alpha } = args.attrs as { alpha: number };
    const backend = args.backend as unknown as CpuBackend;
    const xv = x!.dtype === 'float32' ? peekValues(backend, x!) : null;
    if (!(xv instanceof Float32Array) || xv.length < MIN_ELEMENTS) return fallback()(args);
    const out = takeF32(xv.length, false); // every element written
    // values[+(v > 0)], not `v > 0 ? 1 : alpha`: the sign of a pre-activation is a coin toss, and
    // a branch on it is mispredicted half the time; v !== v (NaN) is almost never taken
    const values = Float32Array.of(alpha, 1);
    for (let i = 0; i < xv.length; i++) {
      const v = xv[i];
      out[i] = v === v ? values[+(v > 0)] : NaN;
    }
    return backend.makeTensorInfo([...x!.shape], 'float32', out);
  };
}

export const COMPARISONS = {
  Less: (a: number, b: number) => a < b,
  Greater: (a: number, b: number) => a > b,
  LessEqual: (a: number, b: number) => a <= b,
  GreaterEqual: (a: number, b: number) => a >= b,
} as const;
export type ComparisonName = keyof typeof COMPARISONS;

/** A comparison of float32 operands of one shape, or against a scalar b, into a bool tensor. */
export function comparisonKernel(name: ComparisonName, fallback: () => KernelFunc): KernelFunc {
  const test = COMPARISONS[name];
  return (args) => {
    const { a, b } = args.inputs as Inputs;
    const backend = args.backend as unknown as CpuBackend;
    const n = size(a!.shape);
    const scalar = size(b!.shape) === 1 && b!.shape.length <= a!.shape.length;
    const same = a!.shape.length === b!.shape.length && a!.shape.every((d, i) => d === b!.shape[i]);
    const av = a!.dtype === 'float32' ? peekValues(backend, a!) : null;
    const bv = b!.dtype === 'float32' ? peekValues(backend, b!) : null;
    if (
      !(av instanceof Float32Array) ||
      !(bv instanceof Float32Array) ||
      !(same || scalar) ||
      n < MIN_ELEMENTS
    )
      return fallback()(args);
    const out = new Uint8Array(n);
    // +(boolean), not `? 1 : 0`: dropout's u < 1 − p is a coin toss, and a branch on it was
    // mispredicted half the time (7.5 ns per element against 1.7)
    if (same) for (let i = 0; i < n; i++) out[i] = +test(av[i], bv[i]);
    else {
      const s = bv[0];
      for (let i = 0; i < n; i++) out[i] = +test(av[i], s);
    }
    return backend.makeTensorInfo([...a!.shape], 'bool', out);
  };
}
