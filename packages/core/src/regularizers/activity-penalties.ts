/**
 * Activation regularization (AR) and temporal activation regularization (TAR) of Merity, McCann &
 * Socher, "Revisiting Activation Regularization for Language RNNs" (2017), used by AWD-LSTM
 * (Merity, Keskar & Socher, ICLR 2018) with α = 2, β = 1. Pure penalty functions: add them to the
 * loss of a custom training loop, or use the `rl.regularizers.activity` layer in `fit`.
 */
import * as tf from '@tensorflow/tfjs';

/**
 * AR = α·mean(h²): penalizes large activations. Apply it to the *dropped* output of the last
 * recurrent layer (after dropout), as AWD-LSTM does. A mean over every element, not a sum, so α
 * does not depend on batch size, length or width.
 *
 * Shapes: h any shape (usually [B, T, H]); returns a scalar.
 */
export function activationPenalty(h: tf.Tensor, alpha: number): tf.Scalar {
  return tf.tidy(() => tf.mul(alpha, tf.mean(tf.square(h))) as tf.Scalar);
}

/**
 * TAR = β·mean((h_{t+1} − h_t)²): penalizes fast changes of the hidden state over time. Apply it to
 * the *raw* output of the last recurrent layer (before dropout), as AWD-LSTM does. The mean runs
 * over batch, the T − 1 differences and units. With T < 2 there is no difference: the penalty is 0
 * (PyTorch's `mean` of an empty tensor would be NaN).
 *
 * Shapes: h [B, T, ...] with time on axis 1 (tfjs's batch-major layout); returns a scalar.
 */
export function temporalActivationPenalty(h: tf.Tensor, beta: number): tf.Scalar {
  return tf.tidy(() => {
    const steps = h.shape[1];
    if (h.rank < 2 || steps == null || steps < 2) return tf.scalar(0);
    const begin = h.shape.map(() => 0); // [0, 0, ...]
    const size = [h.shape[0], steps - 1, ...h.shape.slice(2)];
    const earlier = tf.slice(h, begin, size); // [B, T−1, ...] h_1..h_{T−1}
    const later = tf.slice(h, [0, 1, ...begin.slice(2)], size); // [B, T−1, ...] h_2..h_T
    return tf.mul(beta, tf.mean(tf.square(tf.sub(later, earlier)))) as tf.Scalar;
  });
}
