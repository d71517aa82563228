/**
 * The character-model setup that `rnn-dropout-placement` (./rnn-dropout-placement.ts) and
 * `mc-dropout-charlm` (./mc-dropout-charlm.ts) share, so that the MC experiment scores the same
 * models the placement experiment trains: its presets and its two per-sequence-versus-per-step
 * dropout variants, Gal's variational dropout (Gal & Ghahramani, NeurIPS 2016) and Zaremba's
 * (Zaremba et al. 2014), each at rate DROPOUT_RATE.
 */
import type { ExperimentDefinition, Options, VariantDefinition } from '../definition.js';

/** Every dropout rate of both experiments. */
export const DROPOUT_RATE = 0.25;

/**
 * The `default` preset: 2 × 64 units, embedding 16, the first 10,000 training characters (measured
 * unregularized, seed 1: validation BPC bottoms out at epoch 26 while training BPC keeps falling,
 * 3.22 → 3.36 by epoch 40 against 2.47 → 1.99 on training), windows of 25 characters, 32 streams,
 * Adam 0.01 with the gradient norm clipped to 1, early stopping with patience 4 (best weights
 * restored), at most 40 epochs, 5,000 characters of validation and test. `quick`: the task's quick
 * preset with 2 layers, 1,000 training characters, 2 epochs, 300 evaluation characters.
 */
export const CHARLM_DROPOUT_PRESETS: ExperimentDefinition['presets'] = {
  default: {
    taskPreset: 'default',
    options: {
      data: 'brown',
      layers: 2,
      hidden: 64,
      embed: 16,
      seqLen: 25,
      batch: 32,
      lr: 0.01,
      clip: 1,
      patience: 4,
      epochs: 40,
      trainChars: 10_000,
      evalTokens: 5_000,
      evalBatch: 50,
    } satisfies Options,
  },
  quick: { taskPreset: 'quick', options: { layers: 2, trainChars: 1000, epochs: 2, evalTokens: 300 } },
};

/** Gal's variational dropout: input and recurrent masks on x_t and h_{t−1}, drawn once per sequence. */
export const GAL_VARIANT: VariantDefinition = {
  name: 'gal',
  label: `Gal variational: input ${DROPOUT_RATE} + recurrent ${DROPOUT_RATE}, one mask per sequence`,
  options: {
    dropout: DROPOUT_RATE,
    recurrentDropout: DROPOUT_RATE,
    recurrentDropoutMode: 'gal',
    recurrentDropoutMask: 'sequence',
  },
};

/** Zaremba's: dropout layers on the embedding, between the layers and before the softmax, a new mask every step. */
export const ZAREMBA_VARIANT: VariantDefinition = {
  name: 'zaremba',
  label: `Zaremba: dropout ${DROPOUT_RATE} on embedding, between layers and output, a new mask every step`,
  options: { model: 'rnn-io-dropout' },
  spec: { set: [`dropout_*.rate=${DROPOUT_RATE}`] },
};
