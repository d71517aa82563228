/**
 * Statistics for experiments repeated over a few seeds: Student's t distribution, the mean ± sd
 * and confidence interval of a sample, the paired comparison of two variants, and the measures of
 * predictive uncertainty: AUROC (out-of-distribution detection) and calibration (NLL, ECE, reliability).
 */
export { lnGamma, regularizedIncompleteBeta } from './special.js';
export { studentTCdf, studentTQuantile } from './student-t.js';
export { describeSample, mean, sampleSd, type SampleStats } from './describe.js';
export { pairedDifference, type PairedDifference } from './paired.js';
export { auroc } from './auroc.js';
export { calibration, NLL_FLOOR, type Calibration, type ReliabilityBin } from './calibration.js';
