/**
 * The report section of a sweep of weight penalties over strengths (issue 14, experiment 5):
 * per penalty and strength, mean over seeds, the test accuracy at the best validation epoch and
 * the share of kernel weights below 1e-3 of their kernel's largest (./sparsity.ts); a histogram
 * of log₁₀(|w| / max|w| of its kernel) at one strength; and the test accuracy after pruning the
 * small weights (./pruning.ts) at each ratio, paired with the same run unpruned.
 *
 * What the seeds support: a difference (from no penalty, or pruned from unpruned) whose paired 95%
 * interval excludes 0; anything else is reported as one the seeds cannot separate.
 */
import { tableSectionHtml } from '../../report/section-html.js';
import { seriesFigure, type SeriesPoint } from '../../report/series-figure.js';
import { pairedDifference } from '../../stats/index.js';
import type { StoredTensor } from '../../store/checkpoint-file.js';
import { runPaths } from '../../store/run-dir.js';
import type { ExperimentSection, ReportSectionInput } from '../definition.js';
import { percent, ppWithInterval, quoted, seedCount } from './format.js';
import { flatMnistLoader, prunedTestAccuracy } from './pruning.js';
import { type BySeed, accuracyBySeed, describeSeeds, keptWeights, weightsBySeed } from './seed-values.js';
import { kernelSparsity } from './sparsity.js';

/** A penalty: its name part, its words and its `--penalty` values at scale s. */
export interface SweptPenalty {
  key: string;
  label: (scale: number) => string;
  penalty: (scale: number) => string[];
}

/** Penalties × strengths, with the section's choices. */
export interface PenaltySweep {
  baseline: string;
  scales: readonly number[];
  penalties: readonly SweptPenalty[];
  name: (key: string, scale: number) => string;
  /** The scale whose weights the histogram shows. */
  histogramScale: number;
  /** Prune |w| < ratio · max|w| of its kernel, for each ratio. */
  pruneRatios: readonly number[];
}

const mean = (x: BySeed) => [...x.values()].reduce((p, q) => p + q, 0) / x.size;
/** Histogram bins of log₁₀(|w| / max): [LOWEST, 0] in steps of BIN; smaller magnitudes go in the first. */
const LOWEST = -5;
const BIN = 0.25;

/** The share of the 2-D weights in each bin of log₁₀(|w| / max|w| of its kernel), bin centres as x. */
export function magnitudeHistogram(
  weights: ReadonlyMap<string, StoredTensor>,
): { x: number; share: number }[] {
  const bins = new Array<number>(Math.round(-LOWEST / BIN)).fill(0);
  let total = 0;
  for (const t of weights.values()) {
    if (t.shape.length !== 2 || t.dtype !== 'float32') continue;
    let largest = 0;
    for (const w of t.data) largest = Math.max(largest, Math.abs(w));
    for (const w of t.data) {
      const log = Math.log10(Math.abs(w) / largest); // −∞ for 0
      bins[Math.min(bins.length - 1, Math.max(0, Math.floor((log - LOWEST) / BIN)))]!++;
    }
    total += t.data.length;
  }
  return bins.map((count, i) => ({ x: LOWEST + (i + 0.5) * BIN, share: total === 0 ? 0 : count / total }));
}

