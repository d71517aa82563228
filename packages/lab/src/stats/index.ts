/**
 * Statistics for experiments repeated over a few seeds: Student's t distribution, the mean ± sd
 * and confidence interval of a sample, and the paired comparison of two variants.
 */
export { lnGamma, regularizedIncompleteBeta } from './special.js';
export { studentTCdf, studentTQuantile } from './student-t.js';
export { describeSample, mean, sampleSd, type SampleStats } from './describe.js';
export { pairedDifference, type PairedDifference } from './paired.js';
