/**
 * `--probe state-gradients`: how far back the gradient of a loss at the last step reaches in each
 * LSTM or GRU layer (issue 15, `gradient-flow`; a GRU has h alone). On the probe batch (each sequence from the zero state),
 * (its first GRADIENT_EXAMPLES examples), with L the mean cross-entropy of the prediction at the last step only,
 *
 *   ‖∂L/∂h_t‖, ‖∂L/∂c_t‖   (Frobenius norms over the batch and the units)
 *
 * at every step t, logged as `<layer>/<mode>/<h|c>/<t>` (./lstm-state-keys.ts), in inference mode
 * and in training mode (every mask drawn as in training: the gradient training follows), at the
 * start and after each epoch. "The last step": a language model's logits [B, T, V] at t = T − 1
 * against its targets there; a sequence classifier's logits [B, C] (read from h_T) against the
 * labels.
 *
 * Training mode without changing training: the pass runs as an inference call inside
 * `rl.inference.withSampling` with the probe's own seed stream (restarted at every measurement);
 * the gradients are taken with respect to zeros added to the states (../experiments/
 * recurrent-measures.ts), never to the weights, and nothing is applied.
 */
import * as tf from '@tensorflow/tfjs';
import * as rl from 'regulab';
import { sparseCrossEntropy } from '../experiments/lm-model.js';
import { stateGradientNorms } from '../experiments/recurrent-measures.js';
import type { ProbeContext, TrainingProbe } from '../train/probe.js';
import { recurrentLayers } from './recurrent-layers.js';
import { STATE_MODES, STATE_NAMES, stateKey } from './lstm-state-keys.js';

/**
 * The mean cross-entropy of the last step's prediction: `output` [B, T, V] with `labels` [B·T]
 * (a language model) or `output` [B, C] with `labels` [B] (a classifier of the last state).
 */
export function lastStepLoss(output: tf.Tensor, labels: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    if (output.rank === 2) return sparseCrossEntropy(output as tf.Tensor2D, labels as tf.Tensor1D);
    const [B, T, V] = output.shape as [number, number, number];
    const logits = tf.reshape(tf.slice(output, [0, T - 1, 0], [B, 1, V]), [B, V]) as tf.Tensor2D; // [B, V]
    const targets = tf.reshape(tf.slice(tf.reshape(labels, [B, T]), [0, T - 1], [B, 1]), [B]); // [B]
    return sparseCrossEntropy(logits, targets as tf.Tensor1D);
  });
}

/**
 * The examples of the probe batch the gradients are taken on: the first 64 (the reference op's
 * backward pass through every step costs about 4× a training batch of 64 per measurement).
 */
export const GRADIENT_EXAMPLES = 64;

export function stateGradientsProbe({ model, probeBatch, seed }: ProbeContext): TrainingProbe {
  const layers = recurrentLayers(model, 'state-gradients');
  const masks = () => new rl.SeedStream(seed).fork('probe:state-gradients');
  return {
    name: 'state-gradients',
    measure() {
      const values: Record<string, number> = {};
      tf.tidy(() => {
        const probe = probeBatch();
        const batch = Math.min(GRADIENT_EXAMPLES, probe.input.shape[0]!);
        const steps = probe.input.shape[1]!;
        const input = tf.slice(probe.input, 0, batch); // [batch, T, …]
        // Language model: labels [B·T] → the first batch·T; classifier: labels [B] → the first batch.
        const labels = tf.slice(probe.labels, 0, probe.input.rank === 2 ? batch * steps : batch);
        const forward = () => model.forward(input, undefined, false).output;
        for (const layer of layers) {
          const units = layer.getConfig()['units'] as number;
          for (const mode of STATE_MODES) {
            const loss = () =>
              lastStepLoss(
                mode === 'train' ? rl.inference.withSampling(masks(), forward) : forward(),
                labels,
              );
            const norms = stateGradientNorms(layer, { batch, steps, units }, loss);
            for (const state of STATE_NAMES)
              norms[state].forEach((v, k) => (values[stateKey(layer.name, mode, state, k)] = v));
          }
        }
      });
      return values;
    },
  };
}
