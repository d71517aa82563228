/**
 * `regulab run gradient-flow-pmnist` and `regulab run gradient-flow-charlm` (issue 15, experiment
 * 3): does zoneout let the gradient of a loss at the last step reach earlier steps than no
 * regularization or recurrent dropout? One experiment on two tasks — two definitions made by one
 * function, since a definition trains one task (its options, presets and headline metric are the
 * task's) — with the same variants and report section (./gradient-flow-section.ts):
 *
 * | variant      | what                                                              |
 * | ------------ | ----------------------------------------------------------------- |
 * | none         | no regularization                                                 |
 * | dropout-15   | recurrent dropout 0.15 on h_{t−1}, one mask per sequence (Gal)    |
 * | dropout-50   | recurrent dropout 0.5, the same                                   |
 * | zoneout-15   | zoneout z_c = z_h = 0.15 (the zoneout paper's pMNIST rate)        |
 * | zoneout-50   | zoneout z_c = z_h = 0.5                                           |
 *
 * Each run carries `--probe state-gradients`: ‖∂L/∂h_t‖ and ‖∂L/∂c_t‖ at every step t for the
 * cross-entropy of the prediction at the last step, on the first 64 sequences of the probe batch,
 * in training and inference mode, before training and after each epoch. No early stopping: every
 * run trains the same epochs, so the curves compare at equal training.
 */
import type { ExperimentDefinition, Options, TaskName, VariantDefinition } from '../definition.js';
import { gradientFlowSection } from './gradient-flow-section.js';
import { STATE_CHARLM } from './variance-over-time.js';

const RATES = [0.15, 0.5] as const;
/** A rate in a variant name (names are lowercase letters, digits and dashes): 0.15 → 15. */
const pc = (p: number) => String(Math.round(p * 100));
const probe: Options = { probe: ['state-gradients'] };

const VARIANTS: readonly VariantDefinition[] = [
  { name: 'none', label: 'no regularization', options: { ...probe } },
  ...RATES.map((p) => ({
    name: `dropout-${pc(p)}`,
    label: `recurrent dropout ${p} on h_{t−1}, one mask per sequence (Gal)`,
    options: {
      ...probe,
      recurrentDropout: p,
      recurrentDropoutMode: 'gal',
      recurrentDropoutMask: 'sequence',
    } as Options,
  })),
  ...RATES.map((p) => ({
    name: `zoneout-${pc(p)}`,
    label: `zoneout z_c = z_h = ${p}`,
    options: { ...probe, zoneoutCell: p, zoneoutHidden: p },
  })),
];

/** Zoneout against none and against recurrent dropout at the same rate. */
const CLAIMS = RATES.flatMap((p) => [
  { further: `zoneout-${pc(p)}`, than: 'none' },
  { further: `zoneout-${pc(p)}`, than: `dropout-${pc(p)}` },
]);

function gradientFlow(
  task: TaskName,
  what: string,
  presets: ExperimentDefinition['presets'],
): ExperimentDefinition {
  return {
    name: `gradient-flow-${task}`,
    description: `${what}: ‖∂L/∂h_t‖, ‖∂L/∂c_t‖ for a loss at the last step; none vs recurrent dropout vs zoneout`,
    task,
    seeds: 3,
    presets,
    variants: VARIANTS,
    baseline: 'none',
    report: {
      title: `How far back the gradient reaches: ${what}, none vs recurrent dropout vs zoneout`,
      section: (input) => gradientFlowSection(input, 'none', CLAIMS, task),
    },
  };
}

/**
 * Permuted MNIST, 1 × 100 LSTM, RMSProp 0.001 with the gradient norm clipped to 1 (the zoneout
 * paper's setup), but 8 pixels per step (98 steps, not 784: the probe's backward pass runs on the
 * reference op), the first 2,000 training images, 500 validation and test images, 6 epochs.
 */
export const gradientFlowPmnist = gradientFlow('pmnist', 'permuted MNIST (1×100 LSTM, 98 steps)', {
  default: {
    taskPreset: 'default',
    options: {
      hidden: 100,
      optimizer: 'rmsprop',
      lr: 0.001,
      clip: 1,
      batch: 64,
      pixelsPerStep: 8,
      trainExamples: 2000,
      evalExamples: 500,
      epochs: 6,
      patience: 0,
    },
  },
  quick: { taskPreset: 'quick', options: { epochs: 2 } },
});

/**
 * The character model of `variance-over-time` (./variance-over-time.ts): a 1 × 128 LSTM on Brown
 * (embedding 16), windows of 100 characters (the zoneout paper's char-PTB length) in 32 streams
 * over the first 32,000 training characters, Adam 0.01, clip 1, no early stopping; 5,000
 * characters of validation and test; but 8 epochs.
 */
export const gradientFlowCharlm = gradientFlow('charlm', 'character LSTM on Brown (1×128, 100 steps)', {
  default: {
    taskPreset: 'default',
    options: { ...STATE_CHARLM, epochs: 8 },
  },
  quick: { taskPreset: 'quick', options: { epochs: 2 } },
});
