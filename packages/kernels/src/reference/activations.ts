/**
 * The element-wise activations the fused recurrent ops accept, with tfjs-layers' definitions
 * (so outputs match `tf.layers.lstm/gru` for the same weights).
 *
 * - `sigmoid`: 1/(1 + e^{−x}) (Keras 3 and PyTorch's gate activation; Regulab's default).
 * - `hardSigmoid`: clip(0.2·x + 0.5, 0, 1), tfjs-layers' definition and default (Keras 3 uses
 *   relu6(x + 3)/6 instead, which differs).
 * - `tanh`, `relu`, `linear` as usual.
 */
import * as tf from '@tensorflow/tfjs';
import type { SequenceActivation } from '../types.js';

/** Applies a named activation. Shapes: any; returns x's shape. */
export function applyActivation(name: SequenceActivation, x: tf.Tensor): tf.Tensor {
  switch (name) {
    case 'sigmoid':
      return tf.sigmoid(x);
    case 'tanh':
      return tf.tanh(x);
    case 'hardSigmoid':
      return tf.tidy(() => tf.clipByValue(tf.add(tf.mul(x, 0.2), 0.5), 0, 1));
    case 'relu':
      return tf.relu(x);
    case 'linear':
      return x;
    default:
      throw new Error(`unknown activation ${JSON.stringify(name as string)}`);
  }
}
