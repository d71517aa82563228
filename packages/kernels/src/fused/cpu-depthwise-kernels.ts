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
 * channel, strides and dilations both above 1, which tfjs refuses) runs tfjs's kernel. The kernels
 * themselves are ./cpu-conv-family.ts's, shared with the 2-D convolution. Installed by ./cpu-kernels.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { MIN_ELEMENTS } from './cpu-backend.js';
import { type ConvAttrs, type ConvFamily, geometry } from './cpu-conv-family.js';
import type { ConvGeometry } from './impl.js';

/**
 * The NHWC geometry of a depthwise conv of x (shape [N, H, W, C]) with a filter [fh, fw, C, M],
 * or null where tfjs's kernel should run (NCHW, strides and dilations both above 1, tiny).
 */
function depthwiseGeometry(
  xShape: readonly number[],
  filterShape: readonly number[],
  a: ConvAttrs,
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

/** The depthwise family: tfjs's DepthwiseConv2dNative kernels and their geometry (registered by ./cpu-kernels.ts). */
export const DEPTHWISE_CONV2D: ConvFamily = {
  names: {
    forward: 'DepthwiseConv2dNative',
    fused: 'FusedDepthwiseConv2D',
    backpropInput: 'DepthwiseConv2dNativeBackpropInput',
    backpropFilter: 'DepthwiseConv2dNativeBackpropFilter',
  },
  geometry: depthwiseGeometry,
};
