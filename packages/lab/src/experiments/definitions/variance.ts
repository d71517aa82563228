/**
 * `regulab run variance` (issue 14, experiment 1): does dropout raise or lower the variance of a
 * network's activations, where, and why? An MLP and a small CNN on mnist, each trained with and
 * without dropout on a training slice small enough to overfit, with `--probe activations`
 * measuring the variance of every layer's output on a fixed batch of training images in inference
 * and training mode (masks on) at the start, after batches 1, 2, 4, … of epoch 1, and after each
 * epoch. The report's own section (./variance-section.ts) draws one figure per layer with both
 * models over time and says, from the numbers with intervals over seeds, what dropout does to the
 * variance at its own layer (the 1/(1 − p) scaling) and to the features the models learn.
 *
 * Every run trains for the same number of epochs (no early stopping), so the curves line up.
 */
import type { ExperimentDefinition, Options } from '../definition.js';
import { varianceSection } from './variance-section.js';

const RATE = 0.5;
const probe: Options = { probe: ['activations'] };

export const variance: ExperimentDefinition = {
  name: 'variance',
  description: 'mnist MLP and CNN with and without dropout: the variance of every layer over training',
  task: 'mnist',
  presets: {
    /**
     * 500 training images (both models fit them within a few epochs), the first 500 validation
     * and test images, batches of 32, Adam 0.001, 6 epochs: 4 × 3 runs, the CNN's the slow ones
     * (tfjs's CPU convolution: about 1 s of CPU per batch of 32).
     */
    default: {
      taskPreset: 'default',
      options: { trainExamples: 500, evalExamples: 500, batch: 32, epochs: 6, patience: 0 },
    },
    quick: { taskPreset: 'quick', options: { trainExamples: 32 } },
  },
  variants: [
    { name: 'mlp', label: 'MLP 784 → hidden relu → 10, no dropout', options: { ...probe, model: 'mlp' } },
    {
      name: 'mlp-dropout',
      label: `MLP with dropout ${RATE} after the hidden layer`,
      options: { ...probe, model: 'mlp', dropout: RATE },
    },
    {
      name: 'cnn',
      label: 'CNN 2 × (conv 3×3 relu, 8 and 16 filters → max-pool 2×2) → hidden relu → 10, no dropout',
      options: { ...probe, model: 'cnn' },
    },
    {
      name: 'cnn-dropout',
      label: `CNN with dropout ${RATE} on the flattened feature maps`,
      options: { ...probe, model: 'cnn', dropout: RATE },
    },
  ],
  baseline: 'mlp',
  seeds: 3,
  report: {
    title: 'Does dropout raise or lower the variance of activations? MLP and CNN on MNIST digits',
    metric: 'accuracy',
    section: (input) =>
      varianceSection(input, [
        { model: 'MLP', without: 'mlp', with: 'mlp-dropout', rate: RATE },
        { model: 'CNN', without: 'cnn', with: 'cnn-dropout', rate: RATE },
      ]),
  },
};
