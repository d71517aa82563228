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
 * Shapes: projections 4 × [B, H] (one block per gate), cell [B, H]; γ_x, γ_h [4H], γ_c, β_c [H]; moving statistics
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
  const perGate = (v: tf.LayerVariable) => tf.unstack(tf.reshape(v.read(), [4, -1])); // 4 × [H]
  const gammaX = perGate(w.gammaX);
  const gammaH = perGate(w.gammaH);
  if (kind === 'layer') {
    const ln = scope === 'fused' ? layerNormFused : layerNormPerGate;
    return {
      hooks: {
        normInput: (_k, v) => ln(v, gammaX),
        normRecurrent: (_k, v) => ln(v, gammaH),
        normCell: (_k, c) =>
          tf.add(layerNormPerGate([c], [w.gammaC.read()])[0]!, rows(w.betaC.read(), c.shape[0])),
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
  // Batch norm of the blocks v (4 gates or the cell) at step k, per feature over the batch.
  const bn = (which: 'X' | 'H' | 'C', k: number, v: tf.Tensor2D[], gamma: tf.Tensor[]): tf.Tensor2D[] => {
    if (training) {
      const m = v.map(batchMoments); // per block: [1, H], [1, H]
      if (k < maxSteps) {
        const mean = tf.reshape(
          tf.concat(
            m.map((s) => s.mean),
            1,
          ),
          [-1],
        ); // [F]
        const variance = tf.reshape(
          tf.concat(
            m.map((s) => s.variance),
            1,
          ),
          [-1],
        ); // [F]
        stats[which].set(k, [tf.keep(tf.clone(mean)), tf.keep(tf.clone(variance))]);
      }
      return v.map((vg, g) => normalize(vg, m[g]!.mean, m[g]!.variance, gamma[g]!));
    }
    const row = Math.min(k, maxSteps - 1);
    const read = (variable: tf.LayerVariable) =>
      tf.unstack(tf.reshape(tf.slice(variable.read(), [row, 0], [1, -1]), [v.length, -1])); // blocks × [H]
    const mean = read(moving[`mean${which}`]);
    const variance = read(moving[`var${which}`]);
    return v.map((vg, g) => normalize(vg, mean[g]!, variance[g]!, gamma[g]!));
  };
  return {
    hooks: {
      normInput: (k, v) => bn('X', k, v, gammaX),
      normRecurrent: (k, v) => bn('H', k, v, gammaH),
      normCell: (k, c) => tf.add(bn('C', k, [c], [w.gammaC.read()])[0]!, rows(w.betaC.read(), c.shape[0])),
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

/**
 * Reductions and broadcasting as matmuls: tfjs's CPU backend takes a per-element index path for
 * any binary op whose operand shapes differ — including the gradients of `sum` and `moments` —
 * which is tens of times slower than same-shape ops. Rank-1 matmuls do the same work fast.
 */
function rows(v: tf.Tensor, batch: number): tf.Tensor2D {
  return tf.matMul(tf.ones([batch, 1]), tf.reshape(v, [1, -1])); // [H] or [1, H] → [B, H]
}
function columns(v: tf.Tensor, units: number): tf.Tensor2D {
  return tf.matMul(tf.reshape(v, [-1, 1]), tf.ones([1, units])); // [B] or [B, 1] → [B, H]
}
function rowSums(v: tf.Tensor2D): tf.Tensor2D {
  return tf.matMul(v, tf.ones([v.shape[1], 1])); // [B, H] → [B, 1]
}
/** Per-feature batch mean and (biased) variance. Shapes: v [B, H] → [1, H], [1, H]. */
export function batchMoments(v: tf.Tensor2D): { mean: tf.Tensor2D; variance: tf.Tensor2D } {
  const batch = v.shape[0];
  const ones = tf.ones([1, batch]);
  const mean = tf.div(tf.matMul(ones, v), batch) as tf.Tensor2D; // [1, H]
  const variance = tf.div(tf.matMul(ones, tf.square(tf.sub(v, rows(mean, batch)))), batch) as tf.Tensor2D;
  return { mean, variance };
}

/**
 * Layer norm with statistics over all blocks together (the fused [B, 4H] pre-activation).
 * Shapes: v G × [B, H], gamma G × [H] → G × [B, H].
 */
function layerNormFused(v: tf.Tensor2D[], gamma: tf.Tensor[]): tf.Tensor2D[] {
  const [batch, units] = v[0]!.shape;
  const n = v.length * units;
  const mean = columns(tf.div(tf.addN(v.map(rowSums)), n), units); // [B, H]
  const centered = v.map((vg) => tf.sub(vg, mean) as tf.Tensor2D);
  const variance = tf.div(tf.addN(centered.map((cg) => rowSums(tf.square(cg)))), n); // [B, 1]
  const scale = columns(tf.rsqrt(tf.add(variance, NORM_EPSILON)), units); // [B, H]
  return centered.map((cg, g) => tf.mul(tf.mul(cg, scale), rows(gamma[g]!, batch)) as tf.Tensor2D);
}

/** Layer norm with statistics per block. Shapes: v G × [B, H], gamma G × [H] → G × [B, H]. */
function layerNormPerGate(v: tf.Tensor2D[], gamma: tf.Tensor[]): tf.Tensor2D[] {
  return v.map((vg, g) => layerNormFused([vg], [gamma[g]!])[0]!);
}

/** γ ⊙ (v − mean)/√(var + ε). Shapes: v [B, H]; mean, variance [1, H] or [H]; gamma [H]. */
function normalize(v: tf.Tensor2D, mean: tf.Tensor, variance: tf.Tensor, gamma: tf.Tensor): tf.Tensor2D {
  const batch = v.shape[0];
  const scale = tf.mul(tf.rsqrt(tf.add(tf.reshape(variance, [-1]), NORM_EPSILON)), gamma); // [H]
  return tf.mul(tf.sub(v, rows(mean, batch)), rows(scale, batch)) as tf.Tensor2D;
}
