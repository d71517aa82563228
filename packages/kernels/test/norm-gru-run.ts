/**
 * The normalised GRU run two ways for the agreement tests: through a FusedImpl's op
 * (fusedGruSequence) or through the tfjs reference op with the independent oracle of the
 * normalisation (./norm-oracle.ts). Either gives the outputs, batch norm's per-step statistics
 * (training) and the gradients of a fixed random linear loss of both outputs with respect to every
 * input, γ included.
 */
import * as tf from '@tensorflow/tfjs';
import { fusedGruSequence } from '../src/fused/ops.js';
import type { FusedImpl } from '../src/fused/impl.js';
import { referenceGruSequence } from '../src/reference/gru-sequence.js';
import type { GruSequenceInputs, SequenceNormalization, SequenceNormStats } from '../src/types.js';
import { gruOracle } from './norm-oracle.js';

export type GruNormKind = Pick<SequenceNormalization, 'kind' | 'scope' | 'training'>;

/** Random γ (around 1) and, for batch-norm inference, `rows` rows of moving statistics. */
export function gruNormalization(k: GruNormKind, units: number, rows = 2, seed = 40): SequenceNormalization {
  const F = 3 * units;
  const u = (shape: number[], lo: number, hi: number, s: number) =>
    tf.randomUniform(shape, lo, hi, 'float32', s);
  const n: SequenceNormalization = {
    ...k,
    gammaX: u([F], 0.5, 1.5, seed) as tf.Tensor1D,
    gammaH: u([F], 0.5, 1.5, seed + 1) as tf.Tensor1D,
  };
  if (k.kind === 'batch' && k.training !== true) {
    n.moving = {
      meanX: u([rows, F], -0.3, 0.3, seed + 4) as tf.Tensor2D,
      varianceX: u([rows, F], 0.3, 1.5, seed + 5) as tf.Tensor2D,
      meanH: u([rows, F], -0.3, 0.3, seed + 6) as tf.Tensor2D,
      varianceH: u([rows, F], 0.3, 1.5, seed + 7) as tf.Tensor2D,
    };
  }
  return n;
}

export function gruNormTensors(n: SequenceNormalization): tf.Tensor[] {
  return [n.gammaX, n.gammaH, ...(n.moving ? Object.values(n.moving) : [])].filter(
    (t): t is tf.Tensor => t !== undefined,
  );
}

const INPUTS = ['x', 'h0', 'kernel', 'recurrentKernel', 'bias'] as const;
const NORMS = ['gammaX', 'gammaH'] as const;

/** Outputs, statistics and gradients; `impl` null: the reference op with the oracle. */
export function runGruNorm(
  impl: FusedImpl | null,
  c: GruSequenceInputs,
  n: SequenceNormalization,
): Record<string, Float32Array> {
  const [B, T] = c.x.shape;
  const H = c.recurrentKernel.shape[0];
  let stats: SequenceNormStats | Record<string, unknown> | undefined;
  const call = (ts: tf.Tensor[]) => {
    const inputs = { ...c } as Record<string, unknown>;
    const norm = { ...n } as Record<string, unknown>;
    INPUTS.forEach((k, i) => (inputs[k] = ts[i]));
    NORMS.forEach((k, i) => (norm[k] = ts[INPUTS.length + i]));
    const nn = norm as unknown as SequenceNormalization;
    const gi = inputs as unknown as GruSequenceInputs;
    if (impl) {
      const o = fusedGruSequence(impl, { ...gi, normalization: nn });
      stats = o.batchStats;
      return o;
    }
    const oracle = gruOracle(nn, H, T);
    stats = oracle.stats as unknown as Record<string, unknown>;
    return referenceGruSequence(gi, oracle.hooks);
  };
  const values = [
    ...INPUTS.map((k) => (c as unknown as Record<string, tf.Tensor>)[k]!),
    ...NORMS.map((k) => n[k]),
  ];
  return tf.tidy(() => {
    const ws = tf.randomNormal([B, T, H], 0, 1, 'float32', 99);
    const wh = tf.randomNormal([B, H], 0, 1, 'float32', 98);
    const o = call(values);
    const out: Record<string, Float32Array> = {
      sequence: o.sequence.dataSync() as Float32Array,
      h: o.h.dataSync() as Float32Array,
    };
    if (n.kind === 'batch' && n.training === true)
      for (const [k, v] of Object.entries(stats ?? {}))
        out[`stats.${k}`] = v instanceof tf.Tensor ? (v.dataSync() as Float32Array) : (v as Float32Array);
    const f = (...ts: tf.Tensor[]) => {
      const r = call(ts);
      return tf.add(tf.sum(tf.mul(r.sequence, ws)), tf.sum(tf.mul(r.h, wh))) as tf.Scalar;
    };
    const grads = tf.grads(f)(values);
    [...INPUTS, ...NORMS].forEach((k, i) => (out[`d${k}`] = grads[i]!.dataSync() as Float32Array));
    return out;
  });
}
