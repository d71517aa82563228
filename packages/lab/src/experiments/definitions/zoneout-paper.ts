/**
 * `regulab run zoneout-paper`: the permuted-MNIST table of the zoneout paper (Krueger et al., ICLR
 * 2017, table 1), re-run on the embedded digits: a 1 × 100 LSTM reads the 784 pixels one at a time
 * in a fixed seeded permutation and classifies its last hidden state; RMSProp lr 0.001, gradient
 * norm clipped to 1, as the paper. Five variants, each with the paper's test accuracy:
 *
 * | variant           | what                                              | paper test % |
 * | ----------------- | ------------------------------------------------- | ------------ |
 * | unregularized     | —                                                 | 89.8 |
 * | recurrent-dropout | Semeniuta recurrent dropout 0.5 (per-step mask)   | 92.5 |
 * | zoneout           | z_c = z_h = 0.15                                  | 93.1 |
 * | recurrent-bn      | recurrent batch norm (Cooijmans et al.)           | 95.4 |
 * | bn-zoneout        | recurrent batch norm + zoneout 0.15 / 0.15        | 95.9 |
 *
 * The report puts the measured accuracies beside these with every difference of setup
 * (./zoneout-paper-section.ts). Recurrent batch norm runs in the fused kernels (native and wasm;
 * a batch-norm step over 784 pixels costs ~2.3–2.5× the CPU of an unnormalized one on native with
 * 2 threads, ~1.6× with 1: BENCHMARKS.md, pmnist-bn-step). The paper trains 150 epochs; the default
 * preset trains 20, which fits the budget of 2 hours on 2 cores (time per epoch and
 * variant in docs/findings.md; two runs train at once).
 */
import type { ExperimentDefinition, Options } from '../definition.js';
import { zoneoutPaperSection } from './zoneout-paper-section.js';

/** The paper's setup where the lab can follow it (differences: ./zoneout-paper-section.ts). */
const DEFAULT: Options = {
  data: 'mnist',
  layers: 1,
  hidden: 100,
  optimizer: 'rmsprop',
  lr: 0.001,
  clip: 1,
  batch: 64,
  pixelsPerStep: 1,
  trainExamples: 0,
  evalExamples: 0,
  epochs: 20,
  patience: 0,
};

const BN = ['lstm*.normalization=batch'];

export const zoneoutPaper: ExperimentDefinition = {
  name: 'zoneout-paper',
  description: "the zoneout paper's pMNIST table (1×100 LSTM, RMSProp) on the embedded digits",
  task: 'pmnist',
  seeds: 1,
  presets: {
    default: { taskPreset: 'default', options: DEFAULT },
    quick: {
      taskPreset: 'quick',
      options: { epochs: 1, trainExamples: 32, evalExamples: 16, pixelsPerStep: 56 },
    },
  },
  variants: [
    { name: 'unregularized', label: 'no regularization', options: {} },
    {
      name: 'recurrent-dropout',
      label: 'Semeniuta recurrent dropout 0.5, a new mask every step',
      options: { recurrentDropout: 0.5, recurrentDropoutMode: 'semeniuta', recurrentDropoutMask: 'step' },
    },
    { name: 'zoneout', label: 'zoneout 0.15 / 0.15', options: { zoneoutCell: 0.15, zoneoutHidden: 0.15 } },
    { name: 'recurrent-bn', label: 'recurrent batch norm', options: {}, spec: { set: BN } },
    {
      name: 'bn-zoneout',
      label: 'recurrent batch norm + zoneout 0.15 / 0.15',
      options: { zoneoutCell: 0.15, zoneoutHidden: 0.15 },
      spec: { set: BN },
    },
  ],
  baseline: 'unregularized',
  report: {
    title: "The zoneout paper's permuted-MNIST table, re-run on the embedded digits",
    section: zoneoutPaperSection,
  },
};
