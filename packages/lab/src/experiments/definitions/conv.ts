/**
 * `regulab run conv` (issue 14, experiment 8): which regularizer helps a small CNN? The mnist
 * `small-cnn` (../model-specs.ts: 14×14 input, conv 8 → conv 16, each followed by a dropout, a
 * spatial-dropout and a DropBlock layer at rate 0) trained on a training slice small enough to
 * overfit, five times: without regularization; with an L2 penalty on the convolution filters
 * only; with element-wise dropout after each convolution; with spatial dropout (whole feature
 * maps, Tompson et al., CVPR 2015); with DropBlock (Ghiasi et al., NeurIPS 2018: 3×3 blocks on
 * the 12×12 maps, 2×2 on the 4×4 ones, the rate rising linearly over the first WARMUP steps).
 * The three dropouts drop the same expected share of the maps, RATE. The report's own section
 * draws the accuracy per epoch over the seeds, compares the best variant with every other, and
 * compares the generalization gaps (./curves-section.ts, ./best-vs-rest.ts).
 *
 * Speed: tfjs's CPU convolutions are slow (about 0.3 s of CPU for one training step of this
 * model on 32 images; the 28×28 `cnn` takes 1.6 s), hence the 14×14 input and the small slice.
 */
import { escapeHtml } from '../../report/html.js';
import { readRun } from '../../report/index.js';
import type { ExperimentDefinition, ReportSectionInput } from '../definition.js';
import { bestVersusRest } from './best-vs-rest.js';
import { accuracyCurves } from './curves-section.js';
import { commonEpochs, epochValues, metricByEpoch, overEpochs } from './epoch-series.js';

const RATE = 0.2;
const L2 = 1e-3;
/** DropBlock's warm-up, in training steps: 5 epochs of the default preset (10 steps each). */
const WARMUP = 50;

/** What a training step cost in these runs: seconds per epoch over the epoch's batches. */
function stepCost(input: ReportSectionInput): string {
  const seconds = epochValues(input, metricByEpoch('train', 'seconds'));
  const k = commonEpochs(seconds);
  const runs = input.variants.flatMap((v) => v.runs);
  if (k === 0 || runs.length === 0) return 'No training times were logged.';
  const config = readRun(runs[0]!.dir).config as { trainExamples?: number; batch?: number };
  const steps = Math.ceil((config.trainExamples ?? NaN) / (config.batch ?? NaN));
  const perRun = [...overEpochs(seconds, k).values()].flatMap((m) => [...m.values()]);
  const epoch = perRun.reduce((a, b) => a + b, 0) / perRun.length;
  return (
    `A training epoch took ${epoch.toFixed(2)} s on average (epochs 1–${k}, all runs, wall time on a possibly shared machine)` +
    (Number.isFinite(steps) ? `, ${(epoch / steps).toFixed(3)} s for each of its ${steps} steps.` : '.')
  );
}

export const conv: ExperimentDefinition = {
  name: 'conv',
  description:
    'small mnist CNN on 300 images: none vs L2 on the filters vs dropout vs spatial dropout vs DropBlock',
  task: 'mnist',
  presets: {
    /**
     * 300 training images (with Adam at lr 0.005 the unregularized CNN fits 96% of them by
     * epoch 10 while its validation loss turns up after about epoch 6), the first 300
     * validation and test images, batches of 32, at most 12 epochs, stopping after 4 without a
     * better validation loss: 5 × 3 runs of under a minute of CPU each.
     */
    default: {
      taskPreset: 'default',
      options: {
        model: 'small-cnn',
        hidden: 64,
        trainExamples: 300,
        evalExamples: 300,
        batch: 32,
        lr: 0.005,
        epochs: 12,
        patience: 4,
      },
    },
    /** The task's quick preset on 32 training images (15 runs, each a few CNN steps). */
    quick: { taskPreset: 'quick', options: { model: 'small-cnn', trainExamples: 32 } },
  },
  variants: [
    { name: 'none', label: 'no regularization', options: {} },
    {
      name: 'l2',
      label: `L2 penalty λ = ${L2} on the convolution filters`,
      options: {},
      spec: { set: [`conv_*.kernelRegularizer={"className":"L1L2","config":{"l1":0,"l2":${L2}}}`] },
    },
    { name: 'dropout', label: `dropout ${RATE} after each convolution`, options: { dropout: RATE } },
    {
      name: 'spatial',
      label: `spatial dropout ${RATE} (whole feature maps) after each convolution`,
      options: {},
      spec: { set: [`spatial_dropout_*.rate=${RATE}`] },
    },
    {
      name: 'dropblock',
      label: `DropBlock ${RATE} (blocks 3×3, then 2×2; rate warmed up over ${WARMUP} steps) after each convolution`,
      options: {},
      spec: { set: [`drop_block_*.rate=${RATE}`, `drop_block_*.warmupSteps=${WARMUP}`] },
    },
  ],
  baseline: 'none',
  seeds: 3,
  report: {
    title: 'Regularizing a small CNN: L2, dropout, spatial dropout, DropBlock on 300 MNIST digits',
    metric: 'accuracy',
    section: (input) => {
      const curves = accuracyCurves(input);
      const said = [...bestVersusRest(input), ...curves.conclusions, stepCost(input)];
      return {
        id: 'conv',
        title: 'Which regularizer, across the seeds',
        html:
          `<p>The CNN is small (14×14 input, 8 and 16 filters) and its training slice is small because ` +
          `tfjs's CPU convolutions are slow; the slice is small enough for the unregularized model to overfit.</p>` +
          said.map((s) => `<p>${escapeHtml(s)}</p>`).join(''),
        conclusions: said,
        figures: [curves.figure],
      };
    },
  },
};
