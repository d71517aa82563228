/**
 * The `variance` report section: for each model trained without and with dropout (rate p), from
 * the activations probe after the last epoch, paired over seeds (./activation-values.ts):
 *
 * 1. At the dropout layer, training mode: var(after) / var(before). Scaling the kept units by
 *    1/(1 − p) keeps each unit's mean and multiplies its second moment by 1/(1 − p), so
 *
 *        var(after) = var(before) + p/(1 − p) · E[x²]   ⇒   ratio = 1 + p/(1 − p) · E[x²] / var(x),
 *
 *    the prediction printed beside the measurement. At inference the layer is the identity.
 * 2. What training with dropout does to the features the model learns: the inference-mode
 *    variance of the layer before the dropout, of the layer after it and of the logits, with
 *    dropout over without (a ratio with its interval; "the seeds cannot separate" when it includes 1).
 * 3. In the dropout model, the layer after the dropout: training-mode over inference-mode
 *    variance, the mismatch a batch norm placed there would see (`batchnorm-dropout`).
 *
 * One figure per layer with both models over training time (mean over seeds): the layer before
 * the dropout, the dropout, the logits, and each model's other weight layers.
 */
import type { TopLevelSpec } from 'vega-lite';
import { type Cell, tableSectionHtml } from '../../report/section-html.js';
import type { Figure } from '../../report/index.js';
import { activationKeys as key, type ActivationMode } from '../../probes/activation-keys.js';
import type { ExperimentSection, ReportSectionInput } from '../definition.js';
import { variantModeEncoding } from './state-figures.js';
import {
  changeText,
  lastEpochBySeed,
  overSeeds,
  pairedRatio,
  type ProbedRun,
  probedRuns,
  ratioText,
  timeSeries,
} from './activation-values.js';
import { overfitSentence } from './overfit.js';
import { CONFIG } from '../../report/index.js';

/** One model trained without and with dropout: the two variants' names and the rate. */
export interface ModelPair {
  model: string;
  without: string;
  with: string;
  rate: number;
}

const MODES: readonly ActivationMode[] = ['train', 'inference'];
/** Layers drawn besides the ones around the dropout: those with weights. */
const DRAWN = new Set(['Dense', 'Conv2D']);

/** The layer roles of one model: which layer is before the dropout, the dropout, the logits. */
function roles(run: ProbedRun) {
  const d = run.layers.findIndex((l) => l.className === 'RegulabDropout');
  if (d < 1) return null;
  const layers = run.layers;
  return {
    before: layers[d - 1]!.name,
    dropout: layers[d]!.name,
    next: layers[d + 1]?.name,
    logits: layers.at(-1)!.name,
    layers,
    d,
  };
}

