/**
 * Entropy of categorical distributions along the last axis, and the mutual information (BALD) of
 * a Monte Carlo ensemble of them.
 *
 *   H[p] = −Σ_c p_c log p_c                     (nats; 0 · log 0 = 0)
 *   I = H[p̄] − (1/S) Σ_s H[p_s],   p̄ = (1/S) Σ_s p_s
 *
 * I is the mutual information between the prediction and the weights under the dropout posterior
 * (Houlsby et al., 2011, "Bayesian Active Learning for Classification and Preference Learning";
 * Gal, Islam & Ghahramani, 2017, "Deep Bayesian Active Learning with Image Data"): H[p̄] is the
 * total (predictive) uncertainty, the expected entropy its aleatoric part, I the epistemic part.
 * I ≥ 0 by the concavity of H; it is 0 when all samples agree.
 *
 * Shapes: p [..., C] → H [...].
 */
import * as tf from '@tensorflow/tfjs';

/** H[p] along the last axis (nats). Shapes: p [..., C] → [...]. */
export function entropy(p: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    // p · log max(p, 1e-30): exactly 0 where p = 0, log p elsewhere (1e-30 is a normal float32).
    const plogp = tf.mul(p, tf.log(tf.maximum(p, 1e-30))); // [..., C]
    return tf.neg(tf.sum(plogp, -1)); // [...]
  });
}

/**
 * The mutual information I = H[p̄] − expected entropy, clamped at 0 (rounding can leave −1e-7 where
 * the samples agree). Shapes: both [...] → [...].
 */
export function mutualInformation(predictiveEntropy: tf.Tensor, expectedEntropy: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.relu(tf.sub(predictiveEntropy, expectedEntropy)));
}
