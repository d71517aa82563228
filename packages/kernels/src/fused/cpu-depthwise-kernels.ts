/**
 * Depthwise 2-D convolution for tfjs's CPU backend on a DepthwiseConv2dOps (./impl.ts): the native
 * addon's threaded loops (native/src/depthwise.cc) or the same in JavaScript (./js-depthwise.ts,
 * the fallback, also used by the WebAssembly build). Kernels: DepthwiseConv2dNative,
 * FusedDepthwiseConv2D (bias and ReLU applied after the convolution), and the two gradients tfjs's
 * gradient calls, DepthwiseConv2dNativeBackpropInput and DepthwiseConv2dNativeBackpropFilter.
 * tfjs's own kernels walk TensorBuffer index arithmetic per multiply-add.
 *
 *     y[n, i, j, c·M + q] = Σ_{kh, kw} x[n, i·sh + kh·dh − padTop, j·sw + kw·dw − padLeft, c] · f[kh, kw, c, q]
 *
 * Geometry is tfjs's own `backend_util.computeConv2DInfo(…, depthwise = true)`. tfjs's CPU kernels
 * read every input as NHWC whatever the dataFormat attribute says; an NCHW call is left to tfjs's
 * kernel so that it behaves exactly as before. Float32 inputs with at least MIN_ELEMENTS
 * multiply-adds go this way; anything else (other dtypes, tiny convolutions, FusedDepthwiseConv2D
 * with an activation other than linear/relu, PReLU weights, a bias that is not one value per output
 * channel, strides and dilations both above 1, which tfjs refuses) runs tfjs's kernel. Installed by
 * ./cpu-kernels.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { BINARY_MODE, BINARY_OP, UNARY_CODE } from './abi.js';
import { type CpuBackend, type Inputs, type KernelFunc, MIN_ELEMENTS, size } from './cpu-backend.js';
import { geometry } from './cpu-conv-kernels.js';
import type { BinaryOp, ConvGeometry, DepthwiseConv2dOps, UnaryOp } from './impl.js';

interface DepthwiseAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat?: 'NHWC' | 'NCHW';
  dilations?: number | [number, number];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/**
 * The NHWC geometry of a depthwise conv of x (shape [N, H, W, C]) with a filter [fh, fw, C, M],
 * or null where tfjs's kernel should run (NCHW, strides and dilations both above 1, tiny).
 */
function depthwiseGeometry(
  xShape: readonly number[],
  filterShape: readonly number[],
  a: DepthwiseAttrs,
): ConvGeometry | null {
  const dilations = a.dilations ?? 1;
  if (a.dataFormat === 'NCHW' || !tf.backend_util.eitherStridesOrDilationsAreOne(a.strides, dilations))
    return null;
  if (xShape.length !== 4 || filterShape.length !== 4 || xShape[3] !== filterShape[2]) return null;
  const g = geometry(
    tf.backend_util.computeConv2DInfo(
      xShape as [number, number, number, number],
      filterShape as [number, number, number, number],
      a.strides,
      dilations,
      a.pad,
      a.dimRoundingMode,
      true,
    ),
  );
  const work = g.batch * g.outHeight * g.outWidth * g.outChannels * g.filterHeight * g.filterWidth;
  return work >= MIN_ELEMENTS ? g : null; // direct loops: no GEMM set-up to pay back
}

function f32(backend: CpuBackend, t: tf.TensorInfo | undefined): Float32Array | null {
  if (t === undefined || t.dtype !== 'float32') return null;
  const v = backend.readSync(t.dataId);
  return v instanceof Float32Array ? v : null;
}

const outShape = (g: ConvGeometry) => [g.batch, g.outHeight, g.outWidth, g.outChannels];

