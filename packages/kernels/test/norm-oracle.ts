/**
 * An independent oracle of the normalised fused ops (SequenceNormalization): step hooks for the
 * tfjs reference op (LstmStepHooks / GruStepHooks) written here with tf.moments over whole column
 * ranges, not with the kernels' code nor core's step-normalization.ts. Records the batch
 * statistics (batch norm training) per processing step as the kernels return them.
 *
 *   layer: N(v) = γ ⊙ (v − μ)/√(σ² + ε) (+ β), μ, σ² over each row of the blocks handed over
 *          ('fused') or over each H-wide block ('gate')
 *   batch: μ, σ² over the batch per feature (training, recorded), or the moving row min(k, rows − 1)
 * Shapes: blocks G' × [B, H] starting at gate `first`; γ, β [F]; statistics [T, F].
 */
import * as tf from '@tensorflow/tfjs';
import type { GruStepHooks } from '../src/reference/gru-sequence.js';
import type { LstmStepHooks } from '../src/reference/lstm-sequence.js';
import type { SequenceNormalization } from '../src/types.js';

export interface RecordedStats {
  meanX: Float32Array;
  varianceX: Float32Array;
  meanH: Float32Array;
  varianceH: Float32Array;
  meanC?: Float32Array;
  varianceC?: Float32Array;
}

type Which = 'X' | 'H' | 'C';

/** Normalises blocks first.. of quantity `which` at step k (records batch statistics into rec). */
function normalizer(n: SequenceNormalization, units: number, steps: number, rec: RecordedStats) {
  const eps = n.epsilon ?? 1e-3;
  return (which: Which, k: number, v: tf.Tensor2D[], first: number): tf.Tensor2D[] => {
    const gamma = which === 'X' ? n.gammaX : which === 'H' ? n.gammaH : n.gammaC!;
    const width = v.length * units;
    const all = (v.length === 1 ? v[0]! : tf.concat(v, 1)) as tf.Tensor2D; // [B, width]
    const g = tf.slice(gamma, [first * units], [width]);
    let xhat: tf.Tensor;
    if (n.kind === 'layer') {
      const ln = (u: tf.Tensor2D) => {
        const { mean, variance } = tf.moments(u, 1, true);
        return tf.div(tf.sub(u, mean), tf.sqrt(tf.add(variance, eps)));
      };
      // One block is not split: tfjs's gradient of a one-piece split (SplitV) throws.
      xhat = n.scope === 'gate' && v.length > 1 ? tf.concat(v.map(ln), 1) : ln(all);
    } else {
      let mean: tf.Tensor;
      let variance: tf.Tensor;
      if (n.training === true) {
        ({ mean, variance } = tf.moments(all, 0));
        const F = (rec[`mean${which}`] as Float32Array).length / steps;
        (rec[`mean${which}`] as Float32Array).set(mean.dataSync(), k * F + first * units);
        (rec[`variance${which}`] as Float32Array).set(variance.dataSync(), k * F + first * units);
      } else {
        const m = n.moving!;
        const mm = m[`mean${which}`]!;
        const row = Math.min(k, mm.shape[0] - 1);
        mean = tf.slice(mm, [row, first * units], [1, width]);
        variance = tf.slice(m[`variance${which}`]!, [row, first * units], [1, width]);
      }
      xhat = tf.div(tf.sub(all, mean), tf.sqrt(tf.add(variance, eps)));
    }
    let y = tf.mul(xhat, g);
    if (which === 'C') y = tf.add(y, n.betaC!);
    return v.length === 1 ? [y as tf.Tensor2D] : (tf.split(y, v.length, 1) as tf.Tensor2D[]);
  };
}

function emptyStats(steps: number, width: number, cell: number): RecordedStats {
  const s: RecordedStats = {
    meanX: new Float32Array(steps * width),
    varianceX: new Float32Array(steps * width),
    meanH: new Float32Array(steps * width),
    varianceH: new Float32Array(steps * width),
  };
  if (cell > 0) {
    s.meanC = new Float32Array(steps * cell);
    s.varianceC = new Float32Array(steps * cell);
  }
  return s;
}

/** LSTM hooks of a normalisation, and the statistics they record. */
export function lstmOracle(
  n: SequenceNormalization,
  units: number,
  steps: number,
): { hooks: LstmStepHooks; stats: RecordedStats } {
  const stats = emptyStats(steps, 4 * units, units);
  const norm = normalizer(n, units, steps, stats);
  return {
    stats,
    hooks: {
      normInput: (k, v) => norm('X', k, v, 0),
      normRecurrent: (k, v) => norm('H', k, v, 0),
      normCell: (k, c) => norm('C', k, [c], 0)[0]!,
    },
  };
}

/** GRU hooks of a normalisation, and the statistics they record. */
export function gruOracle(
  n: SequenceNormalization,
  units: number,
  steps: number,
): { hooks: GruStepHooks; stats: RecordedStats } {
  const stats = emptyStats(steps, 3 * units, 0);
  const norm = normalizer(n, units, steps, stats);
  return {
    stats,
    hooks: {
      normInput: (k, v) => norm('X', k, v, 0),
      normRecurrent: (k, v, first) => norm('H', k, v, first),
    },
  };
}
