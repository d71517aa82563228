/**
 * `regulab run mc-dropout` (issue 16): what Monte Carlo dropout (Gal & Ghahramani, ICML 2016)
 * gives a trained classifier. The mnist MLP (784 → 256 relu → dropout 0.5 → 10) and the small CNN
 * (2 × conv 3×3 + max-pool → dropout 0.5 → 256 relu → 10), trained as usual on a slice of the
 * digits; then the report's section (./mc-dropout-section.ts) scores each run's best weights with
 * rl.inference.mcPredict against the deterministic net: accuracy, NLL, calibration (ECE and a
 * reliability diagram), out-of-distribution detection (rotated digits, noise) and quality
 * against the number of samples.
 */
import type { ExperimentDefinition } from '../definition.js';
import { mcDropoutSection } from './mc-dropout-section.js';

const DROPOUT = 0.5;

export const mcDropout: ExperimentDefinition = {
  name: 'mc-dropout',
  description:
    'mnist MLP and CNN with dropout: MC mean vs deterministic (NLL, calibration, OOD AUROC, samples)',
  task: 'mnist',
  presets: {
    /**
     * 2000 training images, the first 1000 validation and test images, batches of 32, at most 15
     * epochs (patience 3); the section draws 1 … 32 samples.
     */
    default: {
      taskPreset: 'default',
      options: { hidden: 256, trainExamples: 2000, evalExamples: 1000, batch: 32, epochs: 15, patience: 3 },
    },
    quick: { taskPreset: 'quick', options: {} },
  },
  variants: [
    { name: 'mlp', label: `MLP, dropout ${DROPOUT} after the hidden layer`, options: { dropout: DROPOUT } },
    {
      name: 'cnn',
      label: `CNN (2 × conv 3×3 + max-pool), dropout ${DROPOUT} before the dense layer`,
      options: { model: 'cnn', dropout: DROPOUT },
    },
  ],
  baseline: 'mlp',
  seeds: 3,
  report: {
    title: 'Monte Carlo dropout on MNIST: calibration, out-of-distribution detection, samples',
    metric: 'accuracy',
    section: (input) => mcDropoutSection(input, { samples: [1, 2, 4, 8, 16, 32], bins: 10, seed: 1 }),
  },
};
