/**
 * Do two regularizers add up? The 2 × 2 factorial none / A / B / A + B, measured per seed as gains
 * over none, and the interaction
 *
 *   I = gain(A + B) − gain(A) − gain(B) = (acc(A + B) − acc(A)) − (acc(B) − acc(none)),
 *
 * paired over the seeds all four ran (so the seed's effect on the data order and the initial
 * weights cancels), with its 95% interval (stats/paired.ts). The verdict:
 *
 *   harmful      A + B is worse than the better of A and B alone (paired interval below 0);
 *   diminishing  I < 0 (interval below 0): the combination gains less than the sum of the two gains;
 *   additive     the interval of I includes 0: the seeds cannot tell the combination from the sum;
 *   more than additive  I > 0 (interval above 0).
 */
import { pairedDifference, type PairedDifference } from '../../stats/index.js';
import type { BySeed } from './seed-values.js';

/** The variants of the factorial, by name. */
export interface Factorial {
  none: string;
  a: string;
  b: string;
  both: string;
}

/** What the interaction section found (the numbers of its sentences). */
export interface InteractionResult {
  gains: { a: PairedDifference; b: PairedDifference; both: PairedDifference };
  interaction: PairedDifference;
  /** A + B minus the better single regularizer (by mean test accuracy). */
  overBest: PairedDifference;
  verdict: 'harmful' | 'diminishing' | 'additive' | 'more than additive' | 'unknown (one seed)';
}

/** The interaction of `f`'s regularizers on test accuracy (see the module doc). */
export function interaction(test: Map<string, BySeed>, f: Factorial): InteractionResult {
  const of = (name: string): BySeed => {
    const v = test.get(name);
    if (v === undefined || v.size === 0) throw new Error(`interaction: no test accuracy for '${name}'`);
    return v;
  };
  const [none, a, b, both] = [of(f.none), of(f.a), of(f.b), of(f.both)];
  const sum = (x: BySeed, y: BySeed): BySeed =>
    new Map([...x].filter(([s]) => y.has(s)).map(([s, v]) => [s, v + y.get(s)!]));
  const mean = (x: BySeed) => [...x.values()].reduce((p, q) => p + q, 0) / x.size;
  const better = mean(a) >= mean(b) ? a : b;
  const gains = {
    a: pairedDifference(a, none),
    b: pairedDifference(b, none),
    both: pairedDifference(both, none),
  };
  const I = pairedDifference(sum(both, none), sum(a, b));
  const overBest = pairedDifference(both, better);
  const verdict: InteractionResult['verdict'] =
    I.halfWidth === null
      ? 'unknown (one seed)'
      : overBest.supported && overBest.mean < 0
        ? 'harmful'
        : I.supported
          ? I.mean < 0
            ? 'diminishing'
            : 'more than additive'
          : 'additive';
  return { gains, interaction: I, overBest, verdict };
}
