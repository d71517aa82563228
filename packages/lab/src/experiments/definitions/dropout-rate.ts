/**
 * `regulab run dropout-rate` (issue 14, experiment 7): where is the best dropout rate for the
 * mnist MLP (784 → 256 relu → dropout p → 10), does it move with the size of the training set,
 * does dropout need more epochs, and where does it start to underfit? Every rate
 * p ∈ {0, 0.1, …, 0.8} trained on two training slices (500 and 2000 images, both small enough
 * for the unregularized model to overfit), every run for the same number of epochs (no early
 * stopping, the best validation epoch's weights restored), so the epochs each needs to reach a
 * validation loss can be compared. The section (./rate-sweep-section.ts) computes the optimum,
 * what the seeds cannot separate from it, the epochs to a target loss, and where underfitting
 * starts.
 */
import type { ExperimentDefinition, VariantDefinition } from '../definition.js';
import { type RateSweep, rateSweepSection } from './rate-sweep-section.js';

/** The sweep, declared once: it gives the variants and the section's cells. */
export const DROPOUT_RATE_SWEEP: RateSweep = {
  rates: [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8],
  sizes: [500, 2000],
  name: (size, rate) => `n${size}-r${Math.round(rate * 100)}`,
};

const variants: VariantDefinition[] = DROPOUT_RATE_SWEEP.sizes.flatMap((size) =>
  DROPOUT_RATE_SWEEP.rates.map((rate) => ({
    name: DROPOUT_RATE_SWEEP.name(size, rate),
    label: `dropout ${rate} after the hidden layer, ${size} training images`,
    options: { dropout: rate, trainExamples: size },
  })),
);

export const dropoutRate: ExperimentDefinition = {
  name: 'dropout-rate',
  description:
    'mnist MLP on 500 and 2000 images: dropout rates 0 to 0.8; the optimum, epochs to a loss, underfitting',
  task: 'mnist',
  presets: {
    /**
     * The first 500 validation and test images, batches of 32, Adam 0.001, 25 epochs for every
     * run (patience 0: no early stopping; the best validation epoch's weights are restored).
     */
    default: {
      taskPreset: 'default',
      options: { hidden: 256, evalExamples: 500, batch: 32, epochs: 25, patience: 0 },
    },
    quick: { taskPreset: 'quick', options: {} },
  },
  variants,
  baseline: DROPOUT_RATE_SWEEP.name(DROPOUT_RATE_SWEEP.sizes[0]!, 0),
  seeds: 3,
  report: {
    title: 'How much dropout? MLP on 500 and 2000 MNIST digits',
    metric: 'accuracy',
    section: (input) => rateSweepSection(input, DROPOUT_RATE_SWEEP),
  },
};
