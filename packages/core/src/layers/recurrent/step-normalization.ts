/**
 * Per-step normalisation inside a recurrent op, shared by the normalised LSTM and GRU
 * (./lstm-normalization.ts, ./gru-normalization.ts): one `StepNormalizer` per normalised quantity
 * (the input projection W·x_t, the recurrent projection U·h_{t−1}, the LSTM cell), each with its
 * gain γ (and, where the layer has one, shift β) and, for batch norm, its per-step statistics.
 *
 * - 'layer' (Ba et al. 2016): N(v) = γ ⊙ (v − μ(v)) / √(σ²(v) + ε) (+ β), statistics over the
 *   features of each example — over all blocks handed over at once (scope 'fused') or over each
 *   H-wide gate block separately (scope 'gate'). Identical in training and inference.
 * - 'batch' (Cooijmans et al. 2017): N(v) = γ ⊙ (v − μ_k) / √(σ²_k + ε) (+ β), per feature. Training
 *   uses the batch's statistics at processing step k and records them; `finish()` then moves the
 *   per-step population statistics, m_k ← μ·m_k + (1 − μ)·stat_k (μ = momentum). Inference uses
 *   m_k; steps k ≥ maxSteps use the last row (the paper's rule for sequences longer than training).
 *   `finish(collect)` instead hands this call's statistics over ([K, F], K = min(T, maxSteps)) and
 *   moves nothing (rl.inference.recomputeBatchNormStatistics's pass, ./population-statistics.ts).
 *
 * Shapes: a quantity has G blocks of H features (F = G·H); values arrive as blocks G' × [B, H]
 * starting at block `first` (a GRU's reset-before candidate projection is known only after r);
 * γ, β [F]; moving mean / variance [maxSteps, F]. ε = 1e-3 (Keras's default). Padded examples count
 * in the batch statistics. Runs in the tfjs reference op (the fast kernels take no norm hooks).
 */
import * as tf from '@tensorflow/tfjs';
import type { SequenceNormStats } from '@regulab/kernels';
import { RegulabConfigError } from '../../util/validate.js';
import type { Initializer } from './initializers.js';
import type { LayerNormScope } from './options.js';

export type NormKind = 'layer' | 'batch';
export const NORM_EPSILON = 1e-3;

export type AddWeight = (
  name: string,
  shape: number[],
  init: Initializer,
  trainable: boolean,
) => tf.LayerVariable;

/** The weights of one normalised quantity. */
export interface NormTarget {
  gamma: tf.LayerVariable; // [F]
  beta?: tf.LayerVariable; // [F]
  /** Batch norm only: population statistics per step. */
  movingMean?: tf.LayerVariable; // [maxSteps, F]
  movingVariance?: tf.LayerVariable; // [maxSteps, F]
}

/**
 * Creates the normalisation weights for the named quantities, in this order: gamma_<name>
 * (and beta_<name>) for each, then moving_mean_<name>, moving_variance_<name> for each (batch).
 * γ starts at 1 (layer) or 0.1 (batch: Cooijmans et al.'s advice, to keep tanh unsaturated), β at 0.
 */
export function buildNormWeights<K extends string>(
  kind: NormKind,
  maxSteps: number,
  add: AddWeight,
  targets: Record<K, { features: number; beta?: boolean }>,
): Record<K, NormTarget> {
  const gamma = tf.initializers.constant({ value: kind === 'batch' ? 0.1 : 1 });
  const zeros = tf.initializers.zeros();
  const ones = tf.initializers.ones();
  const names = Object.keys(targets) as K[];
  const out = {} as Record<K, NormTarget>;
  for (const name of names) {
    const { features, beta } = targets[name];
    out[name] = { gamma: add(`gamma_${name}`, [features], gamma, true) };
    if (beta === true) out[name].beta = add(`beta_${name}`, [features], zeros, true);
  }
  if (kind === 'batch') {
    for (const name of names) {
      const features = targets[name].features;
      out[name].movingMean = add(`moving_mean_${name}`, [maxSteps, features], zeros, false);
      out[name].movingVariance = add(`moving_variance_${name}`, [maxSteps, features], ones, false);
    }
  }
  return out;
}

/**
 * The steps with their own batch-norm statistics: `normMaxSteps`, else the input length known at
 * build; layer norm needs none (returns 1). Throws when batch norm has neither.
 */
