/**
 * The ReLU gradient in one pass on tfjs's CPU backend. tfjs's gradient of Relu is
 * `mul(dy, cast(step(x), 'float32'))`: three kernels and two full-size intermediate arrays per
 * ReLU in every training step (the Step and Multiply passes were ~25 of ~107 ms of CPU in a
 * profiled cnn step). While Regulab's CPU kernels are installed, Relu's gradient runs one kernel,
 * RegulabReluGrad, with tfjs's bits:
 *
 *     dx[i] = dy[i] · s(x[i]),   s(v) = 1 if v > 0, NaN if v is NaN, else 0   (tfjs's Step, alpha 0)
 *
 * so dy·0 keeps its sign (−0 where dy < 0) exactly as tfjs's Multiply gives it: BINARY_OP.reluGrad
 * (threaded SIMD in the native addon, a branch-free loop in ./js-elementwise.ts). On any other
 * backend (no RegulabReluGrad registered there) the gradient is tfjs's own. Shapes: dy, x and dx
 * alike. RegulabReluGrad has its own gradient (∂/∂dy = the same mask, ∂/∂x = 0), so gradients of
 * gradients still work.
 */
import * as tf from '@tensorflow/tfjs';
import { BINARY_MODE, BINARY_OP } from './abi.js';
import type { CpuBackend, Inputs, KernelFunc } from './cpu-backend.js';
import type { BinaryOp } from './impl.js';
import { jsBinary } from './js-elementwise.js';
import { peekValues, takeF32 } from './recycled-outputs.js';

export const RELU_GRAD = 'RegulabReluGrad';

/** The BinaryOp the kernel runs (set by installReluGrad: the native SIMD loop, or jsBinary). */
let binary: BinaryOp = jsBinary;

/** The CPU kernel: dx = dy · step(x) in one pass (float32 inputs; the gradient config checks). */
const reluGradKernel: KernelFunc = (args) => {
  const { dy, x } = args.inputs as Inputs;
  const backend = args.backend as unknown as CpuBackend;
  const dyv = peekValues(backend, dy!);
  const xv = peekValues(backend, x!);
  if (!(dyv instanceof Float32Array) || !(xv instanceof Float32Array) || dyv.length !== xv.length)
    throw new Error(`${RELU_GRAD}: expects float32 dy and x of one shape`);
  const out = takeF32(xv.length, false); // like x, every element written
  binary(BINARY_OP.reluGrad, BINARY_MODE.sameShape, dyv, xv, out, 1);
  return backend.makeTensorInfo([...x!.shape], 'float32', out);
};

const reluGrad = (dy: tf.Tensor, x: tf.Tensor): tf.Tensor =>
  tf.engine().runKernel(RELU_GRAD, { dy, x } as unknown as tf.NamedTensorMap, {}) as tf.Tensor;

let original: tf.GradConfig | undefined;

/**
 * Registers RegulabReluGrad for the CPU backend, computed by `op` (BINARY_OP.reluGrad), and routes
 * Relu's gradient through it (idempotent; a later call only changes `op`).
 */
export function installReluGrad(op: BinaryOp = jsBinary): void {
  binary = op;
  if (original !== undefined) return;
  original = tf.getGradient('Relu');
  if (original === undefined) return; // no Relu gradient to replace
  const tfjs = original;
  if (tf.getKernel(RELU_GRAD, 'cpu') === undefined)
    tf.registerKernel({ kernelName: RELU_GRAD, backendName: 'cpu', kernelFunc: reluGradKernel });
  tf.registerGradient({
    kernelName: RELU_GRAD,
    inputsToSave: ['x'],
    gradFunc: (ddx, saved) => {
      const [x] = saved;
      return { dy: () => reluGrad(ddx as tf.Tensor, x), x: () => tf.zerosLike(x) };
    },
  });
  tf.registerGradient({
    kernelName: 'Relu',
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved;
      const d = dy as tf.Tensor;
      const ours = x.dtype === 'float32' && d.dtype === 'float32' && tf.getKernel(RELU_GRAD, tf.getBackend());
      return ours ? { x: () => reluGrad(d, x) } : tfjs.gradFunc(dy, saved, attrs);
    },
  });
}

/** Restores tfjs's Relu gradient and unregisters RegulabReluGrad. */
export function uninstallReluGrad(): void {
  if (original === undefined) return;
  tf.registerGradient(original);
  if (tf.getKernel(RELU_GRAD, 'cpu') !== undefined) tf.unregisterKernel(RELU_GRAD, 'cpu');
  original = undefined;
  binary = jsBinary;
}
