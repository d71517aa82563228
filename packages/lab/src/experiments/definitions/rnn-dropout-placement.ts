/**
 * `regulab run rnn-dropout-placement`: where does dropout belong in an RNN? A 2-layer character
 * LSTM on the embedded Brown corpus, on a training slice it overfits, trained with each placement:
 *
 * | variant   | where the masks go                                                            |
 * | --------- | ----------------------------------------------------------------------------- |
 * | none      | nowhere                                                                       |
 * | naive     | x_t (one mask per sequence) and h_{t−1} with a NEW mask every step            |
 * | gal       | x_t and h_{t−1}, one mask per sequence (Gal & Ghahramani's variational RNN)   |
 * | zaremba   | embedding, between the layers and before the softmax only, a new mask per step |
 * | semeniuta | the candidate g_t only, a new mask every step (memory is never erased)        |
 * | zoneout   | none: units keep their previous c (0.5) / h (0.05) instead (Krueger et al.)   |
 *
 * `naive` differs from `gal` only in when the recurrent mask is drawn, so their paired difference
 * is the folklore's claim "a new mask every step breaks temporal consistency". Every dropout rate
 * is 0.25. `naive` ran on the tfjs reference op when this experiment was sized (its default preset
 * is small for that reason); since issue 13 the fused kernels draw its per-step mask themselves.
 */
import type { ExperimentDefinition } from '../definition.js';
import {
  CHARLM_DROPOUT_PRESETS,
  DROPOUT_RATE as RATE,
  GAL_VARIANT,
  ZAREMBA_VARIANT,
} from './charlm-dropout-setup.js';
import { placementSection } from './placement-section.js';

/**
 * The presets (./charlm-dropout-setup.ts) are sized for `naive` on the reference op: ~10 s per
 * epoch on 2 loaded cores, against ~0.6 s for the others; seeds 1, 2, 3.
 */
export const rnnDropoutPlacement: ExperimentDefinition = {
  name: 'rnn-dropout-placement',
  description:
    'where dropout belongs in a 2-layer char LSTM: none, per-step (naive), Gal, Zaremba, Semeniuta, zoneout',
  task: 'charlm',
  seeds: 3,
  presets: CHARLM_DROPOUT_PRESETS,
  variants: [
    { name: 'none', label: 'no regularization', options: {} },
    {
      name: 'naive',
      label: `input ${RATE} + recurrent ${RATE} on h_{t−1}, a new mask every step (naive)`,
      options: {
        dropout: RATE,
        recurrentDropout: RATE,
        recurrentDropoutMode: 'gal',
        recurrentDropoutMask: 'step',
      },
    },
    GAL_VARIANT,
    ZAREMBA_VARIANT,
    {
      name: 'semeniuta',
      label: `Semeniuta: ${RATE} on the candidate, a new mask every step`,
      options: { recurrentDropout: RATE, recurrentDropoutMode: 'semeniuta', recurrentDropoutMask: 'step' },
    },
    {
      name: 'zoneout',
      label: 'zoneout (cell 0.5, hidden 0.05)',
      options: { zoneoutCell: 0.5, zoneoutHidden: 0.05 },
    },
  ],
  baseline: 'none',
  report: {
    title: 'Where dropout belongs in an RNN: a 2-layer character LSTM on Brown',
    section: placementSection,
  },
};
