/**
 * Presets: named bundles of option values. A run's config is its preset's values overridden by the
 * command line. `default` is a sensible full run; `quick` is a tiny run for tests and smoke checks
 * (seconds on one core, numbers meaningless).
 *
 * `default` scores the whole validation and test splits (comparable with published numbers);
 * `quick` and the compare job score a slice (`--eval-tokens`) so that CPU runs stay short.
 */
import type { ExperimentName, OptionValues } from '../config/options.js';

export const PRESETS = ['default', 'quick'] as const;
export type PresetName = (typeof PRESETS)[number];

type Values = Partial<OptionValues>;

const COMMON: Values = {
  layers: 1,
  patience: 5,
  lr: 0.002,
  optimizer: 'adam',
  clip: 1,
  dropout: 0,
  weightDecay: 0,
  seed: 1,
};

/** The recurrent models' regularizers, all off. */
const TRAINING: Values = {
  ...COMMON,
  recurrentDropout: 0,
  recurrentDropoutMode: 'gal',
  zoneoutCell: 0,
  zoneoutHidden: 0,
  weightDrop: 0,
};

const LM_DEFAULT: Values = {
  ...TRAINING,
  data: 'brown',
  hidden: 256,
  embed: 64,
  seqLen: 100,
  batch: 32,
  evalBatch: 64,
  epochs: 50,
  evalTokens: 0,
};

const LM_QUICK: Values = {
  ...TRAINING,
  data: 'brown',
  hidden: 16,
  embed: 8,
  seqLen: 16,
  batch: 8,
  evalBatch: 8,
  epochs: 3,
  patience: 0,
  evalTokens: 800,
};

const MNIST_DEFAULT: Values = {
  ...TRAINING,
  data: 'mnist',
  hidden: 100,
  batch: 64,
  epochs: 30,
  lr: 0.001,
  optimizer: 'rmsprop',
  trainExamples: 0,
  evalExamples: 0,
  pixelsPerStep: 1,
  bnStatistics: 'population',
};

const MNIST_QUICK: Values = {
  ...MNIST_DEFAULT,
  hidden: 8,
  batch: 16,
  epochs: 2,
  patience: 0,
  trainExamples: 64,
  evalExamples: 32,
  pixelsPerStep: 28,
};

/** `mnist`: a one-hidden-layer MLP (or `--model cnn`) on flat 784-pixel images. */
const FLAT_MNIST_DEFAULT: Values = {
  ...COMMON,
  data: 'mnist',
  hidden: 256,
  batch: 64,
  epochs: 20,
  lr: 0.001,
  trainExamples: 0,
  evalExamples: 0,
};

const FLAT_MNIST_QUICK: Values = {
  ...FLAT_MNIST_DEFAULT,
  hidden: 16,
  batch: 16,
  epochs: 2,
  patience: 0,
  trainExamples: 64,
  evalExamples: 32,
};

const TABLE: Record<ExperimentName, Record<PresetName, Values>> = {
  charlm: {
    default: { ...LM_DEFAULT, trainChars: 0 },
    quick: { ...LM_QUICK, trainChars: 1500 },
  },
  wordlm: {
    default: {
      ...LM_DEFAULT,
      embed: 200,
      hidden: 200,
      seqLen: 35,
      batch: 20,
      lr: 0.001,
      trainWords: 0,
      minCount: 5,
    },
    // A 200-word vocabulary: the softmax over Brown's ~14k words would dominate a test's time.
    quick: {
      ...LM_QUICK,
      seqLen: 8,
      batch: 4,
      evalBatch: 4,
      trainWords: 400,
      evalTokens: 200,
      minCount: 150,
    },
  },
  smnist: { default: MNIST_DEFAULT, quick: MNIST_QUICK },
  pmnist: { default: MNIST_DEFAULT, quick: MNIST_QUICK },
  mnist: { default: FLAT_MNIST_DEFAULT, quick: FLAT_MNIST_QUICK },
};

/** The option values of a preset (a copy), or undefined when the experiment has no such preset. */
export function presetValues(experiment: ExperimentName, preset: string): Values | undefined {
  const table = TABLE[experiment] as Record<string, Values>;
  return Object.hasOwn(table, preset) ? { ...table[preset] } : undefined;
}