export async function varianceSection(
  input: ReportSectionInput,
  pairs: readonly ModelPair[],
): Promise<ExperimentSection> {
  const probed = probedRuns(input);
  const said: string[] = [];
  const rows: Cell[][] = [];
  const figureRoles = new Map<string, { pair: ModelPair; layer: string }[]>();
  const q = (s: string) => `“${s}”`;
  for (const pair of pairs) {
    const [without, withDropout] = [probed.get(pair.without) ?? [], probed.get(pair.with) ?? []];
    const r = withDropout[0] && roles(withDropout[0]);
    if (!r || without.length === 0) {
      said.push(
        `${pair.model}: no activation measurements of ${q(pair.without)} and ${q(pair.with)} to compare.`,
      );
      continue;
    }
    const v = (layer: string, mode: ActivationMode) => (values: Record<string, number>) =>
      values[key.variance(layer, mode)]!;
    const p = pair.rate;
    // 1. The dropout layer in training mode, against the 1/(1 − p) prediction.
    const scaling = pairedRatio(
      lastEpochBySeed(withDropout, v(r.dropout, 'train')),
      lastEpochBySeed(withDropout, v(r.before, 'train')),
    );
    const predicted = overSeeds(
      lastEpochBySeed(
        withDropout,
        (x) => 1 + (p / (1 - p)) * (x[key.square(r.before, 'train')]! / x[key.variance(r.before, 'train')]!),
      ),
    )!;
    const identity = overSeeds(
      lastEpochBySeed(withDropout, (x) => v(r.dropout, 'inference')(x) / v(r.before, 'inference')(x)),
    )!;
    said.push(
      `${pair.model}, at the dropout layer (${r.dropout}, p = ${p}) of ${q(pair.with)}: in training mode dropout ${changeText(scaling, 'the variance of its input')}; the 1/(1 − p) scaling predicts ×${predicted.mean.toFixed(2)} ` +
        `(= 1 + p/(1 − p)·E[x²]/var(x) from the measured moments: scaling the kept units by 1/(1 − p) = ${(1 / (1 - p)).toFixed(2)} keeps their mean ` +
        `but adds p/(1 − p)·E[x²] to their variance). At inference the layer is the identity (×${identity.mean.toFixed(3)}).`,
    );
    // 2. The features learned with dropout, at inference.
    for (const [what, layer] of [
      ['the layer before the dropout', r.before],
      ['the layer after the dropout', r.next],
      ['the logits', r.logits],
    ] as const) {
      if (layer === undefined || (what === 'the layer after the dropout' && layer === r.logits)) continue;
      const ratio = pairedRatio(
        lastEpochBySeed(withDropout, v(layer, 'inference')),
        lastEpochBySeed(without, v(layer, 'inference')),
      );
      said.push(
        `${pair.model}, ${what} (${layer}) at inference: training with dropout ${changeText(ratio, 'its variance')} ` +
          `(${q(pair.with)} over ${q(pair.without)}).`,
      );
    }
    // 3. The train/inference mismatch after the dropout.
    if (r.next !== undefined) {
      const mismatch = pairedRatio(
        lastEpochBySeed(withDropout, v(r.next, 'train')),
        lastEpochBySeed(withDropout, v(r.next, 'inference')),
      );
      said.push(
        `${pair.model}, after the dropout (${r.next}) in ${q(pair.with)}: training mode ${changeText(mismatch, 'its variance')} ` +
          `relative to inference — the shift a batch norm placed there would meet at inference.`,
      );
    }
    const overfit = overfitSentence(input, pair.without);
    if (overfit) said.push(overfit);
    // The table and the figures' layers.
    for (const [i, layer] of r.layers.entries()) {
      const role =
        i === r.d - 1
          ? 'before the dropout'
          : i === r.d
            ? 'after the dropout'
            : layer.name === r.logits
              ? 'the logits'
              : DRAWN.has(layer.className)
                ? `${pair.model} ${layer.name}`
                : null;
      if (role === null) continue;
      figureRoles.set(role, [...(figureRoles.get(role) ?? []), { pair, layer: layer.name }]);
      const cell = (runs: readonly ProbedRun[], mode: ActivationMode) => {
        const s = overSeeds(lastEpochBySeed(runs, v(layer.name, mode)));
        return s === null ? '—' : s.mean.toPrecision(3);
      };
      const ratio = pairedRatio(
        lastEpochBySeed(withDropout, v(layer.name, 'inference')),
        lastEpochBySeed(without, v(layer.name, 'inference')),
      );
      rows.push([
        pair.model,
        `${layer.name} (${role})`,
        cell(without, 'inference'),
        cell(withDropout, 'inference'),
        cell(withDropout, 'train'),
        ratioText(ratio),
      ]);
    }
  }
  said.push(
    'Why, in short: in training mode dropout always adds variance where it acts (the 1/(1 − p) scaling above, measured against its prediction); ' +
      'at inference it adds none, and what remains is how the weights trained with masks differ — units that cannot count on particular ' +
      'partners being present (no co-adaptation, Srivastava et al., JMLR 2014) — which the inference-mode ratios above measure (the mechanism is not).',
  );
  const figures = [...figureRoles].map(([role, members]) => layerFigure(role, members, probed));
  const html = tableSectionHtml(
    `Mean per-unit variance of each layer's output on the probe batch after the last epoch, mean over seeds, and the ratio of ` +
      `the dropout-trained model's inference-mode variance to the other's (paired over seeds, 95% CI).`,
    {
      columns: [
        'model',
        'layer',
        'no dropout (inference)',
        'dropout (inference)',
        'dropout (training mode)',
        'dropout / no dropout (inference)',
      ],
      rows,
    },
    said,
  );
  return {
    id: 'variance',
    title: 'Activation variance with and without dropout',
    html,
    figures,
    conclusions: said,
  };
}

/** One layer role over training time: both models, without and with dropout, both modes. */
function layerFigure(
  role: string,
  members: { pair: ModelPair; layer: string }[],
  probed: Map<string, ProbedRun[]>,
): Figure {
  const values = members.flatMap(({ pair, layer }) =>
    [pair.without, pair.with].flatMap((variant) =>
      (probed.get(variant) ?? []).flatMap((run) =>
        MODES.flatMap((mode) =>
          timeSeries(run, key.variance(layer, mode)).map((pt) => ({
            variant,
            mode,
            seed: run.seed,
            epochs: pt.epochs,
            value: pt.value,
          })),
        ),
      ),
    ),
  );
  const variants = members.flatMap(({ pair }) => [pair.without, pair.with]);
  const layers = [...new Set(members.map((m) => `${m.pair.model} ${m.layer}`))].join(', ');
  const title = `Variance ${/^(the|before|after)/.test(role) ? role : `of ${role}`} (${layers})`;
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: 640,
    height: 260,
    config: CONFIG,
    title,
    data: { values },
    mark: { type: 'line', strokeWidth: 2, point: { size: 18 } },
    encoding: {
      x: { field: 'epochs', type: 'quantitative', title: 'Training time (epochs)' },
      y: {
        field: 'value',
        type: 'quantitative',
        aggregate: 'mean',
        title: 'Variance (mean over units, seeds)',
        scale: { type: 'log' },
      },
      ...variantModeEncoding(variants),
    },
  } as TopLevelSpec;
  return {
    id: `variance-${role.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}`,
    title,
    caption:
      'Mean per-unit variance of the layer output on a fixed batch of training images (log scale), mean over seeds: training mode (masks on, solid) ' +
      'and inference (dashed; without dropout the two coincide); epoch 1 is measured after batches 1, 2, 4, 8, ….',
    spec,
  };
}
