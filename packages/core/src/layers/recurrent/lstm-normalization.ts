/**
 * Normalised LSTMs: layer normalisation (Ba et al. 2016) and recurrent batch normalisation
 * (Cooijmans et al. 2017). Both normalise the input projection, the recurrent projection and the
 * cell before the output gate separately; the carried cell c_t stays un-normalised:
 *
 *   a_t = N_x(W·x_t) + N_h(U·h_{t−1}) + b
 *   c_t = f ⊙ c_{t−1} + i ⊙ g,   h_t = o ⊙ tanh(N_c(c_t))
 *
 * - 'layer': N(v) = γ ⊙ (v − μ(v)) / √(σ²(v) + ε), statistics over the features of each example
 *   (scope 'fused': over all 4H pre-activations at once, Ba et al.'s eq. 20–22; scope 'gate':
 *   separately over each gate's H pre-activations, as TF's LayerNormBasicLSTMCell). γ starts at 1.
 * - 'batch': N(v) = γ ⊙ (v − μ_k) / √(σ²_k + ε) with statistics over the batch at processing
 *   step k while training, and per-step moving averages at inference; steps past `maxSteps`
 *   use the last step's statistics. γ starts at 0.1 (the paper's advice); N_c alone has a shift β_c
 *   (the gates' bias b carries theirs). Moving averages: m ← μ·m + (1 − μ)·stat, μ = momentum.
 *
 * Shapes: projections [B, 4H], cell [B, H]; γ_x, γ_h [4H], γ_c, β_c [H]; moving statistics
 * [maxSteps, 4H] (x, h) and [maxSteps, H] (c). ε = 1e-3 (Keras's default for both).
 * This path runs in the tfjs reference op (fast kernels do not take norm hooks).
 */
import * as tf from '@tensorflow/tfjs';
import type { LstmStepHooks } from '@regulab/kernels';
import type { Initializer } from './initializers.js';

export type NormKind = 'layer' | 'batch';
export const NORM_EPSILON = 1e-3;

type AddWeight = (name: string, shape: number[], init: Initializer, trainable: boolean) => tf.LayerVariable;

export interface LstmNormWeights {
  gammaX: tf.LayerVariable; // [4H]
  gammaH: tf.LayerVariable; // [4H]
  gammaC: tf.LayerVariable; // [H]
  betaC: tf.LayerVariable; // [H]
  /** Batch norm only: moving mean and variance per step. */
  moving?: Record<'meanX' | 'varX' | 'meanH' | 'varH' | 'meanC' | 'varC', tf.LayerVariable>;
}

/** Creates the normalisation weights on the layer (names as listed: gamma_x, moving_mean_x, …). */
export function buildLstmNorm(
  kind: NormKind,
  units: number,
  maxSteps: number,
  add: AddWeight,
): LstmNormWeights {
  const gamma = tf.initializers.constant({ value: kind === 'batch' ? 0.1 : 1 });
  const zeros = tf.initializers.zeros();
  const ones = tf.initializers.ones();
  const w: LstmNormWeights = {
    gammaX: add('gamma_x', [4 * units], gamma, true),
    gammaH: add('gamma_h', [4 * units], gamma, true),
    gammaC: add('gamma_c', [units], gamma, true),
    betaC: add('beta_c', [units], zeros, true),
  };
  if (kind === 'batch') {
    w.moving = {
      meanX: add('moving_mean_x', [maxSteps, 4 * units], zeros, false),
      varX: add('moving_variance_x', [maxSteps, 4 * units], ones, false),
      meanH: add('moving_mean_h', [maxSteps, 4 * units], zeros, false),
      varH: add('moving_variance_h', [maxSteps, 4 * units], ones, false),
      meanC: add('moving_mean_c', [maxSteps, units], zeros, false),
      varC: add('moving_variance_c', [maxSteps, units], ones, false),
    };
  }
  return w;
}

/** Hooks for one call, plus `finish()`, which writes the moving averages (batch norm, training). */
export interface LstmNormCall {
  hooks: LstmStepHooks;
  finish(): void;
}

