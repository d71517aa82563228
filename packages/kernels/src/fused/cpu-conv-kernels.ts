/**
 * 2-D convolution for tfjs's CPU backend on a fast Conv2dOps (the native addon's im2col + packed
 * GEMM, native/src/conv.cc): Conv2D, FusedConv2D (what tf.layers.conv2d calls; bias and ReLU
 * applied after the product), and the two gradients tfjs's Conv2D gradient calls,
 * Conv2DBackpropInput and Conv2DBackpropFilter. tfjs's own kernels are scalar loops
 * (Σ over the filter per output element, ~1 GFLOP/s): a small CNN's training step took 26 s.
 *
 *     y[n, i, j, o] = Σ_{kh, kw, c} x[n, i·sh + kh·dh − padTop, j·sw + kw·dw − padLeft, c] · f[kh, kw, c, o]
 *
 * Geometry (output size, the padding of 'valid', 'same' or explicit pads, dimRoundingMode) is
 * tfjs's own `backend_util.computeConv2DInfo`, so the shapes are tfjs's by construction. NHWC
 * runs as is; NCHW ('channelsFirst') is transposed to NHWC and back around the same kernels.
 * Float32 inputs with at least MIN_WORK multiply-adds go this way; anything else (other dtypes,
 * tiny convolutions, FusedConv2D with an activation other than linear/relu, PReLU weights or a bias
 * that is not one value per output channel in NHWC) runs tfjs's kernel. Installed by ./cpu-kernels.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { BINARY_MODE, BINARY_OP, UNARY_CODE } from './abi.js';
import { type CpuBackend, type Inputs, type KernelFunc, MIN_WORK, size } from './cpu-backend.js';
import type { BinaryOp, Conv2dOps, ConvGeometry, UnaryOp } from './impl.js';

type Conv2DInfo = tf.backend_util.Conv2DInfo;

interface ConvAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dilations?: number | [number, number];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/** tfjs's geometry of a conv2d of x (shape in `dataFormat`) with a filter [fh, fw, in, out]. */
function convInfo(
  xShape: readonly number[],
  filterShape: readonly number[],
  a: ConvAttrs,
  dilations: number | [number, number],
): Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    a.strides,
    dilations,
    a.pad,
    a.dimRoundingMode,
    false,
    tf.backend_util.convertConv2DDataFormat(a.dataFormat),
  );
}

