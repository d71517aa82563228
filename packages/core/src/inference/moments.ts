/**
 * Streaming mean and variance over Monte Carlo samples, merged chunk by chunk (Chan, Golub &
 * LeVeque, 1979): a chunk of k samples [k, ...] has mean m_b and M2_b = Σ_s (y_s − m_b)²; with the
 * running (n_a, m_a, M2_a), δ = m_b − m_a, n = n_a + k:
 *
 *   m = m_a + δ · k/n,   M2 = M2_a + M2_b + δ² · n_a · k/n,   variance = M2 / n.
 *
 * No sum of squares is kept, so a small variance of a large mean loses no digits. The variance is
 * the population variance over the samples (divides by n, as Gal & Ghahramani's predictive
 * variance does).
 *
 * Shapes: each chunk [k, ...]; mean and variance [...]. The accumulator owns its tensors until
 * `result()` hands them over (or `dispose()`).
 */
import * as tf from '@tensorflow/tfjs';

export class SampleMoments {
  private count = 0;
  private mean: tf.Tensor | null = null; // [...]
  private m2: tf.Tensor | null = null; // [...]

  /** Adds a chunk of samples along axis 0. Shapes: chunk [k, ...]. */
  add(chunk: tf.Tensor): void {
    const k = chunk.shape[0]!;
    const [mean, m2] = tf.tidy(() => {
      const chunkMean = tf.mean(chunk, 0); // [...]
      const chunkM2 = tf.sum(tf.square(tf.sub(chunk, chunkMean)), 0); // [...]
      if (this.mean === null || this.m2 === null) return [chunkMean, chunkM2];
      const n = this.count + k;
      const delta = tf.sub(chunkMean, this.mean); // [...]
      return [
        tf.add(this.mean, tf.mul(delta, k / n)),
        tf.add(tf.add(this.m2, chunkM2), tf.mul(tf.square(delta), (this.count * k) / n)),
      ];
    });
    this.release();
    this.count += k;
    this.mean = tf.keep(mean); // owned here, whatever scope add() is called in
    this.m2 = tf.keep(m2);
  }

  /** The mean and variance of all samples added; the caller owns them, the accumulator is emptied. */
  result(): { mean: tf.Tensor; variance: tf.Tensor } {
    if (this.mean === null || this.m2 === null) throw new Error('SampleMoments: no samples added');
    const mean = this.mean;
    const variance = tf.div(this.m2, this.count);
    this.m2.dispose();
    this.mean = null;
    this.m2 = null;
    this.count = 0;
    return { mean, variance };
  }

  /** Frees the running tensors and forgets the samples. */
  dispose(): void {
    this.release();
    this.count = 0;
  }

  private release(): void {
    tf.dispose([this.mean, this.m2].filter((t): t is tf.Tensor => t !== null));
    this.mean = null;
    this.m2 = null;
  }
}
