/**
 * `regulab run compare`, the main job: the same small character-level LSTM on the embedded Brown
 * corpus trained five times — unregularized, with Gal variational dropout, with Semeniuta recurrent
 * dropout, with zoneout (z_c 0.5, z_h 0.05, the paper's char-level rates) and with weight-drop — on
 * a training slice small enough for the unregularized model to overfit, each run stopping on its
 * validation loss, then one report comparing them.
 *
 * Sizes depend on the kernel backend in use: with the fused native/wasm kernels the `default`
 * preset trains a 128-unit LSTM; on the tfjs reference path, which is many times slower, it
 * shrinks the model and the data so the job stays tolerable (and the CLI says so).
 */
import type { ExperimentDefinition } from '../definition.js';

/**
 * The `default` preset: chosen so the unregularized model overfits its training slice (its
 * validation loss turns up after about 14 epochs) and every run stops on validation within about
 * 10 minutes on 2 cores with the fused kernels: 100k training characters, batches of 16 windows
 * of 50 steps, Adam 0.005 with the global gradient norm clipped to 1, patience 5 (so the
 * overfitting shows in the curves), at most 50 epochs.
 */
const shared = {
  data: 'brown',
  layers: 1,
  seqLen: 50,
  batch: 8,
  lr: 0.005,
  clip: 1,
  patience: 5,
  epochs: 50,
} as const;

export const compare: ExperimentDefinition = {
  name: 'compare',
  description:
    'the main job: a char-level LSTM on Brown, unregularized vs Gal, Semeniuta, zoneout, weight-drop',
  task: 'charlm',
  presets: {
    default: {
      taskPreset: 'default',
      options: ({ kernelBackend }) =>
        kernelBackend !== 'reference'
          ? {
              ...shared,
              hidden: 128,
              embed: 32,
              batch: 16,
              trainChars: 100_000,
              evalTokens: 10_000,
              evalBatch: 50,
            }
          : { ...shared, hidden: 64, embed: 16, trainChars: 15_000, evalTokens: 5_000, evalBatch: 50 },
    },
    quick: { taskPreset: 'quick', options: { trainChars: 1500, epochs: 2 } },
  },
  variants: [
    { name: 'unregularized', label: 'no regularization', options: {} },
    {
      name: 'gal',
      label: 'Gal variational dropout (input and recurrent 0.25)',
      options: { dropout: 0.25, recurrentDropout: 0.25, recurrentDropoutMode: 'gal' },
    },
    {
      name: 'semeniuta',
      label: 'Semeniuta recurrent dropout 0.25',
      options: { recurrentDropout: 0.25, recurrentDropoutMode: 'semeniuta' },
    },
    {
      name: 'zoneout',
      label: 'zoneout (cell 0.5, hidden 0.05)',
      options: { zoneoutCell: 0.5, zoneoutHidden: 0.05 },
    },
    { name: 'weight-drop', label: 'weight-drop 0.3', options: { weightDrop: 0.3 } },
  ],
  baseline: 'unregularized',
  report: { title: 'Regularizers compared: character-level LSTM on the Brown corpus' },
};
