/**
 * Normalised GRUs: layer normalisation (Ba et al. 2016) and recurrent batch normalisation
 * (Cooijmans et al. 2017, transferred from their LSTM). A GRU has no cell, so what is normalised is
 * the input projection and the recurrent projection, separately; the carried h_t never is:
 *
 *   reset-after:  z, r = σ(N_x(W·x_t) + N_h(U·h_{t−1}) + b + b')   (z and r blocks)
 *                 h̃ = φ(N_x(W_h·x_t) + b_h + r ⊙ (N_h(U_h·h_{t−1}) + b'_h))
 *   reset-before: z, r = σ(N_x(W·x_t) + N_h(U·h_{t−1}) + b)         (z and r blocks)
 *                 h̃ = φ(N_x(W_h·x_t) + N_h(U_h·(r ⊙ h_{t−1})) + b_h)
 *   h_t = z ⊙ h_{t−1} + (1 − z) ⊙ h̃
 *
 * - 'layer': statistics over the features of each example. Scope 'fused' (default): over all 3H
 *   of W·x_t; over all 3H of U·h_{t−1} (reset-after); reset-before: over the 2H of U_{z,r}·h_{t−1}
 *   and, separately, the H of U_h·(r ⊙ h_{t−1}), which exists only once r does. Scope 'gate': over
 *   each gate's H values. γ starts at 1.
 * - 'batch': per feature over the batch at processing step k while training, per-step moving
 *   averages at inference (steps past `maxSteps` reuse the last); γ starts at 0.1. Per-feature
 *   statistics make reset-before's two-part U projection no special case.
 * No β: the biases b, b' carry the shift. The arithmetic is ./step-normalization.ts's (shared
 * with the LSTM).
 *
 * Shapes: projections 3 × [B, H] (gates z, r, h); γ_x, γ_h [3H]; moving statistics [maxSteps, 3H].
 * ε = 1e-3. This path runs in the tfjs reference op (fast kernels do not take norm hooks).
 */
import type { GruStepHooks } from '@regulab/kernels';
import type { LayerNormScope } from './options.js';
import {
  type AddWeight,
  buildNormWeights,
  type NormKind,
  finishNormalizers,
  type NormTarget,
  type SequenceStatsCollector,
  stepNormalizer,
} from './step-normalization.js';

/** x: W·x_t, h: U·h_{t−1} (reset-before: with U_h·(r ⊙ h_{t−1}) as its h block). */
export type GruNormWeights = Record<'x' | 'h', NormTarget>;

/**
 * Creates the normalisation weights on the layer: gamma_x, gamma_h [3H], then (batch)
 * moving_mean_x, moving_variance_x, moving_mean_h, moving_variance_h [maxSteps, 3H].
 */
export function buildGruNorm(
  kind: NormKind,
  units: number,
  maxSteps: number,
  add: AddWeight,
): GruNormWeights {
  return buildNormWeights(kind, maxSteps, add, {
    x: { features: 3 * units },
    h: { features: 3 * units },
  });
}

/**
 * Hooks for one call, plus `finish()`, which writes the moving averages (batch norm, training), or
 * with `collect` hands this call's batch statistics over instead (finishNormalizers).
 */
export interface GruNormCall {
  hooks: GruStepHooks;
  finish(collect?: SequenceStatsCollector): void;
}

export function gruNormHooks(
  kind: NormKind,
  scope: LayerNormScope,
  w: GruNormWeights,
  training: boolean,
  momentum: number,
): GruNormCall {
  const units = (w.x.gamma.shape[0] as number) / 3;
  const nx = stepNormalizer(kind, scope, w.x, units, training, momentum);
  const nh = stepNormalizer(kind, scope, w.h, units, training, momentum);
  return {
    hooks: {
      normInput: (k, v) => nx.apply(k, v),
      normRecurrent: (k, v, first) => nh.apply(k, v, first),
    },
    finish: (collect) => finishNormalizers({ x: nx, h: nh }, collect),
  };
}
