/**
 * The report section of a sweep of one regularizer's rate over training-set sizes (issue 14,
 * experiment 7: the dropout rate). Per size, from each run's metrics at its best validation epoch:
 *
 *   optimum      the rate with the highest mean validation accuracy;
 *   plateau      the rates the seeds cannot separate from it (paired 95% interval of the
 *                difference in validation accuracy includes 0);
 *   underfitting the lowest rate above the optimum whose validation accuracy is below the
 *                optimum's with an interval excluding 0 (regularized past its best);
 *   epochs       to reach a target validation loss T = the highest of the rate-0 runs' best
 *                validation losses (a loss every unregularized run reaches): the first epoch
 *                with loss ≤ T, per run; runs that never reach it are counted, not averaged.
 *
 * The optimum moves with the size when each size's optimum lies outside the other size's
 * plateau; when each lies inside the other's, the seeds cannot tell.
 */
import { pairedDifference } from '../../stats/index.js';
import type { RunData } from '../../report/index.js';
import { tableSectionHtml } from '../../report/section-html.js';
import { seriesFigure } from '../../report/series-figure.js';
import type { ExperimentSection, ReportSectionInput } from '../definition.js';
import { percent, percentWithInterval, ppWithInterval, seedCount, withInterval } from './format.js';
import { type BySeed, atBestEpoch, describeSeeds, runValuesBySeed, valuesBySeed } from './seed-values.js';

/** A rate × training-set-size sweep: its rates (the first is 0), its sizes, and its variant names. */
export interface RateSweep {
  rates: readonly number[];
  sizes: readonly number[];
  name: (size: number, rate: number) => string;
}

/** What the section found for one training-set size. */
export interface SizeResult {
  size: number;
  /** The rates with runs, ascending. */
  rates: number[];
  optimum: number;
  plateau: number[];
  /** null: no rate above the optimum is separable from it. */
  underfitting: number | null;
  /** The target validation loss, or null without rate-0 runs. */
  target: number | null;
  /** Per rate: the epochs to the target of the runs that reached it, and how many did not. */
  epochs: Map<number, { reached: BySeed; missed: number }>;
}

const mean = (x: BySeed) => [...x.values()].reduce((p, q) => p + q, 0) / x.size;
const rateList = (rates: number[]) => (rates.length === 0 ? 'none' : rates.join(', '));

/** The first epoch whose validation loss is ≤ target, or null. */
function epochReaching(run: RunData, target: number): number | null {
  const valid = run.rows.filter((r) => r.split === 'valid').sort((a, b) => a.epoch - b.epoch);
  return valid.find((r) => r.loss! <= target)?.epoch ?? null;
}

/** The numbers of one size (see the module doc). */
export function sizeResult(input: ReportSectionInput, sweep: RateSweep, size: number): SizeResult | null {
  const ofSize = {
    ...input,
    variants: input.variants.filter((v) => sweep.rates.some((r) => sweep.name(size, r) === v.name)),
  };
  const valid = runValuesBySeed(ofSize, (run) => atBestEpoch(run, 'valid', 'accuracy'));
  const bestLoss = runValuesBySeed(ofSize, (run) => atBestEpoch(run, 'valid', 'loss'));
  const rates = sweep.rates.filter((r) => (valid.get(sweep.name(size, r))?.size ?? 0) > 0);
  if (rates.length === 0) return null;
  const acc = (r: number) => valid.get(sweep.name(size, r))!;
  const optimum = rates.reduce((a, b) => (mean(acc(b)) > mean(acc(a)) ? b : a));
  const separated = (r: number) => {
    const d = pairedDifference(acc(r), acc(optimum));
    return d.supported ? d : null;
  };
  const plateau = rates.filter((r) => r === optimum || separated(r) === null);
  const underfitting = rates.find((r) => r > optimum && (separated(r)?.mean ?? 0) < 0) ?? null;
  const zero = bestLoss.get(sweep.name(size, 0));
  const target = zero !== undefined && zero.size > 0 ? Math.max(...zero.values()) : null;
  const epochs = new Map<number, { reached: BySeed; missed: number }>();
  if (target !== null) {
    for (const r of rates) {
      const runs = ofSize.variants.find((v) => v.name === sweep.name(size, r))!.runs;
      const at = valuesBySeed(runs, (run) => epochReaching(run, target));
      epochs.set(r, { reached: at, missed: runs.length - at.size });
    }
  }
  return { size, rates, optimum, plateau, underfitting, target, epochs };
}

