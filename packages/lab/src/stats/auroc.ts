/**
 * The area under the ROC curve of a score that should be higher on positives (e.g. the predictive
 * entropy on out-of-distribution inputs) than on negatives (in-distribution inputs), computed as
 * the Mann–Whitney statistic
 *
 *   AUROC = P(s⁺ > s⁻) + ½ P(s⁺ = s⁻) = (1 / (n⁺ n⁻)) Σ_{i ∈ +} Σ_{j ∈ −} [s_i > s_j] + ½ [s_i = s_j],
 *
 * by sorting (O(n log n)): with all scores ranked together, ties given their average rank, it is
 * (R⁺ − n⁺(n⁺ + 1)/2) / (n⁺ n⁻), R⁺ the sum of the positives' ranks. 1 separates perfectly, 0.5 is
 * chance, 0 separates perfectly the wrong way round.
 */

/** AUROC of `positives` against `negatives` (both non-empty, finite). */
export function auroc(positives: ArrayLike<number>, negatives: ArrayLike<number>): number {
  const nPos = positives.length;
  const nNeg = negatives.length;
  if (nPos === 0 || nNeg === 0) {
    throw new RangeError(`auroc: needs positives and negatives, got ${nPos} and ${nNeg}`);
  }
  const all: { s: number; positive: boolean }[] = [];
  for (const [scores, positive] of [
    [positives, true],
    [negatives, false],
  ] as const) {
    for (let i = 0; i < scores.length; i++) {
      const s = scores[i]!;
      if (!Number.isFinite(s)) throw new RangeError(`auroc: scores must be finite, got ${s}`);
      all.push({ s, positive });
    }
  }
  all.sort((a, b) => a.s - b.s);
  let rankSum = 0; // R⁺, ranks from 1, ties at their average rank
  for (let i = 0; i < all.length;) {
    let j = i;
    while (j < all.length && all[j]!.s === all[i]!.s) j++;
    const averageRank = (i + 1 + j) / 2; // ranks i + 1 … j
    for (let k = i; k < j; k++) if (all[k]!.positive) rankSum += averageRank;
    i = j;
  }
  return (rankSum - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}
