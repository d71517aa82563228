/**
 * Is training with a regularizer more erratic, and does it cost more? For every variant, from
 * its runs' files: the seconds of each training epoch (metrics.jsonl's train rows) and the
 * spread of the gradient across the minibatches of each epoch (probes.jsonl, `--probe gradients`:
 * the per-weight variance, and the scale-free noise share, ../../probes/gradient-moments.ts),
 * each averaged over the epochs every run reached and compared pair by pair over the seeds.
 */
import { escapeHtml } from '../../report/html.js';
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
        words: ['slower', 'faster'],
      },
    },
    {
      key: 'noiseShare',
      values: epochValues(input, probeByEpoch('gradients', 'noiseShare')),
      quantity: {
        name: 'gradient noise share (the batch-to-batch share of the gradient energy)',
        format: (x) => x.toFixed(3),
        words: ['more erratic', 'less erratic'],
      },
    },
    {
      key: 'variance',
      values: epochValues(input, probeByEpoch('gradients', 'variance')),
      quantity: {
        name: 'per-weight gradient variance across minibatches',
        format: (x) => x.toExponential(2),
        words: ['more erratic', 'less erratic'],
      },
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
        const d = difference(per, a, b);
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
  const head = ['variant', 'what', 'training epoch', 'gradient noise share', 'gradient variance per weight'];
  const table =
    `<table><thead><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>` +
    input.variants
      .map(
        (v) =>
          `<tr><td>${escapeHtml(v.name)}</td><td>${escapeHtml(v.label)}</td>` +
          rows
            .get(v.name)!
            .map((c) => `<td class="num">${escapeHtml(c)}</td>`)
            .join('') +
          '</tr>',
      )
      .join('') +
    '</tbody></table>';
  const all = [...conclusions, ...curves_.conclusions];
  return {
    id: 'erratic',
    title: 'Cost per epoch and gradient noise',
    html:
      `<p>Means over the epochs every run reached and over the seeds.</p>${table}` +
      all.map((s) => `<p>${escapeHtml(s)}</p>`).join(''),
    conclusions: all,
    figures: [curves_.figure, noiseFigure],
  };
}
