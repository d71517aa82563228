/**
 * Norm stabilizer (Krueger & Memisevic, "Regularizing RNNs by Stabilizing Activations", 2016):
 *
 *   L = β · mean_b [ 1/(T−1) · Σ_{t=2..T} (‖h_t‖₂ − ‖h_{t−1}‖₂)² ]
 *
 * over the layer's hidden states h_1..h_T of this call; the initial state h_0 is left out (as the
 * authors' code does; the paper's sum includes it). ‖h‖ is computed as √(Σh² + 1e-12) so the
 * gradient at h = 0 is finite. A sequence of one step gives 0. Training only; the layer adds it to
 * the model's loss through tfjs's layer-loss mechanism (`Layer.addLoss`, summed by `fit`).
 *
 * Shapes: h [B, T, H] → scalar.
 */
import * as tf from '@tensorflow/tfjs';

export function normStabilizerPenalty(h: tf.Tensor3D, beta: number): tf.Scalar {
  return tf.tidy(() => {
    const [, steps] = h.shape;
    if (steps < 2 || beta === 0) return tf.scalar(0);
    const norms = tf.sqrt(tf.add(tf.sum(tf.square(h), 2), 1e-12)); // [B, T]
    const later = tf.slice(norms, [0, 1], [-1, steps - 1]); // [B, T−1]
    const earlier = tf.slice(norms, [0, 0], [-1, steps - 1]); // [B, T−1]
    const perExample = tf.mean(tf.square(tf.sub(later, earlier)), 1); // [B]
    return tf.mul(tf.mean(perExample), beta) as tf.Scalar;
  });
}
