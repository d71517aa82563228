/**
 * The report section of `rnn-dropout-placement`: each variant's test BPC per seed (a figure), and
 * the folklore's claims about recurrent dropout checked against paired differences over the
 * seeds (stats/paired.ts; "supported" = the 95% interval excludes 0):
 *
 * - "a new mask every step on h_{t−1} breaks temporal consistency" → naive worse than gal;
 * - "use dropout on the non-recurrent connections only, or the same mask at every step" →
 *   zaremba and gal each better than naive;
 * - every placement against none, and which placement is best by mean test BPC.
 *
 * Lower BPC is better, so a difference a − b > 0 means a is worse.
 */
import type { TopLevelSpec } from 'vega-lite';
import { pairedDifference, type PairedDifference } from '../../stats/index.js';
import { escapeHtml } from '../../report/html.js';
import type { ExperimentSection, ReportSectionInput } from '../definition.js';
import { type BySeed, metricBySeed } from './seed-values.js';

/** One claim of the folklore: `worse` should have a higher test BPC than `better`. */
export interface PlacementClaim {
  claim: string;
  worse: string;
  better: string;
}

export const CLAIMS: readonly PlacementClaim[] = [
  { claim: 'a new recurrent mask every step is worse than one per sequence', worse: 'naive', better: 'gal' },
  {
    claim: 'dropout on the non-recurrent connections only beats per-step recurrent dropout',
    worse: 'naive',
    better: 'zaremba',
  },
];

/** What a claim's paired difference says. */
export type Verdict = 'holds' | 'contradicted' | 'not separable' | 'one seed';

/** The verdict of `d` = BPC(worse) − BPC(better) for a claim that it is positive. */
export function verdictOf(d: PairedDifference): Verdict {
  if (d.halfWidth === null) return 'one seed';
  if (!d.supported) return 'not separable';
  return d.mean > 0 ? 'holds' : 'contradicted';
}

const bpc = (x: number) => x.toFixed(3);
const signed = (d: PairedDifference) =>
  `${d.mean >= 0 ? '+' : '−'}${bpc(Math.abs(d.mean))}${d.halfWidth === null ? '' : ` ± ${bpc(d.halfWidth)}`}`;
const mean = (x: BySeed) => [...x.values()].reduce((p, q) => p + q, 0) / x.size;
const q = (name: string) => `“${name}”`;

/** The sentence for one claim. */
function claimSentence(c: PlacementClaim, d: PairedDifference): string {
  const diff = `BPC(${c.worse}) − BPC(${c.better}) = ${signed(d)} on test (paired over ${d.n} seed${d.n === 1 ? '' : 's'}${d.pValue === null ? '' : `, p = ${d.pValue.toPrecision(2)}`})`;
  return {
    holds: `Folklore “${c.claim}”: holds here — ${diff}.`,
    contradicted: `Folklore “${c.claim}”: wrong here — ${q(c.worse)} is better, ${diff}.`,
    'not separable': `Folklore “${c.claim}”: not separable with ${d.n} seeds — ${diff} includes 0.`,
    'one seed': `Folklore “${c.claim}”: ${diff} with one seed; an interval needs ≥ 2 seeds.`,
  }[verdictOf(d)];
}

/** Test BPC per seed and variant, with each variant's mean (points and a tick). */
function figureSpec(test: Map<string, BySeed>, order: string[]): TopLevelSpec {
  const values = order.flatMap((name) =>
    [...test.get(name)!].map(([seed, v]) => ({ variant: name, seed, bpc: v })),
  );
  const y = {
    field: 'bpc',
    type: 'quantitative',
    title: 'test BPC (lower is better)',
    scale: { zero: false },
  } as const;
  const x = { field: 'variant', type: 'nominal', sort: order, title: null } as const;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    width: 420,
    height: 240,
    data: { values },
    layer: [
      {
        mark: { type: 'point', filled: true, size: 60, opacity: 0.7 },
        encoding: { x, y, color: { field: 'seed', type: 'nominal' } },
      },
      {
        mark: { type: 'tick', thickness: 2, size: 28, color: '#222' },
        encoding: { x, y: { ...y, aggregate: 'mean' } },
      },
    ],
  };
}

/** The section (see the module doc). */
export function placementSection(input: ReportSectionInput): ExperimentSection {
  const test = metricBySeed(input, 'bpc', 'test');
  const measured = input.variants.filter((v) => test.get(v.name)!.size > 0);
  const said: string[] = [];
  if (measured.length > 0) {
    const ranked = [...measured].sort((a, b) => mean(test.get(a.name)!) - mean(test.get(b.name)!));
    said.push(
      `Ranking by mean test BPC: ${ranked.map((v) => `${q(v.name)} ${bpc(mean(test.get(v.name)!))}`).join(', ')}.`,
    );
  }
  const has = (name: string) => (test.get(name)?.size ?? 0) > 0;
  for (const c of CLAIMS) {
    if (has(c.worse) && has(c.better)) {
      said.push(claimSentence(c, pairedDifference(test.get(c.worse)!, test.get(c.better)!)));
    }
  }
  const order = measured.map((v) => v.name);
  const html = said.map((s) => `<p>${escapeHtml(s)}</p>`).join('');
  const figures =
    order.length > 0
      ? [
          {
            id: 'placement-test-bpc',
            title: 'Test BPC per seed',
            caption: "Test BPC at each run's best validation epoch: one point per seed, the bar is the mean.",
            spec: figureSpec(test, order),
          },
        ]
      : [];
  return { id: 'placement', title: 'The folklore, checked', html, figures, conclusions: said };
}
