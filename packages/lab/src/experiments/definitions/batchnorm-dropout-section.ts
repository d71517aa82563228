/**
 * The `batchnorm-dropout` report section. From the activations probe after the last epoch, per
 * variant with batch norm, paired over seeds (./activation-values.ts):
 *
 *   the variance shift   Δ = Σ_c var_c(BN input, inference) / Σ_c σ²_c
 *
 * (σ² BN's moving variance, learned from training batches, where BN normalizes to variance 1: Δ ≠ 1
 * is the shift BN meets at inference — Li et al., CVPR 2019; ../../probes/activations.ts), and the training-mode over
 * inference-mode variance of BN's input. From the test accuracy at the best validation epoch,
 * paired over seeds: dropout before BN against after BN and against BN alone, BN against none and
 * against dropout alone; and whether adding dropout to BN gains anything the seeds can separate
 * ("does batch norm make dropout unnecessary here?").
 */
import type { TopLevelSpec } from 'vega-lite';
import { type Cell, tableSectionHtml } from '../../report/section-html.js';
import type { Figure } from '../../report/index.js';
import { activationKeys as key, varianceShift } from '../../probes/activation-keys.js';
import { pairedDifference, type PairedDifference } from '../../stats/index.js';
import type { ExperimentSection, ReportSectionInput } from '../definition.js';
import {
  lastEpochBySeed,
  meanText,
  overSeeds,
  pairedRatio,
  type ProbedRun,
  probedRuns,
  ratioText,
  epochsAt,
} from './activation-values.js';
import { overfitSentence } from './overfit.js';
import { CONFIG } from '../../report/index.js';
import { accuracyBySeed } from './seed-values.js';

/** The five variants by role. */
export interface BatchNormDropoutVariants {
  none: string;
  dropout: string;
  bn: string;
  /** Dropout before batch norm. */
  before: string;
  /** Dropout after batch norm. */
  after: string;
}

/** The batch norm layer of a run and the layer that feeds it. */
function batchNormOf(run: ProbedRun): { bn: string; input: string } | null {
  const i = run.layers.findIndex((l) => l.className === 'BatchNormalization');
  return i < 1 ? null : { bn: run.layers[i]!.name, input: run.layers[i - 1]!.name };
}

const pp = (d: PairedDifference) =>
  `${d.mean >= 0 ? '+' : '−'}${Math.abs(d.mean * 100).toFixed(2)}${d.halfWidth === null ? '' : ` ± ${(d.halfWidth * 100).toFixed(2)}`} pp`;
const verdict = (d: PairedDifference) =>
  d.halfWidth === null
    ? 'one seed, no interval'
    : d.supported
      ? 'supported by the seeds'
      : `the ${d.n} seeds cannot separate it from 0`;