/** DepthwiseConv2dNative and FusedDepthwiseConv2D (bias, linear or relu). */
function forward(
  ops: DepthwiseConv2dOps,
  binary: BinaryOp,
  unary: UnaryOp,
  fallback: () => KernelFunc,
): KernelFunc {
  return (args) => {
    const { x, filter, bias, preluActivationWeights } = args.inputs as Inputs;
    const a = args.attrs as unknown as DepthwiseAttrs & { activation?: string };
    const backend = args.backend as unknown as CpuBackend;
    const activation = a.activation ?? 'linear';
    const g = depthwiseGeometry(x!.shape, filter!.shape, a);
    const xv = f32(backend, x);
    const fv = f32(backend, filter);
    const bv = bias === undefined ? null : f32(backend, bias);
    const fused =
      preluActivationWeights === undefined &&
      (activation === 'linear' || activation === 'relu') &&
      (bias === undefined || (bv !== null && bias.shape.length === 1 && bias.shape[0] === g?.outChannels));
    if (g === null || !fused || xv === null || fv === null) return fallback()(args);
    const y = new Float32Array(size(outShape(g))); // [N, OH, OW, C·M]
    ops.forward(g, xv, fv, y);
    if (bv !== null) binary(BINARY_OP.add, BINARY_MODE.bRepeatedRow, y, bv, y, g.outChannels);
    if (activation === 'relu') unary(UNARY_CODE.Relu, y, y);
    return backend.makeTensorInfo(outShape(g), 'float32', y);
  };
}

/** DepthwiseConv2dNativeBackpropInput: dx of a depthwise conv. */
function backpropInput(ops: DepthwiseConv2dOps, fallback: () => KernelFunc): KernelFunc {
  return (args) => {
    const { dy, filter } = args.inputs as Inputs;
    const a = args.attrs as unknown as DepthwiseAttrs & { inputShape: number[] };
    const backend = args.backend as unknown as CpuBackend;
    const g = depthwiseGeometry(a.inputShape, filter!.shape, a);
    const dyv = f32(backend, dy);
    const fv = f32(backend, filter);
    if (g === null || dyv === null || fv === null || dyv.length !== size(outShape(g)))
      return fallback()(args);
    const dx = new Float32Array(size(a.inputShape)); // [N, H, W, C]
    ops.backpropInput(g, dyv, fv, dx);
    return backend.makeTensorInfo([...a.inputShape], 'float32', dx);
  };
}

/** DepthwiseConv2dNativeBackpropFilter: dfilter of a depthwise conv. */
function backpropFilter(ops: DepthwiseConv2dOps, fallback: () => KernelFunc): KernelFunc {
  return (args) => {
    const { x, dy } = args.inputs as Inputs;
    const a = args.attrs as unknown as DepthwiseAttrs & { filterShape: number[] };
    const backend = args.backend as unknown as CpuBackend;
    const g = depthwiseGeometry(x!.shape, a.filterShape, a);
    const xv = f32(backend, x);
    const dyv = f32(backend, dy);
    if (g === null || xv === null || dyv === null || dyv.length !== size(outShape(g)))
      return fallback()(args);
    const df = new Float32Array(size(a.filterShape)); // [fh, fw, C, M]
    ops.backpropFilter(g, xv, dyv, df);
    return backend.makeTensorInfo([...a.filterShape], 'float32', df);
  };
}

/** The depthwise kernels by tfjs kernel name on `ops`, each falling back to `original(name)`. */
export function depthwiseKernels(
  ops: DepthwiseConv2dOps,
  binary: BinaryOp,
  unary: UnaryOp,
  original: (name: string) => KernelFunc,
): Record<string, KernelFunc> {
  return {
    DepthwiseConv2dNative: forward(ops, binary, unary, () => original('DepthwiseConv2dNative')),
    FusedDepthwiseConv2D: forward(ops, binary, unary, () => original('FusedDepthwiseConv2D')),
    DepthwiseConv2dNativeBackpropInput: backpropInput(ops, () =>
      original('DepthwiseConv2dNativeBackpropInput'),
    ),
    DepthwiseConv2dNativeBackpropFilter: backpropFilter(ops, () =>
      original('DepthwiseConv2dNativeBackpropFilter'),
    ),
  };
}
