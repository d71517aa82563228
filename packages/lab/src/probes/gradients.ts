/**
 * `--probe gradients`: how much the gradient changes from one minibatch to the next within an
 * epoch — is training erratic? The probe sees every batch's gradients of all trainable variables
 * (before clipping and the optimizer step), as one flattened vector g_k, and accumulates their
 * moments per weight without keeping them (./gradient-moments.ts). After each epoch it logs
 *
 *   variance         (1/P) Σ_w Var_k(g_k[w])     per-weight sample variance across the batches,
 *                                               averaged over the P weights
 *   squaredNorm      mean over batches of ‖g_k‖²
 *   meanSquaredNorm  ‖mean over batches of g_k‖²
 *   noiseShare       Σ_w Σ_k (g_k[w] − ḡ[w])² / Σ_k ‖g_k‖²   (scale-free, in [0, 1])
 *   batches          n, the batches of the epoch
 *
 * (`variance` needs two batches; the 'start' row, before any batch, is empty). Reading the
 * gradients draws nothing and changes nothing, so training is the same with the probe as without.
 */
import type * as tf from '@tensorflow/tfjs';
import type { ProbeContext, TrainingProbe } from '../train/probe.js';
import { GradientMoments } from './gradient-moments.js';

export function gradientsProbe(_context?: ProbeContext): TrainingProbe {
  let names: string[] | null = null; // the variables, in the order of the first batch seen
  let moments: GradientMoments | null = null;
  return {
    name: 'gradients',
    beginEpoch: () => moments?.reset(),
    observeGradients(grads: tf.NamedTensorMap, epoch: number, batch: number) {
      if (names === null) {
        names = Object.keys(grads);
        moments = new GradientMoments(names.reduce((n, k) => n + grads[k]!.size, 0));
      }
      const missing = names.filter((k) => grads[k] === undefined);
      if (missing.length > 0 || Object.keys(grads).length !== names.length)
        throw new Error(
          `--probe gradients: epoch ${epoch}, batch ${batch + 1} has gradients of ${Object.keys(grads).join(', ')}, ` +
            `the first batch had ${names.join(', ')}`,
        );
      moments!.add(names.map((k) => grads[k]!.dataSync() as Float32Array));
    },
    measure() {
      if (moments === null || moments.batches === 0) return {};
      const values: Record<string, number> = { ...moments.summary(), batches: moments.batches };
      return Object.fromEntries(Object.entries(values).filter(([, v]) => Number.isFinite(v)));
    },
  };
}
