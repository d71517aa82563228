/**
 * Is training with a regularizer more erratic, and does it cost more? For every variant, from
 * its runs' files: the seconds of each training epoch (metrics.jsonl's train rows) and the
 * spread of the gradient across the minibatches of each epoch (probes.jsonl, `--probe gradients`:
 * the per-weight variance, and the scale-free noise share, ../../probes/gradient-moments.ts),
 * each averaged over the epochs every run reached and compared pair by pair over the seeds.
 */
import { tableSectionHtml } from '../../report/section-html.js';
import type { ExperimentSection, ReportSectionInput } from '../definition.js';
import { accuracyCurves } from './curves-section.js';
import {
  commonEpochs,
  curveFigure,
  curves,
  epochValues,
  type EpochValues,
  metricByEpoch,
  overEpochs,
  probeByEpoch,
} from './epoch-series.js';
import { allPairs, difference, pairSentence, type Quantity } from './paired-sentences.js';

interface Measured {
  key: string;
  values: EpochValues;
  quantity: Quantity;
  /** Compare the variants pair by pair (else only their means are said). */
  pairs: boolean;
}

export function erraticTrainingSection(input: ReportSectionInput): ExperimentSection {
  const names = input.variants.map((v) => v.name);
  const measured: Measured[] = [
    {
      key: 'seconds',
      values: epochValues(input, metricByEpoch('train', 'seconds')),
      quantity: {
        name: 'seconds per training epoch',
        format: (x) => `${x.toFixed(3)} s`,
        words: ['is slower', 'is faster'],
      },
      pairs: true,
    },
    {
      key: 'noiseShare',
      values: epochValues(input, probeByEpoch('gradients', 'noiseShare')),
      quantity: {
        name: 'gradient noise share (the batch-to-batch share of the gradient energy)',
        format: (x) => x.toFixed(3),
        words: ['is more erratic', 'is less erratic'],
      },
      pairs: true,
    },
    {
      key: 'variance',
      values: epochValues(input, probeByEpoch('gradients', 'variance')),
      quantity: {
        name: 'per-weight gradient variance across minibatches',
        format: (x) => x.toExponential(2),
        words: ['has the larger variance', 'has the smaller variance'],
      },
      pairs: true,
    },
    {
      key: 'squaredNorm',
      values: epochValues(input, probeByEpoch('gradients', 'squaredNorm')),
      quantity: { name: 'squared gradient norm of a minibatch', format: (x) => x.toExponential(2) },
      pairs: false,
    },
  ];
  const conclusions: string[] = [];
  const rows = new Map<string, string[]>(names.map((n) => [n, []]));
  for (const m of measured) {
    const k = commonEpochs(m.values);
    if (k === 0) {
      conclusions.push(
        `No ${m.quantity.name} for every run${m.key === 'seconds' ? '' : ' (train with --probe gradients)'}.`,
      );
      for (const n of names) rows.get(n)!.push('—');
      continue;
    }
    const per = overEpochs(m.values, k);
    const means = new Map(
      names.map((n) => [n, [...per.get(n)!.values()].reduce((a, b) => a + b, 0) / per.get(n)!.size]),
    );
    for (const n of names) rows.get(n)!.push(m.quantity.format(means.get(n)!));
    conclusions.push(
      `Mean ${m.quantity.name} over epochs 1–${k} and the seeds: ` +
        names.map((n) => `“${n}” ${m.quantity.format(means.get(n)!)}`).join(', ') +
        '.',
      ...allPairs(names).flatMap(([a, b]) => {
        const d = m.pairs ? difference(per, a, b) : null;
        return d ? [pairSentence(a, b, d, m.quantity)] : [];
      }),
    );
  }
  conclusions.push(
    'The seconds are wall time with other runs training beside them on a shared machine: a difference in them is only as reliable as its interval says.',
  );
  const curves_ = accuracyCurves(input);
  const noise = measured[1]!;
  const noiseFigure = curveFigure({
    id: 'gradient-noise-share',
    title: 'Gradient noise share per epoch',
    caption:
      'Share of the gradient energy that is batch-to-batch fluctuation, Σ_w Σ_k (g_k − ḡ)² / Σ_k ‖g_k‖², per epoch, mean over the seeds (band ± one sd).',
    yTitle: 'Noise share',
    variants: names,
    series: [{ name: 'noise share', points: curves(noise.values) }],
  });
  const columns = [
    'variant',
    'what',
    ...['training epoch', 'gradient noise share', 'gradient variance per weight', '‖g‖² per minibatch'].map(
      (title) => ({ title, num: true }),
    ),
  ];
  const all = [...conclusions, ...curves_.conclusions];
  return {
    id: 'erratic',
    title: 'Cost per epoch and gradient noise',
    html: tableSectionHtml(
      `Means over the epochs every run reached and over the seeds. The gradient variance grows with the ` +
        `gradient's size (dropout's 1/(1 − p) scaling enlarges it); the noise share does not, so it is the ` +
        `measure of erratic training.`,
      { columns, rows: input.variants.map((v) => [v.name, v.label, ...rows.get(v.name)!]) },
      all,
    ),
    conclusions: all,
    figures: [curves_.figure, noiseFigure],
  };
}
