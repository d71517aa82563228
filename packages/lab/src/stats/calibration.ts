/**
 * How well a classifier's probabilities are calibrated, from its predicted class distributions
 * p [n, C] (rows summing to 1) and the true labels y [n]:
 *
 *   confidence_i = max_c p_ic,   correct_i = [argmax_c p_ic = y_i],
 *   NLL = −(1/n) Σ_i ln p_{i, y_i}   (p clipped below at 1e-12, so a zero costs ln 1e12 ≈ 27.6),
 *
 * the reliability diagram: the confidences cut into `bins` equal-width intervals
 * ((0, 1/B], (1/B, 2/B], …, ((B−1)/B, 1]; a confidence of exactly 0 cannot occur) and in each the
 * mean confidence and the accuracy, and the expected calibration error (Naeini et al., AAAI 2015;
 * Guo et al., ICML 2017)
 *
 *   ECE = Σ_b (n_b / n) |acc_b − conf_b|.
 *
 * A perfectly calibrated classifier has acc_b = conf_b in every bin (ECE 0).
 */

/** One bin of the reliability diagram. */
export interface ReliabilityBin {
  /** The interval (lower, upper] of confidences. */
  lower: number;
  upper: number;
  /** Examples whose confidence falls in the bin. */
  count: number;
  /** Their mean confidence and their accuracy (NaN for an empty bin). */
  confidence: number;
  accuracy: number;
}

/** Accuracy, NLL, ECE and the reliability bins of one set of predictions. */
export interface Calibration {
  n: number;
  accuracy: number;
  nll: number;
  ece: number;
  bins: ReliabilityBin[];
}

/** The floor of p_{i, y_i} in the NLL (see the module doc). */
export const NLL_FLOOR = 1e-12;

/**
 * The calibration of `probabilities` (row-major [n, classes]) against `labels` [n], with `bins`
 * equal-width confidence bins (default 10).
 */
export function calibration(
  probabilities: ArrayLike<number>,
  labels: ArrayLike<number>,
  classes: number,
  bins = 10,
): Calibration {
  const n = labels.length;
  if (n === 0 || probabilities.length !== n * classes) {
    throw new RangeError(
      `calibration: expected ${n} × ${classes} probabilities for ${n} labels (n > 0), got ${probabilities.length}`,
    );
  }
  if (!Number.isInteger(bins) || bins < 1)
    throw new RangeError(`calibration: bins must be a positive integer, got ${bins}`);
  const count = new Array<number>(bins).fill(0);
  const confidenceSum = new Array<number>(bins).fill(0);
  const correctSum = new Array<number>(bins).fill(0);
  let correct = 0;
  let nll = 0;
  for (let i = 0; i < n; i++) {
    const y = labels[i]!;
    if (!Number.isInteger(y) || y < 0 || y >= classes) {
      throw new RangeError(`calibration: label ${i} is ${y}, not a class in 0 … ${classes - 1}`);
    }
    let best = 0;
    for (let c = 1; c < classes; c++)
      if (probabilities[i * classes + c]! > probabilities[i * classes + best]!) best = c;
    const confidence = probabilities[i * classes + best]!;
    const hit = best === y ? 1 : 0;
    const b = Math.min(bins - 1, Math.max(0, Math.ceil(confidence * bins) - 1)); // (b/B, (b+1)/B]
    count[b]! += 1;
    confidenceSum[b]! += confidence;
    correctSum[b]! += hit;
    correct += hit;
    nll -= Math.log(Math.max(NLL_FLOOR, probabilities[i * classes + y]!));
  }
  const reliability: ReliabilityBin[] = count.map((k, b) => ({
    lower: b / bins,
    upper: (b + 1) / bins,
    count: k,
    confidence: k === 0 ? NaN : confidenceSum[b]! / k,
    accuracy: k === 0 ? NaN : correctSum[b]! / k,
  }));
  const ece = reliability.reduce(
    (sum, bin) => (bin.count === 0 ? sum : sum + (bin.count / n) * Math.abs(bin.accuracy - bin.confidence)),
    0,
  );
  return { n, accuracy: correct / n, nll: nll / n, ece, bins: reliability };
}
