/**
 * `regulab run concrete-dropout` (issue 16): does concrete dropout (Gal, Hron & Kendall, NeurIPS
 * 2017) learn the rate a grid search would pick, and does its rate rise as the data shrink? The
 * mnist MLP with two hidden layers (784 → 256 relu → dropout → 256 relu → dropout → 10) trained
 * with each fixed rate of a grid and once with concrete dropout in the same places (`--model
 * concrete-mlp`: the rates trained from 0.1, N = the training images; `--probe dropout-rates` logs
 * them each epoch), at two training-set sizes. The report's section
 * (./concrete-dropout-section.ts) compares the learned rates with the grid's best and with each
 * other across the sizes.
 *
 * Why the concrete runs are trained differently from the grid's. The paper's learned rate is a
 * converged value: p is a weight of the objective, trained to its optimum with the others. Under
 * Adam a weight moves about lr per step whatever its gradient's size, so from p = 0.1 (logit
 * −2.2) to the grid's range (0.3–0.5: logit −0.85 … 0) takes ≥ 1,100–1,700 steps at lr 0.002 —
 * more than early stopping left the runs before (100–900 steps: their rates were still rising,
 * 0.11–0.17, at the same speed at both sizes), and 4 times more epochs at N = 250 than at 1000.
 * So the concrete runs (a) scale the rate's parameterization by 10 (`rateScale`: logit p = 10·ρ,
 * the same objective and optimum, the rate's own learning rate 10 × lr under Adam), (b) train for
 * the same number of optimizer steps at both sizes with no early stopping, so that the rate can
 * settle, and the section reads the rate at the end (and checks that it settled); their test
 * accuracy is still that of the kept epoch (the best validation loss), as the grid's.
 */
import type { ExperimentDefinition, VariantDefinition } from '../definition.js';
import type { SizeArms } from './concrete-dropout-section.js';

/** The fixed rates of the grid. */
const RATES = [0.1, 0.3, 0.5, 0.7];
/** Training-set sizes: the learned rate should be higher with fewer images. */
const SIZES = [250, 1000];
/** Batch size of every run at the default preset. */
const BATCH = 16;
/** Optimizer steps of a concrete run at the default preset (both sizes). */
const CONCRETE_STEPS = 2000;
/** logit p = RATE_SCALE · ρ in the concrete layers (see the module doc). */
const RATE_SCALE = 10;

const gridName = (rate: number, n: number) => `p${Math.round(rate * 100)}-n${n}`;
const concreteName = (n: number) => `concrete-n${n}`;
const stepsPerEpoch = (n: number) => Math.ceil(n / BATCH);

const ARMS: SizeArms[] = SIZES.map((n) => ({
  n,
  concrete: concreteName(n),
  grid: RATES.map((rate) => ({ rate, variant: gridName(rate, n) })),
}));

const VARIANTS: VariantDefinition[] = SIZES.flatMap((n) => [
  {
    name: concreteName(n),
    label: `concrete dropout (learned rates, rate scale ${RATE_SCALE}, no early stopping), ${n} training images`,
    options: { model: 'concrete-mlp', probe: ['dropout-rates'], trainExamples: n, patience: 0 },
    presetOptions: { default: { epochs: Math.ceil(CONCRETE_STEPS / stepsPerEpoch(n)) } },
    spec: { set: [`concrete_*.rateScale=${RATE_SCALE}`] },
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
     * lr 0.002; the grid ≤ 30 epochs with patience 8 (its best epochs come early), the concrete
     * runs 2,000 steps (125 epochs at 250 images, 32 at 1000).
     */
    default: {
      taskPreset: 'default',
      options: {
        layers: 2,
        hidden: 256,
        evalExamples: 500,
        batch: BATCH,
        lr: 0.002,
        epochs: 30,
        patience: 8,
      },
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
