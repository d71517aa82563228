/**
 * The spread of a gradient across the minibatches of an epoch, accumulated one batch at a time
 * without keeping the gradients (Welford's online algorithm, per weight, in float64):
 *
 *   after batch k with gradient g_k (all weights flattened into one vector of P entries):
 *     δ = g_k − μ_{k−1},  μ_k = μ_{k−1} + δ / k,  M_k = M_{k−1} + δ ⊙ (g_k − μ_k)
 *
 * so that after n batches μ_n = (1/n) Σ_k g_k and M_n = Σ_k (g_k − μ_n)², per weight. From them:
 *
 *   variance      (1/P) Σ_w M_n[w] / (n − 1)        the per-weight sample variance across the
 *                                                    batches, averaged over the weights;
 *   squaredNorm   (1/n) Σ_k ‖g_k‖²                  the mean squared norm of a batch's gradient;
 *   meanSquaredNorm  ‖μ_n‖²                          the squared norm of the epoch's mean gradient;
 *   noiseShare    Σ_w M_n[w] / Σ_k ‖g_k‖²            the share of the gradients' energy that is
 *                                                    batch-to-batch fluctuation (0: every batch
 *                                                    gave the same gradient; → 1: pure noise),
 *
 * since Σ_k ‖g_k‖² = n ‖μ_n‖² + Σ_w M_n[w]. `noiseShare` does not change when the gradients are
 * scaled, so models whose gradients differ in size (dropout's 1/(1 − p) scaling) can be compared.
 * Welford's update is used instead of Σg and Σg² because their difference cancels badly when the
 * mean gradient is large against its spread.
 */

/** The moments of a gradient over the batches seen so far (see the module doc). */
export class GradientMoments {
  /** Entries of the flattened gradient. */
  readonly size: number;
  private count = 0;
  private readonly mean: Float64Array;
  private readonly m2: Float64Array;
  private squaredNorms = 0;

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 1)
      throw new RangeError(`GradientMoments: size must be a positive integer, got ${size}`);
    this.size = size;
    this.mean = new Float64Array(size);
    this.m2 = new Float64Array(size);
  }

  /** Batches seen. */
  get batches(): number {
    return this.count;
  }

  /** Forgets every batch (a new epoch). */
  reset(): void {
    this.count = 0;
    this.mean.fill(0);
    this.m2.fill(0);
    this.squaredNorms = 0;
  }

  /**
   * Adds one batch's gradient, given as consecutive parts (one per variable, in the same order
   * every batch) whose lengths add up to `size`.
   */
  add(parts: readonly ArrayLike<number>[]): void {
    const total = parts.reduce((n, p) => n + p.length, 0);
    if (total !== this.size)
      throw new RangeError(
        `GradientMoments.add: the parts have ${total} entries, expected ${this.size} (the same variables every batch)`,
      );
    const k = ++this.count;
    let offset = 0;
    let norm = 0;
    for (const part of parts) {
      for (let i = 0; i < part.length; i++, offset++) {
        const g = part[i]!;
        const delta = g - this.mean[offset]!;
        const mean = this.mean[offset]! + delta / k;
        this.mean[offset] = mean;
        this.m2[offset]! += delta * (g - mean);
        norm += g * g;
      }
    }
    this.squaredNorms += norm;
  }

  /** The statistics of the module doc; `variance` is NaN before two batches, all are NaN before one. */
  summary(): { variance: number; squaredNorm: number; meanSquaredNorm: number; noiseShare: number } {
    const n = this.count;
    if (n === 0) return { variance: NaN, squaredNorm: NaN, meanSquaredNorm: NaN, noiseShare: NaN };
    let m2 = 0;
    let meanNorm = 0;
    for (let i = 0; i < this.size; i++) {
      m2 += this.m2[i]!;
      meanNorm += this.mean[i]! ** 2;
    }
    return {
      variance: n < 2 ? NaN : m2 / (n - 1) / this.size,
      squaredNorm: this.squaredNorms / n,
      meanSquaredNorm: meanNorm,
      noiseShare: this.squaredNorms === 0 ? 0 : m2 / this.squaredNorms,
    };
  }
}
