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
 * that is not one value per output channel in NHWC) runs tfjs's kernel. The kernels themselves are
 * ./cpu-conv-family.ts's, shared with the depthwise convolution. Installed by ./cpu-kernels.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { MIN_WORK } from './cpu-backend.js';
import { type ConvAttrs, type ConvFamily, geometry } from './cpu-conv-family.js';
import type { ConvGeometry } from './impl.js';

/** Whether a convolution is worth a call into the fast kernels. */
function worthIt(g: ConvGeometry): boolean {
  const work =
    g.batch * g.outHeight * g.outWidth * g.outChannels * g.filterHeight * g.filterWidth * g.inChannels;
  return work >= MIN_WORK;
}

/**
 * tfjs's geometry of a conv2d of x (shape in `dataFormat`) with a filter [fh, fw, in, out]
 * (dilations on the forward pass only: tfjs's gradient refuses them), or null for tfjs's kernel
 * (a filter whose input channels are not x's, too little work).
 */
function convGeometry(
  xShape: readonly number[],
  filterShape: readonly number[],
  a: ConvAttrs,
  pass: 'forward' | 'backprop',
): ConvGeometry | null {
  const g = geometry(
    tf.backend_util.computeConv2DInfo(
      xShape as [number, number, number, number],
      filterShape as [number, number, number, number],
      a.strides,
      pass === 'forward' ? (a.dilations ?? 1) : 1,
      a.pad,
      a.dimRoundingMode,
      false,
      tf.backend_util.convertConv2DDataFormat(a.dataFormat ?? 'NHWC'),
    ),
  );
  return filterShape[2] === g.inChannels && worthIt(g) ? g : null;
}

/** The 2-D convolution family: tfjs's Conv2D kernels and their geometry (registered by ./cpu-kernels.ts). */
export const CONV2D: ConvFamily = {
  names: {
    forward: 'Conv2D',
    fused: 'FusedConv2D',
    backpropInput: 'Conv2DBackpropInput',
    backpropFilter: 'Conv2DBackpropFilter',
  },
  geometry: convGeometry,
};
