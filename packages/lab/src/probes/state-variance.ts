/**
 * `--probe state-variance`: the variance of each LSTM layer's states h_t and c_t (a GRU layer's
 * h_t) across the units and the examples of the probe batch, at every step t of its sequence
 * (issue 15, `variance-over-time`):
 *
 *   Var(s_t) = mean_{b,j} (s_t[b, j] − mean_{b,j} s_t)²,   s ∈ {h, c},
 *
 * logged as `<layer>/<mode>/<h|c>/<t>` (./lstm-state-keys.ts), in inference mode (no noise) and in
 * training mode (every mask drawn as in training), at the start, after batches 1, 2, 4, 8, … of
 * epoch 1 and after each epoch. Each sequence starts from the zero state (t = 0 is the first step
 * of the probe batch), so the curve shows how the variance builds up within a sequence.
 *
 * Training mode without changing training, as the activations probe (./activations.ts): the
 * train-mode pass is an inference call inside `rl.inference.withSampling`, seeded from the probe's
 * own stream (restarted at every measurement: the same masks each time). The states come from the
 * layer's state hook, which runs the tfjs reference op (../experiments/recurrent-measures.ts).
 */
import * as tf from '@tensorflow/tfjs';
import * as rl from 'regulab';
import { stateVariance } from '../experiments/recurrent-measures.js';
import type { ProbeContext, TrainingProbe } from '../train/probe.js';
import { measuredBatch } from './activations.js';
import { recurrentLayers } from './recurrent-layers.js';
import { STATE_NAMES, stateKey } from './lstm-state-keys.js';

export function stateVarianceProbe({ model, probeBatch, seed }: ProbeContext): TrainingProbe {
  const layers = recurrentLayers(model, 'state-variance');
  const masks = () => new rl.SeedStream(seed).fork('probe:state-variance');
  return {
    name: 'state-variance',
    measureAfterBatch: measuredBatch,
    measure() {
      const values: Record<string, number> = {};
      tf.tidy(() => {
        const { input } = probeBatch();
        for (const layer of layers) {
          const inference = stateVariance(layer, () => model.forward(input, undefined, false));
          const train = stateVariance(layer, () =>
            rl.inference.withSampling(masks(), () => model.forward(input, undefined, false)),
          );
          for (const [mode, perStep] of [
            ['inference', inference],
            ['train', train],
          ] as const)
            for (const state of STATE_NAMES)
              perStep[state].forEach((v, k) => (values[stateKey(layer.name, mode, state, k)] = v));
        }
      });
      return values;
    },
  };
}
