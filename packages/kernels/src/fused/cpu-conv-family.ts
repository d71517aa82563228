/**
 * The four tfjs CPU kernels of a convolution family on its fast ops (Conv2dOps: forward,
 * backpropInput, backpropFilter over an NHWC ConvGeometry), shared by the 2-D convolution
 * (./cpu-conv-kernels.ts) and the depthwise one (./cpu-depthwise-kernels.ts), which differ only
 * in their kernel names and their geometry:
 *
 *   forward         y = conv(x, f) [+ bias] [ReLU]    (the plain and the fused kernel)
 *   backpropInput   dx = ∂(Σ y·dy)/∂x                 (attrs.inputShape)
 *   backpropFilter  df = ∂(Σ y·dy)/∂f                 (attrs.filterShape)
 *
 * The family's `geometry` says whether a call is served here (null: tfjs's own kernel runs it,
 * e.g. a tiny convolution or a layout the family leaves to tfjs). An NCHW call that the family
 * serves is transposed to NHWC around the ops, and its result back. Served calls take float32
 * inputs; FusedConv2D-like calls only with a linear or relu activation, no PReLU weights and a
 * bias of one value per output channel (NHWC). Shapes: x [N, H, W, C] (NHWC), filter
 * [fh, fw, C, ·], y [N, OH, OW, OC].
 */
import * as tf from '@tensorflow/tfjs';
import { BINARY_MODE, BINARY_OP, UNARY_CODE } from './abi.js';
import { type CpuBackend, type Inputs, type KernelFunc, size } from './cpu-backend.js';
import type { BinaryOp, Conv2dOps, ConvGeometry, UnaryOp } from './impl.js';
import { peekValues, takeF32 } from './recycled-outputs.js';

/** tfjs's attributes of the convolution kernels (Conv2D and DepthwiseConv2dNative alike). */
export interface ConvAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat?: 'NHWC' | 'NCHW';
  dilations?: number | [number, number];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/** What sets one family apart: its tfjs kernel names and its geometry. */
export interface ConvFamily {
  names: { forward: string; fused: string; backpropInput: string; backpropFilter: string };
  /**
   * The NHWC geometry of a call with x of `xShape` (in attrs.dataFormat) and a filter of
   * `filterShape`, for the forward pass or a gradient; null where tfjs's kernel should run it.
   */
  geometry(
    xShape: readonly number[],
    filterShape: readonly number[],
    attrs: ConvAttrs,
    pass: 'forward' | 'backprop',
  ): ConvGeometry | null;
}

/** The kernels' NHWC geometry (CONV_INTS) of tfjs's Conv2DInfo. */
export function geometry(c: tf.backend_util.Conv2DInfo): ConvGeometry {
  return {
    batch: c.batchSize,
    inHeight: c.inHeight,
    inWidth: c.inWidth,
    inChannels: c.inChannels,
    outHeight: c.outHeight,
    outWidth: c.outWidth,
    outChannels: c.outChannels,
    filterHeight: c.filterHeight,
    filterWidth: c.filterWidth,
    strideHeight: c.strideHeight,
    strideWidth: c.strideWidth,
    dilationHeight: c.dilationHeight,
    dilationWidth: c.dilationWidth,
    padTop: c.padInfo.top,
    padLeft: c.padInfo.left,
  };
}

/**
 * [N, A, B, C] → [N, B, C, A] when `toLast` (NCHW → NHWC), else [N, B, C, A] → [N, A, B, C]
 * (NHWC → NCHW); `shape` is the source's.
 */
function moveChannels(v: Float32Array, shape: readonly number[], toLast: boolean): Float32Array {
  const out = new Float32Array(v.length);
  if (toLast) {
    const [n, c, h, w] = shape;
    const hw = h * w;
    for (let b = 0; b < n; b++)
      for (let ch = 0; ch < c; ch++) {
        const s = (b * c + ch) * hw;
        for (let p = 0, d = b * hw * c + ch; p < hw; p++, d += c) out[d] = v[s + p];
      }
  } else {
    const [n, h, w, c] = shape;
    const hw = h * w;
    for (let b = 0; b < n; b++)
      for (let p = 0; p < hw; p++) {
        const s = (b * hw + p) * c;
        for (let ch = 0, d = b * c * hw + p; ch < c; ch++, d += hw) out[d] = v[s + ch];
      }
  }
  return out;
}

/** The float32 data of an input, or null (absent, another dtype). */
function f32(backend: CpuBackend, t: tf.TensorInfo | undefined): Float32Array | null {
  if (t === undefined || t.dtype !== 'float32') return null;
  const v = peekValues(backend, t);
  return v instanceof Float32Array ? v : null;
}

/** [N, H, W, C] shape of an NCHW one. */
const nhwcShape = (s: readonly number[]) => [s[0], s[2], s[3], s[1]];
/** y's NHWC shape [N, OH, OW, OC]. */
const outShape = (g: ConvGeometry) => [g.batch, g.outHeight, g.outWidth, g.outChannels];

