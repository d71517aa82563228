/**
 * `regulab run variance-over-time` (issue 15, experiment 2): what do Gal dropout and zoneout do to
 * the variance of an LSTM's states h_t and c_t, along a sequence and over training? A 1-layer
 * character LSTM on the embedded Brown corpus trained three ways — none, Gal's variational
 * dropout (one mask per sequence on x_t and h_{t−1}) and zoneout (the paper's character-level
 * rates, cell 0.5 / hidden 0.05) — with `--probe state-variance` measuring Var(h_t) and Var(c_t)
 * across the units and the examples of the first training window at every step t, in training
 * and inference mode, at the start, after batches 1, 2, 4, … of epoch 1 and after each epoch.
 * The report's own section (./variance-over-time-section.ts) compares them with intervals over
 * seeds. Every run trains for the same number of epochs (no early stopping), so the curves line up.
 */
import type { ExperimentDefinition, Options } from '../definition.js';
import { varianceOverTimeSection } from './variance-over-time-section.js';

const RATE = 0.25;
const probe: Options = { probe: ['state-variance'] };

/**
 * The `default` preset (also `gradient-flow-charlm`'s, for 8 epochs): 1 × 128 units, embedding
 * 16, the first 32,000 training characters in 32 streams of windows of 100 characters (10 updates
 * per epoch; the probe's sequences are 100 steps long), Adam 0.01 with the gradient norm clipped
 * to 1, 20 epochs, 5,000 characters of validation and test; seeds 1, 2, 3.
 */
export const STATE_CHARLM: Options = {
  data: 'brown',
  layers: 1,
  hidden: 128,
  embed: 16,
  seqLen: 100,
  batch: 32,
  lr: 0.01,
  clip: 1,
  patience: 0,
  epochs: 20,
  trainChars: 32_000,
  evalTokens: 5_000,
  evalBatch: 50,
};

export const varianceOverTime: ExperimentDefinition = {
  name: 'variance-over-time',
  description: 'char LSTM: Var(h_t), Var(c_t) along the sequence and over training, none vs Gal vs zoneout',
  task: 'charlm',
  seeds: 3,
  presets: {
    default: { taskPreset: 'default', options: STATE_CHARLM },
    quick: { taskPreset: 'quick', options: { epochs: 2 } },
  },
  variants: [
    { name: 'none', label: 'no regularization', options: { ...probe } },
    {
      name: 'gal',
      label: `Gal variational dropout: input ${RATE} + recurrent ${RATE} on h_{t−1}, one mask per sequence`,
      options: {
        ...probe,
        dropout: RATE,
        recurrentDropout: RATE,
        recurrentDropoutMode: 'gal',
        recurrentDropoutMask: 'sequence',
      },
    },
    {
      name: 'zoneout',
      label: 'zoneout (cell 0.5, hidden 0.05)',
      options: { ...probe, zoneoutCell: 0.5, zoneoutHidden: 0.05 },
    },
  ],
  baseline: 'none',
  report: {
    title: 'The variance of an LSTM’s states over time: none, Gal dropout and zoneout on a character model',
    section: (input) => varianceOverTimeSection(input, 'none'),
  },
};
