/**
 * Issue 12's step benchmarks of feed-forward models, one training step each (forward, backward,
 * Adam update), the same model in PyTorch (bench/pytorch_peer.py):
 *
 * - `cnn-step`: batch 64 of 28×28×1 → conv 32 3×3 valid → ReLU → max-pool 2 → conv 64 3×3 valid →
 *   ReLU → max-pool 2 → flatten (1600) → dense 128 ReLU → dropout 0.5 → dense 10, softmax
 *   cross-entropy, Adam (lr 1e-3).
 * - `mlp-step`: batch 128 of 784 → dense 1024 ReLU → dropout 0.5 → dense 1024 ReLU → dropout 0.5 →
 *   dense 10, softmax cross-entropy, Adam (lr 1e-3).
 *
 * Built with tf.layers (NHWC); Regulab's build uses `rl.layers.dropout` and `rl.optimizers.adam`
 * (one pass per variable), tfjs's `tf.layers.dropout` and `tf.train.adam`. Which CPU kernels run
 * (Regulab's or tfjs's) is the worker's choice of kernel backend.
 */
import * as tf from '@tensorflow/tfjs';
import * as rl from 'regulab';
import type { StepFn } from './models.js';

export type FeedforwardName = 'cnn-step' | 'mlp-step';

export interface FeedforwardCase {
  name: FeedforwardName;
  kind: 'feedforward';
  batch: number;
  /** Input shape of one example: [28, 28, 1] or [784]. */
  input: number[];
  classes: number;
}

export const FEEDFORWARD_CASES: Record<FeedforwardName, FeedforwardCase> = {
  'cnn-step': { name: 'cnn-step', kind: 'feedforward', batch: 64, input: [28, 28, 1], classes: 10 },
  'mlp-step': { name: 'mlp-step', kind: 'feedforward', batch: 128, input: [784], classes: 10 },
};

export type Dropout = (rate: number) => tf.layers.Layer;

/** The layers of a case's model, with `dropout` building its dropout layers. */
export function feedforwardLayers(c: FeedforwardCase, dropout: Dropout): tf.layers.Layer[] {
  if (c.name === 'mlp-step')
    return [
      tf.layers.dense({ units: 1024, activation: 'relu', inputShape: c.input }),
      dropout(0.5),
      tf.layers.dense({ units: 1024, activation: 'relu' }),
      dropout(0.5),
      tf.layers.dense({ units: c.classes }),
    ];
  return [
    tf.layers.conv2d({ filters: 32, kernelSize: 3, activation: 'relu', inputShape: c.input }),
    tf.layers.maxPooling2d({ poolSize: 2 }),
    tf.layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu' }),
    tf.layers.maxPooling2d({ poolSize: 2 }),
    tf.layers.flatten(),
    tf.layers.dense({ units: 128, activation: 'relu' }),
    dropout(0.5),
    tf.layers.dense({ units: c.classes }),
  ];
}

/** The training step of a case: `regulab` (Regulab's dropout and Adam) or `tfjs` (tfjs's). */
export function buildFeedforwardStep(c: FeedforwardCase, kind: 'regulab' | 'tfjs'): StepFn {
  const dropout: Dropout =
    kind === 'regulab'
      ? (rate) => rl.layers.dropout({ rate, seed: 1 })
      : (rate) => tf.layers.dropout({ rate });
  const model = tf.sequential({ layers: feedforwardLayers(c, dropout) });
  const optimizer = kind === 'regulab' ? rl.optimizers.adam({ learningRate: 1e-3 }) : tf.train.adam(1e-3);
  const x = tf.randomUniform([c.batch, ...c.input], 0, 1, 'float32', 1); // [B, ...input] pixels
  const labels = tf.oneHot(tf.randomUniform([c.batch], 0, c.classes, 'int32', 2), c.classes); // [B, classes]
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const loss = (): tf.Scalar => {
    const logits = model.apply(x, { training: true }) as tf.Tensor2D; // [B, classes]
    return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
  };
  return () => {
    tf.tidy(() => {
      optimizer.minimize(loss, false, vars);
    });
  };
}

/**
 * The matmuls of a case's model, one per layer as [rows, k, n]: [rows, k] · [k, n] (a convolution
 * as its im2col product). The FLOPs and the weight count both come from this one table.
 */
function layerProducts(c: FeedforwardCase): [number, number, number][] {
  return c.name === 'mlp-step'
    ? [
        [c.batch, 784, 1024],
        [c.batch, 1024, 1024],
        [c.batch, 1024, c.classes],
      ]
    : [
        [c.batch * 26 * 26, 3 * 3 * 1, 32],
        [c.batch * 11 * 11, 3 * 3 * 32, 64],
        [c.batch, 1600, 128],
        [c.batch, 128, c.classes],
      ];
}

/**
 * Trainable weights of a case's model: each layer's k·n kernel and n biases, what its optimizer
 * step reads and writes (mlp-step 1,863,690; cnn-step 225,034).
 */
export function feedforwardWeights(c: FeedforwardCase): number {
  return layerProducts(c).reduce((sum, [, k, n]) => sum + k * n + n, 0);
}

/**
 * Matmul and convolution FLOPs of one step (2 per multiply-add): the forward products, and two
 * products per layer backward (input and weight gradients) except the first layer's input
 * gradient, which nothing needs. Bias, activation, pooling, dropout and Adam are the overhead.
 */
export function feedforwardFlops(c: FeedforwardCase): number {
  const forward = layerProducts(c).map(([m, k, n]) => 2 * m * k * n);
  const total = forward.reduce((a, b) => a + b, 0);
  return 3 * total - forward[0]; // the first layer's input gradient is not computed
}
