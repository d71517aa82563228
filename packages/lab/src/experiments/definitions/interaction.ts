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
import { escapeHtml } from '../../report/html.js';
import type { ExperimentSection, ReportSectionInput } from '../definition.js';
import { accuracyBySeed, type BySeed } from './seed-values.js';

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

const pp = (d: number) => `${(d * 100).toFixed(2)}`;
const signedPp = (d: number) => `${d >= 0 ? '+' : '−'}${pp(Math.abs(d))}`;
const withInterval = (d: PairedDifference) =>
  `${signedPp(d.mean)}${d.halfWidth === null ? '' : ` ± ${pp(d.halfWidth)}`} pp`;

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

/** The report section of a factorial experiment: the gains, the interaction and the verdict. */
export function interactionSection(input: ReportSectionInput, f: Factorial): ExperimentSection {
  const r = interaction(accuracyBySeed(input, 'test'), f);
  const label = (name: string) => input.variants.find((v) => v.name === name)?.label ?? name;
  const q = (name: string) => `“${name}”`;
  const n = r.interaction.n;
  const said = [
    `Gains in test accuracy over ${q(f.none)} (paired over ${n} seed${n === 1 ? '' : 's'}): ` +
      `${q(f.a)} ${withInterval(r.gains.a)}, ${q(f.b)} ${withInterval(r.gains.b)}, ${q(f.both)} ${withInterval(r.gains.both)}.`,
    r.verdict === 'unknown (one seed)'
      ? `Interaction gain(${f.both}) − gain(${f.a}) − gain(${f.b}) = ${withInterval(r.interaction)} with one seed: run with --seeds 3 (or more) to learn whether ${q(f.a)} and ${q(f.b)} add up.`
      : `Interaction gain(${f.both}) − gain(${f.a}) − gain(${f.b}) = ${withInterval(r.interaction)} (95% CI): ` +
        {
          harmful: `harmful here — ${q(f.both)} is worse than the better of the two alone by ${withInterval(r.overBest)} (too much regularization together for this model and data).`,
          diminishing: `diminishing returns — together ${q(f.a)} and ${q(f.b)} gain less than the sum of their gains (the combination is ${withInterval(r.overBest)} from the better one alone).`,
          additive: `additive as far as ${n} seeds can tell — the interval of the interaction includes 0 (the combination is ${withInterval(r.overBest)} from the better one alone).`,
          'more than additive': `more than additive — together they gain more than the sum of their gains.`,
        }[r.verdict],
  ];
  const row = (name: string, d: PairedDifference | null) =>
    `<tr><td>${escapeHtml(name)}</td><td>${escapeHtml(label(name))}</td><td>${d === null ? '—' : escapeHtml(withInterval(d))}</td></tr>`;
  const html =
    `<table><thead><tr><th>variant</th><th>what</th><th>gain in test accuracy over ${escapeHtml(f.none)} (95% CI)</th></tr></thead><tbody>` +
    row(f.none, null) +
    row(f.a, r.gains.a) +
    row(f.b, r.gains.b) +
    row(f.both, r.gains.both) +
    `</tbody></table>` +
    `<p>Interaction (gain of both − sum of the single gains): ${escapeHtml(withInterval(r.interaction))}; verdict: <strong>${escapeHtml(r.verdict)}</strong>.</p>` +
    said.map((s) => `<p>${escapeHtml(s)}</p>`).join('');
  return { id: 'interaction', title: 'Do they add up?', html, conclusions: said };
}
