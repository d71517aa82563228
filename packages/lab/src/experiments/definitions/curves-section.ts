/**
 * The parts of a report section every issue-14 experiment with curves shares: the accuracy per
 * epoch, averaged over the seeds (the report's own learning curves show one seed), and the
 * generalization gap — training minus validation accuracy — over the epochs every run reached,
 * compared between the variants.
 */
import type { Figure } from '../../report/index.js';
import type { ReportSectionInput } from '../definition.js';
import { commonEpochs, curveFigure, curves, epochValues, metricByEpoch, overEpochs } from './epoch-series.js';
import { allPairs, difference, pairSentence } from './paired-sentences.js';
import type { BySeed } from './seed-values.js';

export const pp = (x: number) => `${x < 0 ? '−' : ''}${(Math.abs(x) * 100).toFixed(2)} pp`;
export const percent = (x: number) => `${(x * 100).toFixed(2)}%`;
const mean = (x: BySeed) => [...x.values()].reduce((a, b) => a + b, 0) / x.size;

/** The accuracy curves (train dashed, validation solid) and what the gaps say. */
export function accuracyCurves(input: ReportSectionInput): { figure: Figure; conclusions: string[] } {
  const names = input.variants.map((v) => v.name);
  const train = epochValues(input, metricByEpoch('train', 'accuracy'));
  const valid = epochValues(input, metricByEpoch('valid', 'accuracy'));
  const seeds = Math.max(...input.variants.map((v) => v.runs.length));
  const figure = curveFigure({
    id: 'accuracy-across-seeds',
    title: 'Accuracy per epoch, mean over the seeds',
    caption: `Validation (solid) and training (dashed, with the regularizers active) accuracy per epoch, mean over ${seeds} seed${seeds === 1 ? '' : 's'}; the band is ± one sd.`,
    yTitle: 'Accuracy',
    variants: names,
    series: [
      { name: 'validation', points: curves(valid) },
      { name: 'training', points: curves(train) },
    ],
    percent: true,
  });
  const k = Math.min(commonEpochs(train), commonEpochs(valid));
  if (k === 0) return { figure, conclusions: [] };
  const trainMean = overEpochs(train, k);
  const validMean = overEpochs(valid, k);
  const gap = new Map(
    names.map((n) => {
      const t = trainMean.get(n)!;
      const v = validMean.get(n)!;
      return [n, new Map([...t].filter(([s]) => v.has(s)).map(([s, x]) => [s, x - v.get(s)!]))];
    }),
  );
  const epochs = k === 1 ? 'epoch 1' : `epochs 1–${k} (those every run reached)`;
  const conclusions = [
    `Generalization gap, training minus validation accuracy averaged over ${epochs}: ` +
      names.map((n) => `“${n}” ${pp(mean(gap.get(n)!))}`).join(', ') +
      ' (mean over the seeds; a smaller gap is less overfitting of the training slice, or more noise in the training score).',
    ...allPairs(names)
      .filter(([, b]) => b === names[0])
      .flatMap(([a, b]) => {
        const d = difference(gap, a, b);
        return d
          ? [pairSentence(a, b, d, { name: 'the gap', format: pp, words: ['wider', 'narrower'] })]
          : [];
      }),
  ];
  return { figure, conclusions };
}