export function normStepsAtBuild(
  where: string,
  kind: NormKind,
  normMaxSteps: number | null,
  steps: number | null,
): number {
  const maxSteps = normMaxSteps ?? steps;
  if (kind === 'batch' && maxSteps == null) {
    throw new RegulabConfigError(
      `${where}: normalization 'batch' keeps statistics per step: set 'normMaxSteps' or give the input a known length`,
    );
  }
  return maxSteps ?? 1;
}

/** Normalises one quantity during one call. */
export interface StepNormalizer {
  /** N(v) of blocks first..first+v.length−1 at processing step k. Shapes: v G' × [B, H] → G' × [B, H]. */
  apply(k: number, v: tf.Tensor2D[], first?: number): tf.Tensor2D[];
  /**
   * Batch norm, training: moves the population statistics by this call's (no-op otherwise); with
   * `collect`, hands it this call's statistics instead ([K, F], K = min(T, maxSteps); the caller's
   * scope owns them) and moves nothing.
   */
  finish(collect?: StatisticsCollector): void;
}

/** Receives one quantity's batch statistics of a call. Shapes: mean, variance [K, F]. */
export type StatisticsCollector = (mean: tf.Tensor2D, variance: tf.Tensor2D) => void;

/** A StepNormalizer for one call of the layer (reads γ, β once per call). */
export function stepNormalizer(
  kind: NormKind,
  scope: LayerNormScope,
  target: NormTarget,
  units: number,
  training: boolean,
  momentum: number,
): StepNormalizer {
  const blocks = (target.gamma.shape[0] as number) / units;
  const gamma = splitBlocks(target.gamma.read(), blocks, units); // G × [H]
  const beta = target.beta ? splitBlocks(target.beta.read(), blocks, units) : undefined;
  const shift = (out: tf.Tensor2D[], first: number) =>
    beta ? out.map((o, g) => tf.add(o, rows(beta[first + g]!, o.shape[0])) as tf.Tensor2D) : out;
  if (kind === 'layer') {
    const ln = scope === 'fused' ? layerNormFused : layerNormPerGate;
    return {
      apply: (_k, v, first = 0) => shift(ln(v, gamma.slice(first, first + v.length)), first),
      finish: () => undefined,
    };
  }
  const stats = new StepStatistics(target, blocks, units, momentum);
  return {
    apply: (k, v, first = 0) => {
      const g = gamma.slice(first, first + v.length);
      if (training) {
        const m = v.map(batchMoments); // per block: [1, H], [1, H]
        stats.record(k, first, m);
        return shift(
          v.map((vb, b) => normalize(vb, m[b]!.mean, m[b]!.variance, g[b]!)),
          first,
        );
      }
      const { mean, variance } = stats.read(k, first, v.length);
      return shift(
        v.map((vb, b) => normalize(vb, mean[b]!, variance[b]!, g[b]!)),
        first,
      );
    },
    finish: (collect) => {
      if (!collect) return stats.update();
      const taken = stats.take();
      if (taken) collect(taken.mean, taken.variance);
    },
  };
}

/** Receives a call's batch statistics of every quantity, as the fast kernels return them. */
export type SequenceStatsCollector = (stats: SequenceNormStats) => void;

/**
 * Ends a call of a cell's normalizers (x, h and the LSTM's c): moves each one's population
 * statistics, or with `collect` hands all of this call's statistics over at once (batch norm;
 * nothing is handed over for layer norm or a call that recorded nothing).
 */
export function finishNormalizers(
  n: { x: StepNormalizer; h: StepNormalizer; c?: StepNormalizer },
  collect?: SequenceStatsCollector,
): void {
  if (!collect) {
    for (const q of [n.x, n.h, n.c]) q?.finish();
    return;
  }
  const got: Partial<SequenceNormStats> = {};
  n.x.finish((mean, variance) => Object.assign(got, { meanX: mean, varianceX: variance }));
  n.h.finish((mean, variance) => Object.assign(got, { meanH: mean, varianceH: variance }));
  n.c?.finish((mean, variance) => Object.assign(got, { meanC: mean, varianceC: variance }));
  if (got.meanX && got.varianceX && got.meanH && got.varianceH) collect(got as SequenceNormStats);
}

