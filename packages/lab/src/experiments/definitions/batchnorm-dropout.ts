/**
 * `regulab run batchnorm-dropout` (issue 14, experiment 4): does dropout conflict with batch
 * norm? The mnist MLP (784 → 256 relu → 10) on a training slice small enough to overfit, five
 * ways: no regularization, dropout alone, batch norm alone, dropout before batch norm, dropout
 * after batch norm (the built-in specs `mlp`, `mlp-bn`, `mlp-dropout-bn`). Dropout before BN
 * makes the variance BN's input has in training (masks on) larger than at inference, while BN
 * divides by the moving variance it learned in training: the "variance shift" of Li, Chen, Hu &
 * Yang (CVPR 2019). `--probe activations` measures it; the report's own section
 * (./batchnorm-dropout-section.ts) relates it to test accuracy and says whether batch norm makes
 * dropout unnecessary here.
 */
import type { ExperimentDefinition, Options } from '../definition.js';
import { batchNormDropoutSection } from './batchnorm-dropout-section.js';

const RATE = 0.5;
const probe: Options = { probe: ['activations'] };

export const batchNormDropout: ExperimentDefinition = {
  name: 'batchnorm-dropout',
  description: 'mnist MLP on 1000 images: batch norm, dropout, dropout before/after BN; the variance shift',
  task: 'mnist',
  presets: {
    /** As dropout-x-decay's default: 1000 training images, 500 scored, ≤ 20 epochs, patience 5, Adam. */
    default: {
      taskPreset: 'default',
      options: { hidden: 256, trainExamples: 1000, evalExamples: 500, batch: 32, epochs: 20, patience: 5 },
    },
    quick: { taskPreset: 'quick', options: {} },
  },
  variants: [
    { name: 'none', label: 'no regularization', options: { ...probe, model: 'mlp' } },
    {
      name: 'dropout',
      label: `dropout ${RATE} after the hidden layer`,
      options: { ...probe, model: 'mlp', dropout: RATE },
    },
    { name: 'bn', label: 'batch norm after the hidden layer', options: { ...probe, model: 'mlp-bn' } },
    {
      name: 'dropout-bn',
      label: `dropout ${RATE}, then batch norm (dropout before BN)`,
      options: { ...probe, model: 'mlp-dropout-bn', dropout: RATE },
    },
    {
      name: 'bn-dropout',
      label: `batch norm, then dropout ${RATE} (dropout after BN)`,
      options: { ...probe, model: 'mlp-bn', dropout: RATE },
    },
  ],
  baseline: 'none',
  seeds: 3,
  report: {
    title: 'Dropout and batch norm: the variance shift, MLP on 1000 MNIST digits',
    metric: 'accuracy',
    section: (input) =>
      batchNormDropoutSection(input, {
        none: 'none',
        dropout: 'dropout',
        bn: 'bn',
        before: 'dropout-bn',
        after: 'bn-dropout',
      }),
  },
};
