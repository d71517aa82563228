/**
 * How the experiments' own report sections write their numbers: accuracies and differences of
 * accuracy in percent and percentage points, a value with the half-width of its 95% interval
 * ("+1.27 ± 1.15 pp"), and a mean over seeds with its interval.
 */
import type { SampleStats } from '../../stats/index.js';

/** 0.8912 → "89.12%". */
export const percent = (x: number, digits = 2) => `${(x * 100).toFixed(digits)}%`;

/** A difference of two shares in percentage points, unsigned: 0.0127 → "1.27". */
export const pp = (d: number) => `${(Math.abs(d) * 100).toFixed(2)}`;

/** A signed difference in percentage points with a true minus sign: −0.0067 → "−0.67". */
export const signedPp = (d: number) => `${d >= 0 ? '+' : '−'}${pp(d)}`;

/** A difference of shares with its interval: "+1.27 ± 1.15 pp" (no interval with one seed). */
export const ppWithInterval = (d: SampleStats) =>
  `${signedPp(d.mean)}${d.halfWidth === null ? '' : ` ± ${pp(d.halfWidth)}`} pp`;

/** A mean share with its interval: "89.12% ± 0.50%" (the interval's half-width). */
export const percentWithInterval = (s: SampleStats) =>
  `${percent(s.mean)}${s.halfWidth === null ? '' : ` ± ${percent(s.halfWidth)}`}`;

/** A mean of any number with its interval, to `digits` decimals: "0.352 ± 0.012". */
export const withInterval = (s: SampleStats, digits = 3) =>
  `${s.mean.toFixed(digits)}${s.halfWidth === null ? '' : ` ± ${s.halfWidth.toFixed(digits)}`}`;

/** “name”: a variant named in a conclusion (the page sets it in bold). */
export const quoted = (name: string) => `“${name}”`;

/** "3 seeds", "1 seed". */
export const seedCount = (n: number) => `${n} seed${n === 1 ? '' : 's'}`;
