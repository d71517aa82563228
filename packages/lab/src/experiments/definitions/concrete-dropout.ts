/**
 * `regulab run concrete-dropout` (issue 16): does concrete dropout (Gal, Hron & Kendall, NeurIPS
 * 2017) learn the rate a grid search would pick? The mnist MLP with two hidden layers
 * (784 → 256 relu → dropout → 256 relu → dropout → 10) trained with each fixed rate of a grid and
 * once with concrete dropout in the same places (`--model concrete-mlp`: the rates trained from
 * 0.1, N = the training images; `--probe dropout-rates` logs them each epoch), at two
 * training-set sizes. The report's section (./concrete-dropout-section.ts) compares the learned
 * rates with the grid's best and with each other across the sizes.
 */
import type { ExperimentDefinition, VariantDefinition } from '../definition.js';
import type { SizeArms } from './concrete-dropout-section.js';

/** The fixed rates of the grid. */
const RATES = [0.1, 0.3, 0.5];
/** Training-set sizes: the learned rate should be higher with fewer images. */
const SIZES = [250, 1000];

const gridName = (rate: number, n: number) => `p${Math.round(rate * 100)}-n${n}`;
const concreteName = (n: number) => `concrete-n${n}`;

const ARMS: SizeArms[] = SIZES.map((n) => ({
  n,
  concrete: concreteName(n),
  grid: RATES.map((rate) => ({ rate, variant: gridName(rate, n) })),
}));

const VARIANTS: VariantDefinition[] = SIZES.flatMap((n) => [
  {
    name: concreteName(n),
    label: `concrete dropout (learned rates), ${n} training images`,
    options: { model: 'concrete-mlp', probe: ['dropout-rates'], trainExamples: n },
  },
  ...RATES.map((rate) => ({
    name: gridName(rate, n),
    label: `dropout ${rate} (fixed), ${n} training images`,
    options: { model: 'mlp', dropout: rate, trainExamples: n },
  })),
]);

export const concreteDropout: ExperimentDefinition = {
  name: 'concrete-dropout',
  description: `mnist MLP: concrete dropout's learned rates vs a grid of fixed rates, at ${SIZES.join(' and ')} images`,
  task: 'mnist',
  presets: {
    /**
     * Two hidden layers of 256, the first 500 validation and test images, batches of 16, Adam at
     * lr 0.002, ≤ 30 epochs, patience 8: a rate's logit moves by about lr per Adam step, so the
     * smaller set needs the small batches and the long patience for its rates to move at all
     * (250 images: 16 steps an epoch).
     */
    default: {
      taskPreset: 'default',
      options: { layers: 2, hidden: 256, evalExamples: 500, batch: 16, lr: 0.002, epochs: 30, patience: 8 },
    },
    quick: { taskPreset: 'quick', options: { layers: 2 } },
  },
  variants: VARIANTS,
  baseline: concreteName(SIZES.at(-1)!),
  seeds: 3,
  report: {
    title: 'Concrete dropout: learned rates against a grid of fixed rates, MLP on MNIST',
    metric: 'accuracy',
    // Loaded when the report is written (its figures import vega), as mc-dropout's.
    section: async (input) =>
      (await import('./concrete-dropout-section.js')).concreteDropoutSection(input, ARMS),
  },
};