/** Batch-norm statistics of one quantity: this call's per step and block, and the moving ones. */
class StepStatistics {
  /** step → per block: kept [mean, variance] ([1, H] each), or undefined. */
  private readonly seen = new Map<number, ([tf.Tensor, tf.Tensor] | undefined)[]>();
  private readonly maxSteps: number;

  constructor(
    private readonly target: NormTarget,
    private readonly blocks: number,
    private readonly units: number,
    private readonly momentum: number,
  ) {
    this.maxSteps = target.movingMean!.shape[0] as number;
  }

  /** Keeps the batch statistics of blocks first.. at step k (steps past maxSteps are not tracked). */
  record(k: number, first: number, m: { mean: tf.Tensor2D; variance: tf.Tensor2D }[]): void {
    if (k >= this.maxSteps) return;
    const row = this.seen.get(k) ?? new Array<[tf.Tensor, tf.Tensor] | undefined>(this.blocks);
    m.forEach((s, b) => {
      tf.dispose(row[first + b] ?? []);
      row[first + b] = [tf.keep(tf.clone(s.mean)), tf.keep(tf.clone(s.variance))];
    });
    this.seen.set(k, row);
  }

  /** The moving statistics of blocks first..first+count−1 at step k. Shapes: count × [H] each. */
  read(k: number, first: number, count: number): { mean: tf.Tensor[]; variance: tf.Tensor[] } {
    const row = Math.min(k, this.maxSteps - 1);
    const blocksOf = (v: tf.LayerVariable) =>
      splitBlocks(tf.slice(v.read(), [row, 0], [1, -1]), this.blocks, this.units).slice(first, first + count); // count × [H]
    return { mean: blocksOf(this.target.movingMean!), variance: blocksOf(this.target.movingVariance!) };
  }

  /** m_k ← μ·m_k + (1 − μ)·stat_k for every recorded step and block; then drops this call's. */
  update(): void {
    if (this.seen.size === 0) return;
    const mu = this.momentum;
    tf.tidy(() => {
      for (const [variable, pick] of [
        [this.target.movingMean!, 0],
        [this.target.movingVariance!, 1],
      ] as const) {
        const old = tf.unstack(variable.read()); // maxSteps × [F]
        const updated = old.map((r, k) => {
          const got = this.seen.get(k);
          if (!got) return r;
          const parts = splitBlocks(r, this.blocks, this.units); // G × [H]
          const mixed = parts.map((p, b) => {
            const s = got[b];
            return s ? tf.add(tf.mul(p, mu), tf.mul(tf.reshape(s[pick], [-1]), 1 - mu)) : p;
          });
          return tf.reshape(tf.stack(mixed), [-1]); // [F]
        });
        variable.write(tf.stack(updated));
      }
    });
    this.drop();
  }

  /**
   * This call's statistics, steps 0..K−1 stacked, then drops them (null when none was recorded).
   * Shapes: mean, variance [K, F].
   */
  take(): { mean: tf.Tensor2D; variance: tf.Tensor2D } | null {
    if (this.seen.size === 0) return null;
    const stacked = (pick: 0 | 1) =>
      tf.tidy(() => {
        const steps = Array.from({ length: this.seen.size }, (_, k) => {
          const row = this.seen.get(k);
          if (!row || row.some((s) => s === undefined)) {
            throw new Error(`batch norm: step ${k} has no statistics for every block (internal error)`);
          }
          return tf.concat(row.map((s) => tf.reshape(s![pick], [-1]))); // [F]
        });
        return tf.stack(steps) as tf.Tensor2D; // [K, F]
      });
    const out = { mean: stacked(0), variance: stacked(1) };
    this.drop();
    return out;
  }

  private drop(): void {
    for (const row of this.seen.values()) for (const s of row) tf.dispose(s ?? []);
    this.seen.clear();
  }
}

/**
 * A vector [G·H] (or [1, G·H]) as its G blocks of [H]. One block is a reshape, not tf.unstack:
 * tfjs's gradient of a one-output unstack receives a lone tensor where it expects an array, and throws.
 */
function splitBlocks(v: tf.Tensor, blocks: number, units: number): tf.Tensor1D[] {
  if (blocks === 1) return [tf.reshape(v, [units])];
  return tf.unstack(tf.reshape(v, [blocks, units])) as tf.Tensor1D[];
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
 * Layer norm with statistics over all blocks together (e.g. the fused [B, 4H] pre-activation).
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
