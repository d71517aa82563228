/**
 * `regulab run mc-dropout` (issue 16): what Monte Carlo dropout (Gal & Ghahramani, ICML 2016)
 * gives a trained classifier. The mnist MLP (784 → 256 relu → dropout 0.5 → 10) and the small CNN
 * (2 × conv 3×3 + max-pool → dropout 0.5 → 256 relu → 10), trained as usual on a slice of the
 * digits; then the report's section (./mc-dropout-section.ts) scores each run's best weights with
 * rl.inference.mcPredict against the deterministic net: accuracy, NLL, calibration (ECE and a
 * reliability diagram), out-of-distribution detection (rotated digits, noise) and quality
 * against the number of samples. The character model's counterpart: ./mc-dropout-charlm.ts.
 */
import type { ExperimentDefinition } from '../definition.js';

const DROPOUT = 0.5;
/** The sample counts of the quality-against-samples curve; the last is the MC mean's S. */
export const MC_SAMPLES = [1, 2, 4, 8, 16, 32];

export const mcDropout: ExperimentDefinition = {
  name: 'mc-dropout',
  description:
    'mnist MLP and CNN with dropout: MC mean vs deterministic (NLL, calibration, OOD AUROC, samples)',
  task: 'mnist',
  presets: {
    /**
     * 1000 training images, the first 500 validation and test images, batches of 32, at most 12
     * epochs (patience 3); the section draws 1 … 32 samples.
     */
    default: {
      taskPreset: 'default',
      options: { hidden: 256, trainExamples: 1000, evalExamples: 500, batch: 32, epochs: 12, patience: 3 },
    },
    quick: { taskPreset: 'quick', options: {} },
  },
  variants: [
    { name: 'mlp', label: `MLP, dropout ${DROPOUT} after the hidden layer`, options: { dropout: DROPOUT } },
    {
      name: 'cnn',
      label: `CNN (2 × conv 3×3 + max-pool), dropout ${DROPOUT} before the dense layer`,
      options: { model: 'cnn', dropout: DROPOUT },
    },
  ],
  baseline: 'mlp',
  seeds: 3,
  report: {
    title: 'Monte Carlo dropout on MNIST: calibration, out-of-distribution detection, samples',
    metric: 'accuracy',
    // Loaded when the report is written: it imports TensorFlow.js, which `--help` and `list` must not.
    section: async (input) => {
      const [{ mcDropoutSection }, { evaluateMc }] = await Promise.all([
        import('./mc-dropout-section.js'),
        import('./mc-evaluation.js'),
      ]);
      return mcDropoutSection(
        input,
        { samples: MC_SAMPLES, bins: 10, seed: 1 },
        {
          experiment: 'mc-dropout',
          title: 'Monte Carlo dropout: calibration, OOD detection, samples',
          intro:
            `Each run's best-epoch weights on its test images: deterministic (dropout off) and the mean of ` +
            `${MC_SAMPLES.at(-1)} Monte Carlo dropout samples (rl.inference.mcPredict); out-of-distribution ` +
            `sets: the test digits rotated 90° and uniform noise. Means over seeds.`,
          evaluate: evaluateMc,
          oodSets: [
            { key: 'rotated', words: 'digits rotated 90°' },
            { key: 'noise', words: 'uniform noise' },
          ],
          nll: 'nats',
        },
      );
    },
  },
};
