/**
 * Random problems shared by the fused-kernel tests: inputs, weights and masks of given sizes,
 * drawn from a seed so every backend sees the same numbers.
 */
import * as tf from '@tensorflow/tfjs';
import type { GruSequenceInputs, LstmSequenceInputs } from '../src/types.js';

export interface CaseOptions {
  batch: number;
  steps: number;
  dim: number;
  units: number;
  seed?: number;
  /** Gal mask: true or 'sequence' [B, H]; 'step' a [T, B, H] tensor; 'seeded' drawn per step from a seed. */
  recurrentMask?: boolean | 'sequence' | 'step' | 'seeded';
  /** Semeniuta mask: [B, H], a [T, B, H] tensor, or drawn per step from a seed. */
  candidate?: 'sequence' | 'step' | 'seeded';
  zoneout?: 'mask' | 'expectation' | 'seeded';
  stepMask?: boolean;
  goBackwards?: boolean;
  activation?: LstmSequenceInputs['activation'];
  recurrentActivation?: LstmSequenceInputs['recurrentActivation'];
}

/** Bernoulli(keep) mask scaled by 1/keep, or plain 0/1 when scale is false. */
function bern(shape: number[], keep: number, seed: number, scale: boolean): tf.Tensor {
  return tf.tidy(() => {
    const m = tf.cast(tf.less(tf.randomUniform(shape, 0, 1, 'float32', seed), keep), 'float32');
    return scale ? tf.div(m, keep) : m;
  });
}

function common(o: CaseOptions, gates: number) {
  const s = o.seed ?? 1;
  const { batch: B, steps: T, dim: D, units: H } = o;
  const stepMask = o.stepMask
    ? tf.tidy(() => {
        // Example b keeps its first T − (b mod 3) steps (right padding), plus a hole at step 1 for b = 1.
        const v = new Float32Array(B * T);
        for (let b = 0; b < B; b++)
          for (let t = 0; t < T; t++) v[b * T + t] = t < T - (b % 3) && !(b === 1 && t === 1) ? 1 : 0;
        return tf.tensor2d(v, [B, T]);
      })
    : undefined;
  return {
    x: tf.randomNormal([B, T, D], 0, 1, 'float32', s) as tf.Tensor3D,
    h0: tf.randomNormal([B, H], 0, 0.5, 'float32', s + 1) as tf.Tensor2D,
    kernel: tf.randomNormal([D, gates * H], 0, 0.5, 'float32', s + 2) as tf.Tensor2D,
    recurrentKernel: tf.randomNormal([H, gates * H], 0, 0.5, 'float32', s + 3) as tf.Tensor2D,
    recurrentMask:
      o.recurrentMask === 'step'
        ? (bern([T, B, H], 0.75, s + 5, true) as tf.Tensor3D)
        : o.recurrentMask === true || o.recurrentMask === 'sequence'
          ? (bern([B, H], 0.75, s + 5, true) as tf.Tensor2D)
          : undefined,
    candidateMask:
      o.candidate === 'step' || o.candidate === 'sequence'
        ? ((o.candidate === 'step' ? bern([T, B, H], 0.8, s + 6, true) : bern([B, H], 0.8, s + 6, true)) as
            tf.Tensor2D | tf.Tensor3D)
        : undefined,
    dropoutSeeded:
      o.recurrentMask === 'seeded' || o.candidate === 'seeded'
        ? {
            recurrent: o.recurrentMask === 'seeded' ? { rate: 0.25, seed: s + 20 } : undefined,
            candidate: o.candidate === 'seeded' ? { rate: 0.2, seed: s + 21 } : undefined,
          }
        : undefined,
    stepMask,
    goBackwards: o.goBackwards,
    activation: o.activation,
    recurrentActivation: o.recurrentActivation,
  };
}

function zoneouts(o: CaseOptions, lstm: boolean): Partial<LstmSequenceInputs> {
  const s = (o.seed ?? 1) + 10;
  const shape = [o.steps, o.batch, o.units];
  switch (o.zoneout) {
    case 'mask':
      return {
        zoneoutCell: lstm ? { kind: 'mask', mask: bern(shape, 0.5, s, false) as tf.Tensor3D } : undefined,
        zoneoutHidden: { kind: 'mask', mask: bern(shape, 0.3, s + 1, false) as tf.Tensor3D },
      };
    case 'expectation':
      return {
        zoneoutCell: lstm ? { kind: 'expectation', rate: 0.5 } : undefined,
        zoneoutHidden: { kind: 'expectation', rate: 0.3 },
      };
    case 'seeded':
      return {
        zoneoutSeeded: {
          cell: lstm ? { rate: 0.5, seed: s } : undefined,
          hidden: { rate: 0.3, seed: s + 1 },
        },
      };
    default:
      return {};
  }
}

export function lstmCase(o: CaseOptions): LstmSequenceInputs {
  const s = o.seed ?? 1;
  return {
    ...common(o, 4),
    c0: tf.randomNormal([o.batch, o.units], 0, 0.5, 'float32', s + 7) as tf.Tensor2D,
    bias: tf.randomNormal([4 * o.units], 0, 0.5, 'float32', s + 8) as tf.Tensor1D,
    ...zoneouts(o, true),
  };
}

export function gruCase(o: CaseOptions, resetAfter: boolean): GruSequenceInputs {
  const s = o.seed ?? 1;
  const bias = resetAfter
    ? (tf.randomNormal([2, 3 * o.units], 0, 0.5, 'float32', s + 8) as tf.Tensor2D)
    : (tf.randomNormal([3 * o.units], 0, 0.5, 'float32', s + 8) as tf.Tensor1D);
  return { ...common(o, 3), bias, resetAfter, ...zoneouts(o, false) };
}

/** Every tensor inside a case (for disposal). */
export function caseTensors(c: object): tf.Tensor[] {
  const out: tf.Tensor[] = [];
  for (const v of Object.values(c)) {
    if (v instanceof tf.Tensor) out.push(v);
    else if (v && typeof v === 'object' && 'mask' in v && v.mask instanceof tf.Tensor) out.push(v.mask);
  }
  return out;
}