/** The section (see the module doc). */
export async function penaltySweepSection(
  input: ReportSectionInput,
  sweep: PenaltySweep,
): Promise<ExperimentSection> {
  const test = accuracyBySeed(input, 'test');
  const sparse = weightsBySeed(input, (w) => kernelSparsity(w, 1e-3));
  const has = (name: string) => (test.get(name)?.size ?? 0) > 0;
  const data = flatMnistLoader();
  /** Per variant: by ratio (0 first: unpruned), test accuracy by seed. */
  const pruned = new Map<string, BySeed[]>();
  const ratios = [0, ...sweep.pruneRatios];
  for (const v of input.variants) {
    const byRatio = ratios.map(() => new Map<number, number>());
    for (const r of v.runs) {
      const acc = await prunedTestAccuracy(r.dir, ratios, data);
      acc?.forEach((a, k) => byRatio[k]!.set(r.seed, a));
    }
    pruned.set(v.name, byRatio);
  }

  const said: string[] = [];
  const base = test.get(sweep.baseline);
  const seeds = Math.max(0, ...[...test.values()].map((t) => t.size));
  for (const p of sweep.penalties) {
    const scales = sweep.scales.filter((s) => has(sweep.name(p.key, s)));
    if (scales.length === 0 || base === undefined || base.size === 0) continue;
    const at = (s: number) => test.get(sweep.name(p.key, s))!;
    const separated = scales
      .map((s) => ({ s, d: pairedDifference(at(s), base) }))
      .filter((x) => x.d.supported);
    said.push(
      `${p.key}: mean test accuracy at strength ×${scales.join(', ×')}: ${scales.map((s) => percent(mean(at(s)))).join(', ')} ` +
        `(${quoted(sweep.baseline)}: ${percent(mean(base))}); ` +
        (seeds < 2
          ? 'with one seed there are no intervals.'
          : separated.length === 0
            ? `the seeds cannot separate any of them from ${quoted(sweep.baseline)}.`
            : `the seeds separate from ${quoted(sweep.baseline)}: ${separated.map((x) => `×${x.s} ${ppWithInterval(x.d)}`).join(', ')}.`),
    );
  }
  const sparseAt = (key: string, s: number) => sparse.get(sweep.name(key, s));
  for (const s of sweep.scales) {
    const ranked = sweep.penalties
      .filter((p) => (sparseAt(p.key, s)?.size ?? 0) > 0)
      .sort((a, b) => mean(sparseAt(b.key, s)!) - mean(sparseAt(a.key, s)!));
    if (ranked.length < 2) continue;
    const [top, next] = [ranked[0]!, ranked[1]!];
    const d = pairedDifference(sparseAt(top.key, s)!, sparseAt(next.key, s)!);
    said.push(
      `At strength ×${s} the share of kernel weights below 1e-3 of their kernel's largest is ` +
        ranked.map((p) => `${p.key} ${percent(mean(sparseAt(p.key, s)!), 1)}`).join(', ') +
        (d.halfWidth === null
          ? '.'
          : d.supported
            ? `: ${top.key} is the sparsest, by ${(d.mean * 100).toFixed(1)} ± ${(d.halfWidth * 100).toFixed(1)} points over ${next.key} (supported by the ${seedCount(d.n)}).`
            : `: the seeds cannot separate ${top.key} from ${next.key} (${(d.mean * 100).toFixed(1)} ± ${(d.halfWidth * 100).toFixed(1)} points).`),
    );
  }
  sweep.pruneRatios.forEach((ratio, k) => {
    const changes = input.variants
      .filter((v) => (pruned.get(v.name)?.[k + 1]?.size ?? 0) > 0)
      .map((v) => ({
        name: v.name,
        d: pairedDifference(pruned.get(v.name)![k + 1]!, pruned.get(v.name)![0]!),
      }));
    if (changes.length === 0) return;
    const seen = changes.filter((c) => c.d.supported);
    const largest = changes.reduce((a, b) => (Math.abs(b.d.mean) > Math.abs(a.d.mean) ? b : a));
    said.push(
      `Pruning the weights below ${ratio.toExponential(0)} of their kernel's largest (evaluating the pruned best checkpoint on test): ` +
        (seeds < 2
          ? `largest change ${quoted(largest.name)} ${ppWithInterval(largest.d)} (one seed: no intervals).`
          : seen.length === 0
            ? `the seeds see no change in test accuracy for any of the ${changes.length} variants (largest: ${quoted(largest.name)} ${ppWithInterval(largest.d)}).`
            : `the seeds see a change for ${seen.map((c) => `${quoted(c.name)} (${ppWithInterval(c.d)})`).join(', ')}; not for the other ${changes.length - seen.length}.`),
    );
  });

  const seriesOf = (values: Map<string, BySeed>, withBaseline: boolean): SeriesPoint[] =>
    [
      ...sweep.penalties.map((p) => ({ series: p.key, at: (s: number) => values.get(sweep.name(p.key, s)) })),
      ...(withBaseline ? [{ series: 'no penalty', at: () => values.get(sweep.baseline) }] : []),
    ].flatMap(({ series, at }) =>
      sweep.scales.flatMap((s) => {
        const v = at(s);
        const d = v && describeSeeds(v);
        return d
          ? [
              {
                series,
                x: s,
                y: d.mean,
                ...(d.halfWidth === null ? {} : { lo: d.mean - d.halfWidth, hi: d.mean + d.halfWidth }),
              },
            ]
          : [];
      }),
    );
  const histogramOf = [
    sweep.baseline,
    ...sweep.penalties.map((p) => sweep.name(p.key, sweep.histogramScale)),
  ].flatMap((name) => {
    const first = input.variants.find((v) => v.name === name)?.runs[0];
    const weights = first && keptWeights(runPaths(first.dir));
    return weights ? magnitudeHistogram(weights).map((b) => ({ series: name, x: b.x, y: b.share })) : [];
  });
  const figures = [
    seriesFigure({
      id: 'penalty-test-accuracy',
      title: 'Test accuracy against the penalty strength',
      caption: `Test accuracy at the best validation epoch, mean over seeds with its 95% interval; strength ×s is λ₁ = s·base, λ₂ = s·base (elastic: half of each); "no penalty" is drawn flat for reference.`,
      points: seriesOf(test, true),
      xTitle: 'strength (× base λ)',
      yTitle: 'test accuracy',
      seriesTitle: 'penalty',
      logX: true,
      yFormat: '.1%',
    }),
    seriesFigure({
      id: 'penalty-sparsity',
      title: 'Small weights against the penalty strength',
      caption: `Share of the dense kernels' weights below 1e-3 of their kernel's largest, at the best validation epoch, mean over seeds with its 95% interval.`,
      points: seriesOf(sparse, true),
      xTitle: 'strength (× base λ)',
      yTitle: 'share below 1e-3 · max',
      seriesTitle: 'penalty',
      logX: true,
      yFormat: '.0%',
    }),
    seriesFigure({
      id: 'penalty-weight-histogram',
      title: `Weight magnitudes at strength ×${sweep.histogramScale}`,
      caption: `Share of the dense kernels' weights per bin of log₁₀(|w| / max|w| of their kernel), first seed, best validation epoch; the leftmost bin holds everything below 1e${LOWEST}.`,
      points: histogramOf,
      xTitle: 'log₁₀(|w| / max |w|)',
      yTitle: 'share of weights',
      seriesTitle: 'variant',
      yFormat: '.0%',
    }),
  ];

  const columns = [
    'variant',
    { title: 'unpruned', num: true },
    ...sweep.pruneRatios.map((r) => ({ title: `pruned < ${r.toExponential(0)}·max`, num: true })),
  ];
  const cell = (x: BySeed | undefined) => (x && x.size > 0 ? percent(mean(x)) : '—');
  const rows = input.variants.map((v) => [v.name, ...pruned.get(v.name)!.map(cell)]);
  const html =
    `<h3>Pruning the small weights</h3>` +
    tableSectionHtml(
      `Test accuracy of each variant's best checkpoint, mean over seeds, unpruned and with the ` +
        `kernel weights below a fraction of their kernel's largest set to 0.`,
      { columns, rows },
      said,
    );
  return { id: 'penalty-sweep', title: 'Strength, sparsity and pruning', html, conclusions: said, figures };
}