export function lstmNormHooks(
  kind: NormKind,
  scope: 'fused' | 'gate',
  w: LstmNormWeights,
  training: boolean,
  momentum: number,
): LstmNormCall {
  if (kind === 'layer') {
    const gates = scope === 'gate' ? 4 : 1;
    return {
      hooks: {
        normInput: (_k, v) => layerNorm(v, gates, w.gammaX.read()),
        normRecurrent: (_k, v) => layerNorm(v, gates, w.gammaH.read()),
        normCell: (_k, c) => tf.add(layerNorm(c, 1, w.gammaC.read()), w.betaC.read()),
      },
      finish: () => undefined,
    };
  }
  const moving = w.moving!;
  const stats: Record<'X' | 'H' | 'C', Map<number, [tf.Tensor, tf.Tensor]>> = {
    X: new Map(),
    H: new Map(),
    C: new Map(),
  };
  const maxSteps = moving.meanX.shape[0] as number;
  const bn = (which: 'X' | 'H' | 'C', k: number, v: tf.Tensor2D, gamma: tf.Tensor): tf.Tensor2D => {
    const row = Math.min(k, maxSteps - 1);
    if (training) {
      const { mean, variance } = tf.moments(v, 0); // [F], [F]
      if (k < maxSteps) stats[which].set(k, [tf.keep(tf.clone(mean)), tf.keep(tf.clone(variance))]);
      return normalize(v, mean, variance, gamma);
    }
    const mean = tf.squeeze(tf.slice(moving[`mean${which}`].read(), [row, 0], [1, -1]), [0]); // [F]
    const variance = tf.squeeze(tf.slice(moving[`var${which}`].read(), [row, 0], [1, -1]), [0]); // [F]
    return normalize(v, mean, variance, gamma);
  };
  return {
    hooks: {
      normInput: (k, v) => bn('X', k, v, w.gammaX.read()),
      normRecurrent: (k, v) => bn('H', k, v, w.gammaH.read()),
      normCell: (k, c) => tf.add(bn('C', k, c, w.gammaC.read()), w.betaC.read()),
    },
    finish: () => {
      for (const which of ['X', 'H', 'C'] as const) {
        const got = stats[which];
        if (got.size === 0) continue;
        tf.tidy(() => {
          for (const [key, pick] of [
            [`mean${which}`, 0],
            [`var${which}`, 1],
          ] as const) {
            const variable = moving[key];
            const rows = tf.unstack(variable.read()); // maxSteps × [F]
            const updated = rows.map((r, k) => {
              const s = got.get(k);
              return s ? tf.add(tf.mul(r, momentum), tf.mul(s[pick], 1 - momentum)) : r;
            });
            variable.write(tf.stack(updated));
          }
        });
        for (const [m, v] of got.values()) tf.dispose([m, v]);
      }
    },
  };
}

/** Layer norm over the last axis, split into `groups` equal groups. Shapes: v [B, F], gamma [F] → [B, F]. */
function layerNorm(v: tf.Tensor2D, groups: number, gamma: tf.Tensor): tf.Tensor2D {
  const [b, f] = v.shape;
  const g = tf.reshape(v, [b, groups, f / groups]); // [B, G, F/G]
  const { mean, variance } = tf.moments(g, 2, true); // [B, G, 1]
  const normed = tf.div(tf.sub(g, mean), tf.sqrt(tf.add(variance, NORM_EPSILON)));
  return tf.mul(tf.reshape(normed, [b, f]), gamma);
}

/** γ ⊙ (v − mean)/√(var + ε). Shapes: v [B, F]; mean, variance, gamma [F]. */
function normalize(v: tf.Tensor2D, mean: tf.Tensor, variance: tf.Tensor, gamma: tf.Tensor): tf.Tensor2D {
  return tf.mul(tf.div(tf.sub(v, mean), tf.sqrt(tf.add(variance, NORM_EPSILON))), gamma);
}
