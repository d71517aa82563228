/**
 * Max and average pooling (NHWC, as tfjs's pools are) and their gradients for tfjs's CPU backend,
 * on a Pool2dOps (./impl.ts): the native addon's threaded passes (native/src/pool.cc) or the
 * same passes in JavaScript (./js-pool.ts, the fallback, also used by the WebAssembly build).
 * Both give tfjs's results bit for bit (see Pool2dOps).
 *
 * Geometry is tfjs's `backend_util.computePool2DInfo`. Float32 inputs of at least MIN_ELEMENTS
 * elements go this way; anything else runs tfjs's kernel. Installed by ./cpu-kernels.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { type CpuBackend, type Inputs, type KernelFunc, MIN_ELEMENTS, size } from './cpu-backend.js';
import { geometry } from './cpu-conv-family.js';
import type { ConvGeometry, Pool2dOps } from './impl.js';
import { peekValues, takeF32 } from './recycled-outputs.js';

type PoolInfo = tf.backend_util.Conv2DInfo;

interface PoolAttrs {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/** tfjs's pooling geometry of an NHWC input (dilations 1, as tfjs's pooling kernels use). */
function poolInfo(xShape: readonly number[], a: PoolAttrs, rounding = true): PoolInfo {
  return tf.backend_util.computePool2DInfo(
    xShape as [number, number, number, number],
    a.filterSize,
    a.strides,
    1,
    a.pad,
    rounding ? a.dimRoundingMode : undefined,
  );
}

function floatData(backend: CpuBackend, t: tf.TensorInfo | undefined): Float32Array | null {
  if (t === undefined || t.dtype !== 'float32' || t.shape.length !== 4 || size(t.shape) < MIN_ELEMENTS)
    return null;
  const v = peekValues(backend, t);
  return v instanceof Float32Array ? v : null;
}

/**
 * Whether tfjs's own kernel should run: a 1×1 window over an unchanged shape (tfjs returns the
 * input itself, sharing its storage), or a gradient whose dy has another shape than the geometry
 * (tfjs's gradients of a pool with a numeric pad and a rounding mode drop the mode, and its
 * kernels then read dy on a grid of another size).
 */
const leaveToTfjs = (p: PoolInfo, dy?: tf.TensorInfo) =>
  (dy !== undefined && !dy.shape.every((d, i) => d === p.outShape[i])) ||
  (p.filterHeight === 1 && p.filterWidth === 1 && p.inShape.every((d, i) => d === p.outShape[i]));

/** The pooling kernels by tfjs kernel name on `ops`, each falling back to `original(name)`. */
export function poolKernels(
  ops: Pool2dOps,
  original: (name: string) => KernelFunc,
): Record<string, KernelFunc> {
  const forward =
    (
      name: 'MaxPool' | 'AvgPool',
      run: (g: ConvGeometry, x: Float32Array, y: Float32Array) => void,
    ): KernelFunc =>
    (args) => {
      const backend = args.backend as unknown as CpuBackend;
      const { x } = args.inputs as Inputs;
      const xv = floatData(backend, x);
      const p = xv === null ? null : poolInfo(x!.shape, args.attrs as unknown as PoolAttrs);
      if (xv === null || p === null || leaveToTfjs(p)) return original(name)(args);
      const y = takeF32(size(p.outShape), false); // [N, OH, OW, C], every element written
      run(geometry(p), xv, y);
      return backend.makeTensorInfo([...p.outShape], 'float32', y);
    };
  return {
    MaxPool: forward('MaxPool', (g, x, y) => ops.maxPool(g, x, y)),
    AvgPool: forward('AvgPool', (g, x, y) => ops.avgPool(g, x, y)),
    MaxPoolGrad: (args) => {
      const backend = args.backend as unknown as CpuBackend;
      const { dy, input } = args.inputs as Inputs;
      const xv = floatData(backend, input);
      const dyv = dy?.dtype === 'float32' ? peekValues(backend, dy) : null;
      const p = xv === null ? null : poolInfo(input!.shape, args.attrs as unknown as PoolAttrs);
      if (xv === null || p === null || leaveToTfjs(p, dy) || !(dyv instanceof Float32Array))
        return original('MaxPoolGrad')(args);
      const dx = takeF32(xv.length, false); // [N, H, W, C], written in full (Pool2dOps)
      ops.maxPoolGrad(geometry(p), xv, dyv, dx);
      return backend.makeTensorInfo([...input!.shape], 'float32', dx);
    },
    AvgPoolGrad: (args) => {
      const backend = args.backend as unknown as CpuBackend;
      const { dy, input } = args.inputs as Inputs;
      const dyv = dy?.dtype === 'float32' ? peekValues(backend, dy) : null;
      const ok = floatData(backend, input) !== null && dyv instanceof Float32Array;
      const p = ok ? poolInfo(input!.shape, args.attrs as unknown as PoolAttrs, false) : null; // as tfjs: no rounding mode
      if (p === null || leaveToTfjs(p, dy) || !(dyv instanceof Float32Array))
        return original('AvgPoolGrad')(args);
      const dx = takeF32(size(input!.shape), false); // [N, H, W, C], written in full
      ops.avgPoolGrad(geometry(p), dyv, dx);
      return backend.makeTensorInfo([...input!.shape], 'float32', dx);
    },
  };
}
