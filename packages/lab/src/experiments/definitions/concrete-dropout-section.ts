/**
 * The report section of `concrete-dropout`: for each training-set size N,
 *
 *   - the rate concrete dropout learned for each layer (from the runs' probes.jsonl, the
 *     dropout-rates probe): over training (by optimizer step), at the end of training (the
 *     learned value; with how much it still moved over the last quarter of the steps, to show
 *     whether it settled) and at the epoch whose weights the run kept (mean over seeds);
 *   - the best rate of the grid of fixed rates on the same model, chosen by mean validation
 *     accuracy, and the paired test-accuracy difference concrete − that grid variant (is tuning
 *     still needed?);
 *
 * and per layer, the paired difference of the learned rate (end of training) between the smallest
 * and the largest N (the rate should rise as the data shrink: Gal, Hron & Kendall, NeurIPS 2017).
 */
import type { TopLevelSpec } from 'vega-lite';
import { CONFIG, type Figure } from '../../report/index.js';
import { type Cell, tableSectionHtml } from '../../report/section-html.js';
import { mean, pairedDifference, type PairedDifference } from '../../stats/index.js';
import { probeSeries, readProbes } from '../../store/probes-log.js';
import { readJson, runPaths } from '../../store/run-dir.js';
import type { ExperimentSection, ReportSectionInput } from '../definition.js';
import { accuracyBySeed, type BySeed } from './seed-values.js';

/** The variants of one training-set size. */
export interface SizeArms {
  /** Training images. */
  n: number;
  /** The concrete-dropout variant. */
  concrete: string;
  /** The fixed-rate variants: rate → variant name. */
  grid: { rate: number; variant: string }[];
}

/** What the section found for one size. */
export interface SizeResult {
  n: number;
  /** Optimizer steps of the concrete runs (the last epoch × steps per epoch; the first seed's). */
  steps: number;
  /** Layer → learned rate at the end of training, by seed. */
  learned: Map<string, BySeed>;
  /** Layer → rate at the end minus the rate three quarters of the way through, by seed. */
  lastQuarter: Map<string, BySeed>;
  /** Layer → rate at the epoch whose weights the run kept (best validation loss), by seed. */
  kept: Map<string, BySeed>;
  /** Layer → mean rate after each epoch, by optimizer step (step 0: the start). */
  curves: Map<string, { step: number; rate: number }[]>;
  /** The grid rate with the best mean validation accuracy. */
  bestRate: number;
  /** Test accuracy, concrete − best grid variant, paired over the seeds. */
  versusGrid: PairedDifference;
}

const PROBE = 'dropout-rates';

/** Layer → the rate after each epoch of the run in `dir` ('start' as epoch 0). */
function rateSeries(dir: string): Map<string, { epoch: number; rate: number }[]> {
  const rows = readProbes(runPaths(dir).probes).filter((r) => r.probe === PROBE && r.at !== 'batch');
  const layers = [...new Set(rows.flatMap((r) => Object.keys(r.values)))];
  return new Map(
    layers.map((layer) => [
      layer,
      probeSeries(rows, PROBE, layer).map((p) => ({ epoch: p.epoch, rate: p.value })),
    ]),
  );
}

/** Optimizer steps per epoch of the run in `dir`: ⌈training images / batch⌉ (its config.json). */
function stepsPerEpoch(dir: string): number {
  const config = readJson(runPaths(dir).config) as { trainExamples: number; batch: number };
  return Math.ceil(config.trainExamples / config.batch);
}

