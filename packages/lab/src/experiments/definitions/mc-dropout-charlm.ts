/**
 * `regulab run mc-dropout-charlm` (issue 16): what Monte Carlo dropout gives the character model,
 * the counterpart of `mc-dropout` (./mc-dropout.ts: the mnist MLP and CNN), sharing its report
 * section (./mc-dropout-section.ts) and scoring (./mc-scores.ts). A 2-layer character LSTM on
 * Brown trained with dropout two ways — Gal's variational dropout (input and recurrent masks drawn
 * once per sequence: Gal & Ghahramani, NeurIPS 2016, the form whose MC average is the Bayesian
 * approximation) and Zaremba's (dropout layers on the embedding, between the layers and before the
 * softmax, a new mask every step: Zaremba et al. 2014) — then each run's best weights are scored
 * on windows of the test text (./mc-charlm-evaluation.ts): bits per character, accuracy and
 * calibration of the next-character distribution, the MC mean against the deterministic net;
 * out-of-distribution detection of shuffled and reversed windows; quality against S.
 */
import type { ExperimentDefinition } from '../definition.js';
import { CHARLM_DROPOUT_PRESETS, GAL_VARIANT, ZAREMBA_VARIANT } from './charlm-dropout-setup.js';
import { MC_SAMPLES } from './mc-dropout.js';

/** `rnn-dropout-placement`'s models (./charlm-dropout-setup.ts): 2 × 64 LSTM units on Brown, its presets. */
export const mcDropoutCharlm: ExperimentDefinition = {
  name: 'mc-dropout-charlm',
  description:
    'char LSTM with Gal / Zaremba dropout: MC mean vs deterministic (bpc, calibration, OOD, samples)',
  task: 'charlm',
  presets: CHARLM_DROPOUT_PRESETS,
  variants: [GAL_VARIANT, ZAREMBA_VARIANT],
  baseline: 'gal',
  seeds: 3,
  report: {
    title: 'Monte Carlo dropout on a character LSTM: calibration, out-of-distribution detection, samples',
    metric: 'bpc',
    // Loaded when the report is written: it imports TensorFlow.js, which `--help` and `list` must not.
    section: async (input) => {
      const [{ mcDropoutSection }, { evaluateCharlmMc }] = await Promise.all([
        import('./mc-dropout-section.js'),
        import('./mc-charlm-evaluation.js'),
      ]);
      return mcDropoutSection(
        input,
        { samples: MC_SAMPLES, bins: 10, seed: 1 },
        {
          experiment: 'mc-dropout-charlm',
          title: 'Monte Carlo dropout on the character model: calibration, OOD detection, samples',
          intro:
            `Each run's best-epoch weights on consecutive windows of its test text (each read from the zero ` +
            `state, so the bits per character are above the run's own test score, which carries the state): ` +
            `deterministic (dropout off) and the mean of ${MC_SAMPLES.at(-1)} Monte Carlo dropout samples ` +
            `(rl.inference.mcPredict, recurrent masks once per window), scored on the next-character distribution; ` +
            `out-of-distribution sets: the same windows shuffled and reversed (one score per window: the mean ` +
            `over its characters). Means over seeds.`,
          evaluate: evaluateCharlmMc,
          oodSets: [
            { key: 'shuffled', words: 'shuffled windows' },
            { key: 'reversed', words: 'reversed windows' },
          ],
          nll: 'bpc',
        },
      );
    },
  },
};
