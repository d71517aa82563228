/**
 * `regulab run early-stopping` (issue 14, experiment 6): what does early stopping buy, what does
 * patience change, what does not stopping cost, and does an L2 penalty of similar effect do as
 * well? The mnist MLP (784 → 256 relu → 10) on a training slice small enough to overfit, trained
 * for a fixed number of epochs without stopping, with no penalty and with three L2 strengths.
 *
 * Stopping with patience p is read off the unpenalized run's validation losses by the trainer's
 * own rule (train/early-stopping.ts): training is deterministic for a seed, so a run stopped with
 * patience p is exactly the first epochs of the run that never stops, and one run per seed gives
 * every patience (./stopping-section.ts). Patience counts epochs without a better validation
 * loss: p = 1 stops at the first such epoch (Keras's patience 0 and 1 both do that).
 */
import type { ExperimentDefinition } from '../definition.js';
import { stoppingSection } from './stopping-section.js';

/** L2 strengths λ₂ (on Σw² of the dense kernels) to set against early stopping. */
const L2 = [1e-3, 3e-3, 1e-2];

export const earlyStopping: ExperimentDefinition = {
  name: 'early-stopping',
  description: 'mnist MLP on 1000 images: early stopping with patience 1, 2, 5, 10 vs never stopping vs L2',
  task: 'mnist',
  presets: {
    /**
     * 1000 training images (fit to 100% within about 10 epochs; the validation loss turns up
     * soon after), the first 500 validation and test images, batches of 32, Adam 0.001, 40
     * epochs without stopping (patience 10 needs room after the best epoch).
     */
    default: {
      taskPreset: 'default',
      options: { hidden: 256, trainExamples: 1000, evalExamples: 500, batch: 32, epochs: 40, patience: 0 },
    },
    /** lr 0.01: the quick model overfits its 64 images within the 8 epochs, so patience stops it. */
    quick: { taskPreset: 'quick', options: { patience: 0, epochs: 8, lr: 0.01 } },
  },
  variants: [
    { name: 'none', label: 'no penalty, never stopped (patience 0)', options: {} },
    ...L2.map((l2) => ({
      name: `l2-${l2.toExponential(0).replace('+', '')}`,
      label: `L2 penalty λ₂ = ${l2} on the dense kernels, never stopped`,
      options: { penalty: [`l2=${l2}`] },
    })),
  ],
  baseline: 'none',
  seeds: 3,
  report: {
    title: 'Early stopping: patience, the cost of not stopping, and L2. MLP on 1000 MNIST digits',
    metric: 'accuracy',
    section: (input) => stoppingSection(input, { unstopped: 'none', patiences: [1, 2, 5, 10], compareAt: 5 }),
  },
};