/** The section's numbers for one size (see the module doc). */
export function sizeResult(input: ReportSectionInput, arms: SizeArms): SizeResult {
  const concrete = input.variants.find((v) => v.name === arms.concrete)!;
  const learned = new Map<string, BySeed>();
  const lastQuarter = new Map<string, BySeed>();
  const kept = new Map<string, BySeed>();
  const perStep = new Map<string, Map<number, number[]>>();
  const put = (m: Map<string, BySeed>, layer: string, seed: number, v: number) => {
    if (!m.has(layer)) m.set(layer, new Map());
    m.get(layer)!.set(seed, v);
  };
  let steps = 0;
  for (const run of concrete.runs) {
    const per = stepsPerEpoch(run.dir);
    // The epoch whose weights the run kept (its best validation loss; summary.json).
    const best = (readJson(runPaths(run.dir).summary) as { bestEpoch?: number }).bestEpoch;
    for (const [layer, series] of rateSeries(run.dir)) {
      const last = series.at(-1)!;
      const quarter = series.find((p) => p.epoch >= 0.75 * last.epoch)!;
      put(learned, layer, run.seed, last.rate);
      put(lastQuarter, layer, run.seed, last.rate - quarter.rate);
      put(kept, layer, run.seed, (series.find((p) => p.epoch === best) ?? last).rate);
      if (!perStep.has(layer)) perStep.set(layer, new Map());
      for (const p of series)
        perStep.get(layer)!.set(p.epoch * per, [...(perStep.get(layer)!.get(p.epoch * per) ?? []), p.rate]);
      if (steps === 0) steps = last.epoch * per;
    }
  }
  const curves = new Map(
    [...perStep].map(([layer, m]) => [
      layer,
      [...m].sort((a, b) => a[0] - b[0]).map(([step, rates]) => ({ step, rate: mean(rates) })),
    ]),
  );
  const valid = accuracyBySeed(input, 'valid');
  const test = accuracyBySeed(input, 'test');
  const meanOf = (m: BySeed) => mean([...m.values()]);
  const best = arms.grid.reduce((a, b) =>
    meanOf(valid.get(b.variant)!) > meanOf(valid.get(a.variant)!) ? b : a,
  );
  return {
    n: arms.n,
    steps,
    learned,
    lastQuarter,
    kept,
    curves,
    bestRate: best.rate,
    versusGrid: pairedDifference(test.get(arms.concrete)!, test.get(best.variant)!),
  };
}

const signed = (x: number, digits: number, scale = 1) =>
  `${x >= 0 ? '+' : '−'}${Math.abs(x * scale).toFixed(digits)}`;
const withInterval = (d: PairedDifference, digits: number, scale = 1, unit = '') =>
  `${signed(d.mean, digits, scale)}${d.halfWidth === null ? '' : ` ± ${(d.halfWidth * scale).toFixed(digits)}`}${unit}`;
const meanRate = (m: BySeed) => mean([...m.values()]);

/** "layer value, layer value" of a map of per-seed values (means; `signedValues`: with a sign). */
function perLayer(m: Map<string, BySeed>, signedValues = false): string {
  return [...m]
    .map(([layer, v]) => `${layer} ${signedValues ? signed(meanRate(v), 3) : meanRate(v).toFixed(3)}`)
    .join(', ');
}

/** The sentences of the section, from its numbers. */
export function concreteConclusions(results: readonly SizeResult[]): string[] {
  const said = results.map((r) => {
    const d = r.versusGrid;
    const verdict =
      d.halfWidth === null
        ? 'one seed: no verdict on whether tuning is still needed'
        : !d.supported
          ? `not distinguishable from the tuned grid with ${d.n} seeds (the interval includes 0)`
          : d.mean < 0
            ? 'worse than the tuned grid: tuning still pays here'
            : 'better than the tuned grid';
    return (
      `N = ${r.n}: learned rates after ${r.steps} steps (mean over ${d.n} seed${d.n === 1 ? '' : 's'}): ${perLayer(r.learned)} ` +
      `(change over the last quarter of the steps: ${perLayer(r.lastQuarter, true)}); at the kept epoch: ${perLayer(r.kept)}; ` +
      `the grid's best fixed rate by validation accuracy: ${r.bestRate}. Concrete dropout's test accuracy differs from it by ` +
      `${withInterval(d, 2, 100, ' pp')} (95% CI): ${verdict}.`
    );
  });
  if (results.length >= 2) {
    const small = results.reduce((a, b) => (b.n < a.n ? b : a));
    const large = results.reduce((a, b) => (b.n > a.n ? b : a));
    for (const [layer, rates] of small.learned) {
      const other = large.learned.get(layer);
      if (other === undefined) continue;
      const d = pairedDifference(rates, other);
      const how =
        d.halfWidth === null
          ? 'one seed: no verdict'
          : d.supported
            ? d.mean > 0
              ? 'it rises as the data shrink, as the paper predicts'
              : 'it falls as the data shrink, against the paper'
            : 'the seeds cannot tell the two apart';
      said.push(
        `${layer}: learned rate ${meanRate(rates).toFixed(3)} with ${small.n} images vs ${meanRate(other).toFixed(3)} with ${large.n} ` +
          `(end of training; difference ${withInterval(d, 3)}, 95% CI): ${how}.`,
      );
    }
  }
  return said;
}

