/**
 * `regulab run dropout-x-decay` (issue 14, experiment 2, its 2 × 2 core): do dropout and weight
 * decay add up? The mnist MLP (784 → 256 relu → dropout → 10) trained four times on a training
 * slice small enough to overfit — without regularization, with dropout 0.5 after the hidden
 * layer, with decoupled weight decay (AdamW, Loshchilov & Hutter, ICLR 2019: w ← w − lr·λ·w after
 * each Adam step), with both — and the report's own section computes the interaction
 * gain(both) − gain(dropout) − gain(decay) with its interval (./interaction.ts). Every variant
 * uses AdamW (λ = 0 is plain Adam), so the optimizer is not a difference between them.
 */
import type { ExperimentDefinition } from '../definition.js';
import { interactionSection } from './interaction.js';

/** Decoupled decay λ: with lr 0.001 it shrinks a weight no gradient holds by e^{−lr·λ·steps}. */
const DECAY = 1;
const DROPOUT = 0.5;

export const dropoutXDecay: ExperimentDefinition = {
  name: 'dropout-x-decay',
  description: 'mnist MLP on 1000 images: none vs dropout vs decoupled weight decay vs both; do they add up?',
  task: 'mnist',
  presets: {
    /**
     * 1000 training images (the unregularized MLP overfits them within a few epochs), the first
     * 500 validation and test images, batches of 32, at most 20 epochs, stopping after 5 without
     * a better validation loss: about 4 × 3 runs of under a minute each on 2 cores.
     */
    default: {
      taskPreset: 'default',
      options: {
        optimizer: 'adamw',
        hidden: 256,
        trainExamples: 1000,
        evalExamples: 500,
        batch: 32,
        epochs: 20,
        patience: 5,
      },
    },
    quick: { taskPreset: 'quick', options: { optimizer: 'adamw' } },
  },
  variants: [
    { name: 'none', label: 'no regularization (AdamW, λ = 0)', options: {} },
    {
      name: 'dropout',
      label: `dropout ${DROPOUT} after the hidden layer`,
      options: { dropout: DROPOUT },
    },
    {
      name: 'decay',
      label: `decoupled weight decay λ = ${DECAY} (AdamW)`,
      options: { weightDecay: DECAY },
    },
    {
      name: 'both',
      label: `dropout ${DROPOUT} and decoupled weight decay λ = ${DECAY}`,
      options: { dropout: DROPOUT, weightDecay: DECAY },
    },
  ],
  baseline: 'none',
  seeds: 3,
  report: {
    title: 'Do dropout and weight decay add up? MLP on 1000 MNIST digits',
    metric: 'accuracy',
    section: (input) => interactionSection(input, { none: 'none', a: 'dropout', b: 'decay', both: 'both' }),
  },
};