/** The kernels' NHWC geometry (CONV_INTS) of tfjs's Conv2DInfo. */
export function geometry(c: Conv2DInfo): ConvGeometry {
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

/** Whether a convolution is worth a call into the fast kernels. */
function worthIt(g: ConvGeometry): boolean {
  const work =
    g.batch * g.outHeight * g.outWidth * g.outChannels * g.filterHeight * g.filterWidth * g.inChannels;
  return work >= MIN_WORK;
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

function f32(backend: CpuBackend, t: tf.TensorInfo): Float32Array | null {
  const v = backend.readSync(t.dataId);
  return v instanceof Float32Array ? v : null;
}

/** [N, H, W, C] shape of an NCHW one. */
const nhwcShape = (s: readonly number[]) => [s[0], s[2], s[3], s[1]];

/** The NHWC data of an input given in `dataFormat`. */
function asNhwc(v: Float32Array, shape: readonly number[], nchw: boolean): Float32Array {
  return nchw ? moveChannels(v, shape, true) : v;
}

/** Conv2D and FusedConv2D (bias, linear or relu) forward. */
function forward(conv: Conv2dOps, binary: BinaryOp, unary: UnaryOp, fallback: () => KernelFunc): KernelFunc {
  return (args) => {
    const { x, filter, bias, preluActivationWeights } = args.inputs as Inputs;
    const a = args.attrs as unknown as ConvAttrs & { activation?: string };
    const backend = args.backend as unknown as CpuBackend;
    const nchw = a.dataFormat === 'NCHW';
    const activation = a.activation ?? 'linear';
    const c = convInfo(x!.shape, filter!.shape, a, a.dilations ?? 1);
    const g = geometry(c);
    const fused =
      preluActivationWeights === undefined &&
      (activation === 'linear' || activation === 'relu') &&
      (bias === undefined ||
        (!nchw && bias.dtype === 'float32' && bias.shape.length === 1 && bias.shape[0] === g.outChannels));
    const xv = x!.dtype === 'float32' ? f32(backend, x!) : null;
    const fv = filter!.dtype === 'float32' ? f32(backend, filter!) : null;
    if (!fused || xv === null || fv === null || filter!.shape[2] !== g.inChannels || !worthIt(g))
      return fallback()(args);
    const y = new Float32Array(size(c.outShape)); // [N, OH, OW, OC]
    conv.forward(g, asNhwc(xv, x!.shape, nchw), fv, y);
    if (bias !== undefined)
      binary(BINARY_OP.add, BINARY_MODE.bRepeatedRow, y, f32(backend, bias)!, y, g.outChannels);
    if (activation === 'relu') unary(UNARY_CODE.Relu, y, y);
    const out = nchw ? moveChannels(y, [g.batch, g.outHeight, g.outWidth, g.outChannels], false) : y;
    return backend.makeTensorInfo([...c.outShape], 'float32', out);
  };
}

/** Conv2DBackpropInput: dx of a conv2d (dilations 1, as tfjs's gradient requires). */
function backpropInput(conv: Conv2dOps, fallback: () => KernelFunc): KernelFunc {
  return (args) => {
    const { dy, filter } = args.inputs as Inputs;
    const a = args.attrs as unknown as ConvAttrs & { inputShape: number[] };
    const backend = args.backend as unknown as CpuBackend;
    const nchw = a.dataFormat === 'NCHW';
    const c = convInfo(a.inputShape, filter!.shape, a, 1);
    const g = geometry(c);
    const dyv = dy!.dtype === 'float32' ? f32(backend, dy!) : null;
    const fv = filter!.dtype === 'float32' ? f32(backend, filter!) : null;
    if (dyv === null || fv === null || size(dy!.shape) !== size(c.outShape) || !worthIt(g))
      return fallback()(args);
    const dx = new Float32Array(size(a.inputShape)); // [N, H, W, C]
    conv.backpropInput(g, asNhwc(dyv, dy!.shape, nchw), fv, dx);
    const out = nchw ? moveChannels(dx, nhwcShape(a.inputShape), false) : dx;
    return backend.makeTensorInfo([...a.inputShape], 'float32', out);
  };
}

/** Conv2DBackpropFilter: dfilter of a conv2d (dilations 1, as tfjs's gradient requires). */
function backpropFilter(conv: Conv2dOps, fallback: () => KernelFunc): KernelFunc {
  return (args) => {
    const { x, dy } = args.inputs as Inputs;
    const a = args.attrs as unknown as ConvAttrs & { filterShape: number[] };
    const backend = args.backend as unknown as CpuBackend;
    const nchw = a.dataFormat === 'NCHW';
    const c = convInfo(x!.shape, a.filterShape, a, 1);
    const g = geometry(c);
    const xv = x!.dtype === 'float32' ? f32(backend, x!) : null;
    const dyv = dy!.dtype === 'float32' ? f32(backend, dy!) : null;
    if (xv === null || dyv === null || size(dy!.shape) !== size(c.outShape) || !worthIt(g))
      return fallback()(args);
    const df = new Float32Array(size(a.filterShape)); // [fh, fw, in, out]
    conv.backpropFilter(g, asNhwc(xv, x!.shape, nchw), asNhwc(dyv, dy!.shape, nchw), df);
    return backend.makeTensorInfo([...a.filterShape], 'float32', df);
  };
}

/** The convolution kernels by tfjs kernel name, each falling back to `original(name)`. */
export function convKernels(
  conv: Conv2dOps,
  binary: BinaryOp,
  unary: UnaryOp,
  original: (name: string) => KernelFunc,
): Record<string, KernelFunc> {
  return {
    Conv2D: forward(conv, binary, unary, () => original('Conv2D')),
    FusedConv2D: forward(conv, binary, unary, () => original('FusedConv2D')),
    Conv2DBackpropInput: backpropInput(conv, () => original('Conv2DBackpropInput')),
    Conv2DBackpropFilter: backpropFilter(conv, () => original('Conv2DBackpropFilter')),
  };
}