/** The learned rate per layer over the optimizer steps (mean over seeds), one dash per N, the grid's best as rules. */
function ratesFigure(results: readonly SizeResult[]): Figure {
  const values = results.flatMap((r) =>
    [...r.curves].flatMap(([layer, curve]) => curve.map((p) => ({ layer, size: `N = ${r.n}`, ...p }))),
  );
  const rules = results.map((r) => ({ size: `N = ${r.n}`, rate: r.bestRate }));
  const sizes = results.map((r) => `N = ${r.n}`);
  const dash = {
    field: 'size',
    type: 'nominal',
    title: 'Training images',
    scale: { domain: sizes },
  } as const;
  return {
    id: 'concrete-rates',
    title: 'Learned dropout rate per layer over training (mean over seeds)',
    caption:
      "Each concrete-dropout layer's rate after each epoch, placed at its optimizer step (step 0: the initial 0.1), one colour per layer and one dash per training-set size; grey rules: the best fixed rate of the grid at each size.",
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      width: 560,
      height: 300,
      config: CONFIG,
      layer: [
        {
          data: { values },
          mark: { type: 'line', point: true, strokeWidth: 2 },
          encoding: {
            x: { field: 'step', type: 'quantitative', title: 'Optimizer step' },
            y: { field: 'rate', type: 'quantitative', title: 'Drop rate p' },
            color: { field: 'layer', type: 'nominal', title: 'Layer' },
            strokeDash: dash,
          },
        },
        {
          data: { values: rules },
          mark: { type: 'rule', color: '#888' },
          encoding: { y: { field: 'rate', type: 'quantitative' }, strokeDash: dash },
        },
      ],
    } as TopLevelSpec,
  };
}

/** The section (see the module doc); `sizes` lists each training-set size's variants. */
export async function concreteDropoutSection(
  input: ReportSectionInput,
  sizes: readonly SizeArms[],
): Promise<ExperimentSection> {
  const results = sizes.map((arms) => sizeResult(input, arms));
  const said = concreteConclusions(results);
  const rows = results.flatMap((r) =>
    [...r.learned.keys()].map((layer): Cell[] => [
      r.n,
      layer,
      meanRate(r.learned.get(layer)!).toFixed(3),
      signed(meanRate(r.lastQuarter.get(layer)!), 3),
      meanRate(r.kept.get(layer)!).toFixed(3),
      r.bestRate,
      withInterval(r.versusGrid, 2, 100, ' pp'),
    ]),
  );
  const html = tableSectionHtml(
    `The learned rate of each concrete-dropout layer at the end of training and how much it still moved over the last ` +
      `quarter of the steps, the rate at the epoch whose weights the run kept, the grid's best fixed rate (by mean ` +
      `validation accuracy) and the test-accuracy difference concrete − that rate (paired over seeds). Means over seeds.`,
    {
      columns: [
        { title: 'training images', num: true },
        'layer',
        { title: 'learned rate, end', num: true },
        { title: 'change, last quarter', num: true },
        { title: 'rate at the kept epoch', num: true },
        { title: 'best grid rate', num: true },
        { title: 'test accuracy, concrete − best grid (95% CI)', num: true },
      ],
      rows,
    },
    said,
  );
  return {
    id: 'concrete-dropout',
    title: 'Learned rates against a tuned grid',
    html,
    figures: [ratesFigure(results)],
    conclusions: said,
  };
}