/** The section (see the module doc). */
export function rateSweepSection(input: ReportSectionInput, sweep: RateSweep): ExperimentSection {
  const valid = runValuesBySeed(input, (run) => atBestEpoch(run, 'valid', 'accuracy'));
  const train = runValuesBySeed(input, (run) => atBestEpoch(run, 'train', 'accuracy'));
  const results = sweep.sizes.map((size) => sizeResult(input, sweep, size)).filter((r) => r !== null);
  const acc = (size: number, rate: number) => valid.get(sweep.name(size, rate))!;
  const seeds = Math.max(0, ...[...valid.values()].map((v) => v.size));
  const said: string[] = [];

  for (const r of results) {
    const top = describeSeeds(acc(r.size, r.optimum))!;
    said.push(
      `With ${r.size} training images the highest mean validation accuracy is at rate ${r.optimum} (${percentWithInterval(top)}, 95% CI)` +
        (seeds < 2
          ? `; with one seed the seeds cannot say which rates are as good: run with --seeds 3.`
          : r.plateau.length > 1
            ? `; the seeds cannot separate rates ${rateList(r.plateau.filter((x) => x !== r.optimum))} from it (paired 95% intervals include 0).`
            : `; the seeds separate every other rate from it.`),
    );
  }
  if (results.length === 2 && seeds >= 2) {
    const [a, b] = results as [SizeResult, SizeResult];
    const inA = a.plateau.includes(b.optimum);
    const inB = b.plateau.includes(a.optimum);
    said.push(
      a.optimum === b.optimum
        ? `The optimum does not move: rate ${a.optimum} with both ${a.size} and ${b.size} images.`
        : `The optimum is at ${a.optimum} with ${a.size} images and at ${b.optimum} with ${b.size}: ` +
            (inA && inB
              ? `each lies among the rates the seeds cannot separate from the other's optimum, so the seeds cannot tell whether it moves.`
              : !inA && !inB
                ? `each lies outside the rates the seeds cannot separate from the other's optimum, so it moves with the training-set size.`
                : `the seeds separate the two on one size only (${inA ? b.size : a.size} images), weak evidence that it moves.`),
    );
  }
  for (const r of results) {
    if (r.target === null) continue;
    const all = r.rates.filter((x) => r.epochs.get(x)!.missed === 0);
    const never = r.rates.filter((x) => r.epochs.get(x)!.reached.size === 0);
    const some = r.rates.filter((x) => !all.includes(x) && !never.includes(x));
    const e = (x: number) => mean(r.epochs.get(x)!.reached).toFixed(1);
    said.push(
      `With ${r.size} images, epochs to reach validation loss ${r.target.toFixed(3)} (the highest best loss of the rate-0 runs), mean over seeds: ` +
        all.map((x) => `rate ${x}: ${e(x)}`).join(', ') +
        (some.length > 0
          ? `; reached by some seeds only: ${some.map((x) => `rate ${x} (${r.epochs.get(x)!.reached.size} of ${seedCount(r.epochs.get(x)!.reached.size + r.epochs.get(x)!.missed)})`).join(', ')}`
          : '') +
        (never.length > 0 ? `; never reached in the epochs run: rates ${rateList(never)}` : '') +
        '.',
    );
  }
  for (const r of results) {
    if (seeds < 2) continue;
    if (r.underfitting === null) {
      said.push(
        `With ${r.size} images no rate above the optimum (${r.optimum}) has a validation accuracy the seeds separate from the optimum's: no underfitting they can see up to rate ${Math.max(...r.rates)}.`,
      );
    } else {
      const u = r.underfitting;
      const d = pairedDifference(acc(r.size, u), acc(r.size, r.optimum));
      const t = train.get(sweep.name(r.size, u));
      said.push(
        `With ${r.size} images underfitting starts at rate ${u}: the lowest rate above the optimum whose validation accuracy the seeds separate from the optimum's (${ppWithInterval(d)}, 95% CI)` +
          (t && t.size > 0
            ? `; its training accuracy at the best epoch (masks on) is ${percent(mean(t))}.`
            : '.'),
      );
    }
  }

  const sizeName = (size: number) => `${size} images`;
  const points = (f: (r: SizeResult, rate: number) => BySeed | null) =>
    results.flatMap((r) =>
      r.rates.flatMap((rate) => {
        const values = f(r, rate);
        const s = values && describeSeeds(values);
        return s
          ? [
              {
                series: sizeName(r.size),
                x: rate,
                y: s.mean,
                ...(s.halfWidth === null ? {} : { lo: s.mean - s.halfWidth, hi: s.mean + s.halfWidth }),
              },
            ]
          : [];
      }),
    );
  const figures = [
    seriesFigure({
      id: 'rate-valid-accuracy',
      title: 'Validation accuracy against the dropout rate',
      caption:
        'Validation accuracy at the best validation epoch, mean over seeds with its 95% interval, one line per training-set size.',
      points: points((r, rate) => acc(r.size, rate)),
      xTitle: 'dropout rate',
      yTitle: 'validation accuracy',
      seriesTitle: 'training set',
      yFormat: '.1%',
    }),
    seriesFigure({
      id: 'rate-epochs-to-target',
      title: 'Epochs to reach the target validation loss',
      caption:
        'Epochs until the validation loss first reaches the highest best loss of the rate-0 runs (mean and 95% interval over the seeds that reached it; rates no seed reached are left out).',
      points: points((r, rate) => {
        const e = r.epochs.get(rate);
        return e && e.reached.size > 0 ? e.reached : null;
      }),
      xTitle: 'dropout rate',
      yTitle: 'epochs',
      seriesTitle: 'training set',
    }),
  ];

  const columns = [
    'rate',
    ...results.flatMap((r) => [
      { title: `${r.size} images: valid accuracy`, num: true },
      { title: 'epochs to target', num: true },
    ]),
  ];
  const rows = sweep.rates.map((rate) => [
    rate,
    ...results.flatMap((r) => {
      const v = valid.get(sweep.name(r.size, rate));
      const s = v && describeSeeds(v);
      const e = r.epochs.get(rate);
      const es = e && describeSeeds(e.reached);
      const mark = rate === r.optimum ? ' (optimum)' : rate === r.underfitting ? ' (underfits)' : '';
      return [
        s ? percentWithInterval(s) + mark : '—',
        es ? withInterval(es, 1) + (e!.missed > 0 ? ` (${e!.missed} never)` : '') : e ? 'never' : '—',
      ];
    }),
  ]);
  const html = tableSectionHtml(
    `Each rate at each training-set size: validation accuracy at the best validation epoch and the epochs to the target ` +
      `validation loss, mean ± 95% interval over the seeds.`,
    { columns, rows },
    said,
  );
  return { id: 'rate-sweep', title: 'The rate', html, conclusions: said, figures };
}
