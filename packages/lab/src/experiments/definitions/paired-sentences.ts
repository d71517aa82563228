/**
 * Sentences comparing two variants on a number measured per seed, from the paired difference
 * a − b over the seeds both ran (stats/paired.ts): the difference with its 95% interval, and
 * either the direction the seeds support or that they cannot separate the two.
 */
import { pairedDifference, type PairedDifference } from '../../stats/index.js';
import type { BySeed } from './seed-values.js';

/** How a compared number is written: `format` a value or a difference's size, and its name. */
export interface Quantity {
  /** e.g. 'gradient noise share', 'seconds per training epoch'. */
  name: string;
  format: (x: number) => string;
  /** The words for a > b and a < b, e.g. ['higher', 'lower'] (default). */
  words?: readonly [string, string];
}

/** a − b over their shared seeds, or null when they share none. */
export function difference(
  values: ReadonlyMap<string, BySeed>,
  a: string,
  b: string,
): PairedDifference | null {
  const x = values.get(a);
  const y = values.get(b);
  if (!x || !y || ![...x.keys()].some((s) => y.has(s))) return null;
  return pairedDifference(x, y);
}

/** “a” vs “b” on the quantity: the paired difference and what the seeds say of it. */
export function pairSentence(a: string, b: string, d: PairedDifference, q: Quantity): string {
  const [more, less] = q.words ?? ['higher', 'lower'];
  const n = `${d.n} seed${d.n === 1 ? '' : 's'}`;
  const size = `${d.mean >= 0 ? '+' : '−'}${q.format(Math.abs(d.mean))}`;
  const head = `“${a}” vs “${b}” on ${q.name}: ${size}`;
  if (d.halfWidth === null) return `${head} with ${n}; an interval needs ≥ 2 seeds.`;
  const interval = `${head} ± ${q.format(d.halfWidth)} (95% CI, paired over ${n})`;
  return d.supported
    ? `${interval}: “${a}” is ${d.mean > 0 ? more : less} — supported by the ${n}.`
    : `${interval} includes 0: the seeds cannot separate these.`;
}

/** Every unordered pair of `names` as [later, earlier]: each variant against those listed before it. */
export function allPairs(names: readonly string[]): [string, string][] {
  return names.flatMap((a, i) => names.slice(i + 1).map((b): [string, string] => [b, a]));
}