export async function batchNormDropoutSection(
  input: ReportSectionInput,
  v: BatchNormDropoutVariants,
): Promise<ExperimentSection> {
  const probed = probedRuns(input);
  const q = (s: string) => `“${s}”`;
  const said: string[] = [];
  const rows: Cell[][] = [];
  const shifts = new Map<string, ReturnType<typeof lastEpochBySeed>>();
  for (const name of [v.bn, v.before, v.after]) {
    const runs = probed.get(name) ?? [];
    const layers = runs[0] && batchNormOf(runs[0]);
    if (!layers) continue;
    const shift = lastEpochBySeed(runs, (x) => varianceShift(x, layers.input, layers.bn));
    shifts.set(name, shift);
    const s = overSeeds(shift);
    const trainOverInference = pairedRatio(
      lastEpochBySeed(runs, (x) => x[key.variance(layers.input, 'train')]!),
      lastEpochBySeed(runs, (x) => x[key.variance(layers.input, 'inference')]!),
    );
    if (s === null) continue;
    const excludesOne = s.halfWidth !== null && Math.abs(s.mean - 1) > s.halfWidth;
    said.push(
      `${q(name)}: batch norm's input (${layers.input}) has ${ratioText(trainOverInference)} the variance in training mode that it has at inference; ` +
        `at inference BN's normalized input has variance Δ = ${meanText(s)} (95% CI over seeds; 1 = no shift): ` +
        (s.halfWidth === null
          ? 'one seed, no interval.'
          : !excludesOne
            ? 'no shift the seeds can detect.'
            : trainOverInference.supported && trainOverInference.ratio > 1
              ? `a variance shift — dropout makes BN's input vary more in training than at inference, and BN divides by the training-time variance.`
              : `BN's moving variance is ${s.mean < 1 ? 'larger' : 'smaller'} than the variance it meets at inference although no dropout feeds it: its moving statistics lag behind the changing weights (momentum 0.99).`),
    );
    rows.push([name, layers.input, ratioText(trainOverInference), meanText(s)]);
  }
  const [shiftBefore, shiftBn] = [shifts.get(v.before), shifts.get(v.bn)];
  if (shiftBefore && shiftBn && shiftBefore.size > 0 && shiftBn.size > 0) {
    const r = pairedRatio(shiftBefore, shiftBn);
    said.push(
      `Dropout before batch norm multiplies Δ by ${ratioText(r)} against batch norm alone` +
        (r.low === null
          ? '.'
          : r.supported
            ? ' (supported by the seeds).'
            : `, which the ${r.n} seeds cannot separate from ×1.`),
    );
  }
  const acc = accuracyBySeed(input, 'test');
  const has = (name: string) => (acc.get(name)?.size ?? 0) > 0;
  const diff = (a: string, b: string) => pairedDifference(acc.get(a)!, acc.get(b)!);
  if ([v.none, v.dropout, v.bn, v.before, v.after].every(has)) {
    const order = diff(v.before, v.after);
    said.push(
      `Test accuracy, dropout before BN (${q(v.before)}) minus dropout after BN (${q(v.after)}): ${pp(order)} (95% CI; ${verdict(order)}); ` +
        `${q(v.before)} minus ${q(v.bn)}: ${pp(diff(v.before, v.bn))}; ${q(v.after)} minus ${q(v.bn)}: ${pp(diff(v.after, v.bn))}.`,
    );
    const bnGain = diff(v.bn, v.none);
    const bnVsDropout = diff(v.bn, v.dropout);
    said.push(
      `Batch norm alone minus no regularization: ${pp(bnGain)} (${verdict(bnGain)}); batch norm alone minus dropout alone: ${pp(bnVsDropout)} (${verdict(bnVsDropout)}).`,
    );
    const mean = (name: string) =>
      [...acc.get(name)!.values()].reduce((a, b) => a + b, 0) / acc.get(name)!.size;
    const best = mean(v.before) >= mean(v.after) ? v.before : v.after;
    const added = diff(best, v.bn);
    said.push(
      `Does batch norm make dropout unnecessary here? Adding dropout to batch norm (the better order, ${q(best)}) changes test accuracy by ${pp(added)}: ` +
        (added.halfWidth === null
          ? 'one seed cannot tell; run with --seeds 3 or more.'
          : !added.supported
            ? `a change the ${added.n} seeds cannot separate from 0 — with batch norm, dropout adds nothing measurable here, so batch norm makes it unnecessary as far as these seeds tell.`
            : added.mean > 0
              ? 'no — dropout still helps on top of batch norm.'
              : 'adding dropout to batch norm hurts here.'),
    );
  }
  const overfit = overfitSentence(input, v.none);
  if (overfit) said.push(overfit);
  const figures = [shiftFigure([v.bn, v.before, v.after], probed)];
  const html = tableSectionHtml(
    `After the last epoch, mean over seeds: the training-mode over inference-mode variance of batch norm's input ` +
      `(paired over seeds), and the variance shift Δ = Σ over channels of var(BN input, inference) / Σ of BN's moving variance.`,
    { columns: ['variant', 'BN input', 'var(train) / var(inference)', 'Δ (95% CI)'], rows },
    said,
  );
  return {
    id: 'variance-shift',
    title: 'The variance shift and test accuracy',
    html,
    figures,
    conclusions: said,
  };
}

/** Δ of `run` over training time. */
function shiftSeries(run: ProbedRun, layers: { bn: string; input: string }) {
  const perEpoch = run.rows.find((r) => r.at === 'epoch')?.batch ?? 1;
  return run.rows
    .filter((r) => r.values[key.movingVariance(layers.bn)] !== undefined)
    .map((r) => ({ epochs: epochsAt(r, perEpoch), value: varianceShift(r.values, layers.input, layers.bn) }));
}

/** Δ over training time for each variant with batch norm (mean over seeds), with a rule at 1. */
function shiftFigure(variants: string[], probed: Map<string, ProbedRun[]>): Figure {
  const values = variants.flatMap((variant) =>
    (probed.get(variant) ?? []).flatMap((run) => {
      const layers = batchNormOf(run);
      return layers === null
        ? []
        : shiftSeries(run, layers).map((p) => ({
            variant,
            seed: run.seed,
            epochs: p.epochs,
            value: p.value,
          }));
    }),
  );
  return {
    id: 'variance-shift',
    title: "Variance shift at batch norm's input",
    caption:
      "Δ = var(BN input at inference) / BN's moving variance (sums over channels), mean over seeds, over training time; 1 (grey) is no shift. " +
      'The moving variance starts at 1 and follows the training batches with momentum 0.99.',
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      width: 640,
      height: 260,
      config: CONFIG,
      title: "Variance shift at batch norm's input",
      layer: [
        {
          data: { values },
          mark: { type: 'line', strokeWidth: 2, point: { size: 18 } },
          encoding: {
            x: { field: 'epochs', type: 'quantitative', title: 'Training time (epochs)' },
            y: {
              field: 'value',
              type: 'quantitative',
              aggregate: 'mean',
              title: 'Δ (mean over seeds)',
              scale: { type: 'log' },
            },
            color: {
              field: 'variant',
              type: 'nominal',
              title: 'Variant',
              scale: { domain: variants },
              legend: { symbolType: 'stroke' },
            },
          },
        },
        {
          data: { values: [{ one: 1 }] },
          mark: { type: 'rule', color: '#999', strokeDash: [2, 2] },
          encoding: { y: { field: 'one', type: 'quantitative' } },
        },
      ],
    } as TopLevelSpec,
  };
}
