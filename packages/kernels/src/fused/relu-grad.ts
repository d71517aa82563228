/**
 * The ReLU gradient in one pass on tfjs's CPU backend. tfjs's gradient of Relu is
 * `mul(dy, cast(step(x), 'float32'))`: three kernels and two full-size intermediate arrays per
 * ReLU in every training step (the Step and Multiply passes were ~25 of ~107 ms of CPU in a
 * profiled cnn step). While Regulab's CPU kernels are installed, Relu's gradient runs one kernel,
 * RegulabReluGrad, with tfjs's bits:
 *
 *     dx[i] = dy[i] · s(x[i]),   s(v) = 1 if v > 0, NaN if v is NaN, else 0   (tfjs's Step, alpha 0)
 *
 * so dy·0 keeps its sign (−0 where dy < 0) exactly as tfjs's Multiply gives it. On any other
 * backend (no RegulabReluGrad registered there) the gradient is tfjs's own. Shapes: dy, x and dx
 * alike. RegulabReluGrad has its own gradient (∂/∂dy = the same mask, ∂/∂x = 0), so gradients of
 * gradients still work.
 */
import * as tf from '@tensorflow/tfjs';
import type { CpuBackend, Inputs, KernelFunc } from './cpu-backend.js';

export const RELU_GRAD = 'RegulabReluGrad';

/**
 * dx = dy · s(x) over float32 arrays (one monomorphic loop). s(x) is +(x > 0), a compare without a
 * branch, unless x is NaN (a branch that is almost never taken): a branch on the sign of x, whose
 * sign is a coin toss for pre-activations, mispredicted half the time and cost 7.3 ns per element
 * against 1.9 (conv1's 1.38 M elements of cnn-step: 10 ms → 2.6 ms; the same bits).
 */
function maskedCopy(dy: Float32Array, x: Float32Array, out: Float32Array): void {
  for (let i = 0; i < out.length; i++) {
    const v = x[i];
    out[i] = dy[i] * (v === v ? +(v > 0) : NaN);
  }
}

/** The CPU kernel: dx = dy · step(x) in one pass (float32 inputs; the gradient config checks). */
const reluGradKernel: KernelFunc = (args) => {
  const { dy, x } = args.inputs as Inputs;
  const backend = args.backend as unknown as CpuBackend;
  const dyv = backend.readSync(dy!.dataId);
  const xv = backend.readSync(x!.dataId);
  if (!(dyv instanceof Float32Array) || !(xv instanceof Float32Array) || dyv.length !== xv.length)
    throw new Error(`${RELU_GRAD}: expects float32 dy and x of one shape`);
  const out = new Float32Array(xv.length);
  maskedCopy(dyv, xv, out);
  return backend.makeTensorInfo([...x!.shape], 'float32', out);
};

const reluGrad = (dy: tf.Tensor, x: tf.Tensor): tf.Tensor =>
  tf.engine().runKernel(RELU_GRAD, { dy, x } as unknown as tf.NamedTensorMap, {}) as tf.Tensor;

let original: tf.GradConfig | undefined;

/** Registers RegulabReluGrad for the CPU backend and routes Relu's gradient through it (idempotent). */
export function installReluGrad(): void {
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
}