/** The NHWC data of an input given in NCHW (`nchw`) or NHWC. */
function asNhwc(v: Float32Array, shape: readonly number[], nchw: boolean): Float32Array {
  return nchw ? moveChannels(v, shape, true) : v;
}

/** An NHWC result of `shape` as a tensor in the call's layout. */
function result(
  backend: CpuBackend,
  v: Float32Array,
  shape: readonly number[],
  nchw: boolean,
): tf.TensorInfo {
  if (!nchw) return backend.makeTensorInfo([...shape], 'float32', v);
  const [n, h, w, c] = shape;
  return backend.makeTensorInfo([n, c, h, w], 'float32', moveChannels(v, shape, false));
}

/** The plain and the fused forward kernel (bias, linear or relu). */
function forward(
  family: ConvFamily,
  ops: Conv2dOps,
  binary: BinaryOp,
  unary: UnaryOp,
  fallback: () => KernelFunc,
): KernelFunc {
  return (args) => {
    const { x, filter, bias, preluActivationWeights } = args.inputs as Inputs;
    const a = args.attrs as unknown as ConvAttrs & { activation?: string };
    const backend = args.backend as unknown as CpuBackend;
    const nchw = a.dataFormat === 'NCHW';
    const activation = a.activation ?? 'linear';
    const g = family.geometry(x!.shape, filter!.shape, a, 'forward');
    const xv = f32(backend, x);
    const fv = f32(backend, filter);
    const bv = bias === undefined ? null : f32(backend, bias);
    const fused =
      preluActivationWeights === undefined &&
      (activation === 'linear' || activation === 'relu') &&
      (bias === undefined ||
        (!nchw && bv !== null && bias.shape.length === 1 && bias.shape[0] === g?.outChannels));
    if (g === null || !fused || xv === null || fv === null) return fallback()(args);
    const y = takeF32(size(outShape(g)), false); // [N, OH, OW, OC], written in full (Conv2dOps)
    ops.forward(g, asNhwc(xv, x!.shape, nchw), fv, y);
    if (bv !== null) binary(BINARY_OP.add, BINARY_MODE.bRepeatedRow, y, bv, y, g.outChannels);
    if (activation === 'relu') unary(UNARY_CODE.Relu, y, y);
    return result(backend, y, outShape(g), nchw);
  };
}

/** The input gradient's kernel: dx of the family's convolution. */
function backpropInput(family: ConvFamily, ops: Conv2dOps, fallback: () => KernelFunc): KernelFunc {
  return (args) => {
    const { dy, filter } = args.inputs as Inputs;
    const a = args.attrs as unknown as ConvAttrs & { inputShape: number[] };
    const backend = args.backend as unknown as CpuBackend;
    const nchw = a.dataFormat === 'NCHW';
    const g = family.geometry(a.inputShape, filter!.shape, a, 'backprop');
    const dyv = f32(backend, dy);
    const fv = f32(backend, filter);
    if (g === null || dyv === null || fv === null || dyv.length !== size(outShape(g)))
      return fallback()(args);
    const shape = nchw ? nhwcShape(a.inputShape) : a.inputShape;
    const dx = takeF32(size(shape), false); // [N, H, W, C], written in full
    ops.backpropInput(g, asNhwc(dyv, dy!.shape, nchw), fv, dx);
    return result(backend, dx, shape, nchw);
  };
}

/** The filter gradient's kernel: dfilter of the family's convolution. */
function backpropFilter(family: ConvFamily, ops: Conv2dOps, fallback: () => KernelFunc): KernelFunc {
  return (args) => {
    const { x, dy } = args.inputs as Inputs;
    const a = args.attrs as unknown as ConvAttrs & { filterShape: number[] };
    const backend = args.backend as unknown as CpuBackend;
    const nchw = a.dataFormat === 'NCHW';
    const g = family.geometry(x!.shape, a.filterShape, a, 'backprop');
    const xv = f32(backend, x);
    const dyv = f32(backend, dy);
    if (g === null || xv === null || dyv === null || dyv.length !== size(outShape(g)))
      return fallback()(args);
    const df = takeF32(size(a.filterShape), false); // [fh, fw, C, ·], written in full
    ops.backpropFilter(g, asNhwc(xv, x!.shape, nchw), asNhwc(dyv, dy!.shape, nchw), df);
    return backend.makeTensorInfo([...a.filterShape], 'float32', df);
  };
}

/** The family's four kernels by tfjs kernel name on `ops`, each falling back to `original(name)`. */
export function convFamilyKernels(
  family: ConvFamily,
  ops: Conv2dOps,
  binary: BinaryOp,
  unary: UnaryOp,
  original: (name: string) => KernelFunc,
): Record<string, KernelFunc> {
  const n = family.names;
  return {
    [n.forward]: forward(family, ops, binary, unary, () => original(n.forward)),
    [n.fused]: forward(family, ops, binary, unary, () => original(n.fused)),
    [n.backpropInput]: backpropInput(family, ops, () => original(n.backpropInput)),
    [n.backpropFilter]: backpropFilter(family, ops, () => original(n.backpropFilter)),
  };
}
