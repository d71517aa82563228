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
import type { ExperimentDefinition } from '../definition.js';
import { bestVersusRest } from './best-vs-rest.js';
import { accuracyCurves } from './curves-section.js';

const RATE = 0.2;
const L2 = 1e-3;
/** DropBlock's warm-up, in training steps: about 5 epochs of the default preset (13 steps each). */
const WARMUP = 65;

export const conv: ExperimentDefinition = {
  name: 'conv',
  description:
    'small mnist CNN on 400 images: none vs L2 on the filters vs dropout vs spatial dropout vs DropBlock',
  task: 'mnist',
  presets: {
    /**
     * 400 training images (the unregularized CNN overfits them), the first 400 validation and
     * test images, batches of 32, at most 15 epochs, stopping after 4 without a better
     * validation loss: 5 × 3 runs of about a minute and a half of CPU each.
     */
    default: {
      taskPreset: 'default',
      options: {
        model: 'small-cnn',
        hidden: 64,
        trainExamples: 400,
        evalExamples: 400,
        batch: 32,
        epochs: 15,
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
    title: 'Regularizing a small CNN: L2, dropout, spatial dropout, DropBlock on 400 MNIST digits',
    metric: 'accuracy',
    section: (input) => {
      const curves = accuracyCurves(input);
      const said = [...bestVersusRest(input), ...curves.conclusions];
      return {
        id: 'conv',
        title: 'Which regularizer, across the seeds',
        html: said.map((s) => `<p>${escapeHtml(s)}</p>`).join(''),
        conclusions: said,
        figures: [curves.figure],
      };
    },
  },
};
