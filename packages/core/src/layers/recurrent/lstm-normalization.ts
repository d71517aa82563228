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
 * The arithmetic is ./step-normalization.ts's, shared with the GRU.
 *
 * Shapes: projections 4 × [B, H] (one block per gate), cell [B, H]; γ_x, γ_h [4H], γ_c, β_c [H]; moving statistics
 * [maxSteps, 4H] (x, h) and [maxSteps, H] (c). ε = 1e-3 (Keras's default for both).
 * This path runs in the tfjs reference op (fast kernels do not take norm hooks).
 */
import type { LstmStepHooks } from '@regulab/kernels';
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

/** x: W·x_t, h: U·h_{t−1}, c: the cell before the output gate (the only one with a shift β). */
export type LstmNormWeights = Record<'x' | 'h' | 'c', NormTarget>;

/**
 * Creates the normalisation weights on the layer: gamma_x, gamma_h [4H], gamma_c, beta_c [H], then
 * (batch) moving_mean_x, moving_variance_x, moving_mean_h, moving_variance_h [maxSteps, 4H],
 * moving_mean_c, moving_variance_c [maxSteps, H].
 */
export function buildLstmNorm(
  kind: NormKind,
  units: number,
  maxSteps: number,
  add: AddWeight,
): LstmNormWeights {
  return buildNormWeights(kind, maxSteps, add, {
    x: { features: 4 * units },
    h: { features: 4 * units },
    c: { features: units, beta: true },
  });
}

/**
 * Hooks for one call, plus `finish()`, which writes the moving averages (batch norm, training), or
 * with `collect` hands this call's batch statistics over instead (finishNormalizers).
 */
export interface LstmNormCall {
  hooks: LstmStepHooks;
  finish(collect?: SequenceStatsCollector): void;
}

export function lstmNormHooks(
  kind: NormKind,
  scope: LayerNormScope,
  w: LstmNormWeights,
  training: boolean,
  momentum: number,
): LstmNormCall {
  const units = w.c.gamma.shape[0] as number;
  const make = (t: NormTarget) => stepNormalizer(kind, scope, t, units, training, momentum);
  const nx = make(w.x);
  const nh = make(w.h);
  const nc = make(w.c);
  return {
    hooks: {
      normInput: (k, v) => nx.apply(k, v),
      normRecurrent: (k, v) => nh.apply(k, v),
      normCell: (k, c) => nc.apply(k, [c])[0]!,
    },
    finish: (collect) => finishNormalizers({ x: nx, h: nh, c: nc }, collect),
  };
}
