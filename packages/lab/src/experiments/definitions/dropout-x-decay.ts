/**
 * `regulab run dropout-x-decay` (issue 14, experiment 2): do dropout and weight decay add up?
 * The mnist MLP (784 → 256 relu → dropout → 10) on a training slice small enough to overfit,
 * trained in every cell of the grid
 *
 *   dropout rate {0, 0.2, 0.5} after the hidden layer  ×  weight decay {none, weak, strong},
 *
 * with the decay in two forms: an L2 penalty λ₂ Σw² on the dense kernels added to the loss
 * (`rl.regularizers.l2` through `--penalty`, optimized by Adam, which divides its gradient 2λ₂w
 * by the running gradient scale like any other), and decoupled weight decay (AdamW, Loshchilov &
 * Hutter, ICLR 2019: w ← w − lr·λ·w after each Adam step, biases included). Every variant uses
 * AdamW (λ = 0 is plain Adam), so the optimizer is not a difference between them. The report's
 * section (./grid-section.ts) draws heatmaps of the validation loss and accuracy and computes, per
 * combination, gain(both) − gain(dropout) − gain(decay) with its interval and its verdict.
 */
import type { ExperimentDefinition } from '../definition.js';
import { type FactorGrid, gridVariants } from './factor-grid.js';
import { gridSection } from './grid-section.js';

/**
 * The decay strengths. L2: λ₂ on Σw², weak about where l1-vs-l2 found no change in accuracy,
 * strong 10× that. Decoupled: λ with lr 0.001 shrinks a weight no gradient holds by
 * e^{−lr·λ·steps} (≈ 640 steps in 20 epochs of 32 batches: e^{−0.64} for λ = 1, e^{−6.4} for 10).
 */
const L2 = { weak: 1e-3, strong: 1e-2 };
const DECOUPLED = { weak: 1, strong: 10 };

/** Dropout (columns) × decay (rows); declared once, it gives the variants and the report's cells. */
export const DROPOUT_X_DECAY: FactorGrid = {
  a: {
    title: 'dropout rate',
    levels: [0, 0.2, 0.5].map((rate) => ({
      key: rate === 0 ? '' : `drop${Math.round(rate * 100)}`,
      short: String(rate),
      label: `dropout ${rate}`,
      options: { dropout: rate },
    })),
  },
  b: {
    title: 'weight decay',
    levels: [
      { key: '', short: 'none', label: 'no decay', options: {} },
      ...(['weak', 'strong'] as const).map((level) => ({
        key: `l2-${level}`,
        short: `L2 ${level}`,
        label: `L2 penalty λ₂ = ${L2[level]} (Adam)`,
        options: { penalty: [`l2=${L2[level]}`] },
      })),
      ...(['weak', 'strong'] as const).map((level) => ({
        key: `wd-${level}`,
        short: `AdamW ${level}`,
        label: `decoupled decay λ = ${DECOUPLED[level]} (AdamW)`,
        options: { weightDecay: DECOUPLED[level] },
      })),
    ],
  },
};

export const dropoutXDecay: ExperimentDefinition = {
  name: 'dropout-x-decay',
  description:
    'mnist MLP on 1000 images: dropout {0, 0.2, 0.5} × L2 or decoupled decay {none, weak, strong}; do they add up?',
  task: 'mnist',
  presets: {
    /**
     * 1000 training images (the unregularized MLP fits them to 100% within about 10 epochs), the
     * first 500 validation and test images, batches of 32, at most 20 epochs, stopping after 5
     * without a better validation loss: 15 × 3 runs of a few seconds each on 2 idle cores.
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
  variants: gridVariants(DROPOUT_X_DECAY),
  baseline: 'none',
  seeds: 3,
  report: {
    title: 'Do dropout and weight decay add up? MLP on 1000 MNIST digits',
    metric: 'accuracy',
    section: (input) => gridSection(input, DROPOUT_X_DECAY),
  },
};
