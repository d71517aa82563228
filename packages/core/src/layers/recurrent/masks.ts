/**
 * The random masks of one call of a recurrent layer, drawn from that call's seed.
 *
 * | technique                  | mask            | drawn                    |
 * | -------------------------- | --------------- | ------------------------ |
 * | Gal input dropout          | [B, D], 0 or 1/(1−p) | once per call, all steps |
 * | Gal recurrent dropout      | [B, H] ('sequence') or [T, B, H] ('step'), 0 or 1/(1−p) | per call |
 * | Semeniuta (candidate)      | [T, B, H] ('step') or [B, H] ('sequence'), 0 or 1/(1−p) | per call |
 *
 * 'sequence' / 'step' is `recurrentDropoutMask`; its default is each mode's paper ('gal':
 * 'sequence', 'semeniuta': 'step'). Step k of a [T, B, H] mask is processing step k. A 'step'
 * mask is not materialised here either: the op receives `{rate, seed}` (`dropoutSeeded`) and
 * draws it with `dropoutMaskFromSeed` (inside the fast kernels; as a tensor in the reference op).
 * | zoneout (cell, hidden)     | [T, B, H], 1 = keep with probability z, no rescaling | per step |
 *
 * Zoneout masks are not materialised here: the op receives `{rate, seed}` (`zoneoutSeeded`) and
 * draws them with `zoneoutMaskFromSeed` (inside the fast kernels' loops; as a tensor in the
 * reference op), so every backend sees the same masks.
 * | weight-drop (DropConnect)  | [H, G·H], 0 or 1/(1−p), shared by batch and steps | once per call |
 *
 * Masks exist only when training (zoneout 'stochastic' also draws at inference); every call of a
 * layer draws fresh ones from `SeedStream.next()`, each kind from its own fork of that call's
 * seed, so turning one technique on or off never shifts another's masks.
 */
import * as tf from '@tensorflow/tfjs';
import type { SeededDropout, SeededZoneout, ZoneoutSpec } from '@regulab/kernels';
import { invertedMask } from '../../random/bernoulli.js';
import { SeedStream } from '../../random/seed-stream.js';
import type { ResolvedRecurrentOptions } from './options.js';

export interface CallMasks {
  input?: tf.Tensor2D; // [B, D]
  recurrent?: tf.Tensor2D; // [B, H] ('sequence')
  candidate?: tf.Tensor2D; // [B, H] ('sequence')
  /** 'step' recurrent dropout: masks [T, B, H] drawn by the op from these seeds. */
  dropoutSeeded?: { recurrent?: SeededDropout; candidate?: SeededDropout };
  /** Inference expectation (the training masks travel as `zoneoutSeeded`). */
  zoneoutCell?: ZoneoutSpec;
  zoneoutHidden?: ZoneoutSpec;
  /** Training (or 'stochastic' inference) zoneout: masks [T, B, H] drawn by the op from these seeds. */
  zoneoutSeeded?: { cell?: SeededZoneout; hidden?: SeededZoneout };
  weightDrop?: tf.Tensor2D; // [H, G·H]
}

export interface MaskRequest {
  options: ResolvedRecurrentOptions;
  zoneoutCell: number; // 0 for the GRU
  zoneoutHidden: number;
  /** Draw the training masks: a training call, or an inference call under Monte Carlo sampling. */
  training: boolean;
  batch: number;
  steps: number;
  inputDim: number;
  /** Gates: 4 (LSTM) or 3 (GRU). */
  gates: number;
}

/** Draws this call's masks (the caller disposes them). `callSeed` comes from the layer's SeedStream. */
export function drawCallMasks(req: MaskRequest, callSeed: number): CallMasks {
  const { options: o, training, batch, inputDim } = req;
  const units = o.units;
  const seeds = new SeedStream(callSeed);
  const seedOf = (kind: string): number => seeds.fork(kind).next();
  const masks: CallMasks = {};
  if (training && o.dropout > 0) {
    masks.input = invertedMask([batch, inputDim], o.dropout, seedOf('input')) as tf.Tensor2D;
  }
  if (training && o.recurrentDropout > 0) {
    const kind = o.recurrentDropoutMode === 'gal' ? 'recurrent' : 'candidate';
    if (o.recurrentDropoutMask === 'step')
      masks.dropoutSeeded = { [kind]: { rate: o.recurrentDropout, seed: seedOf(kind) } };
    else masks[kind] = invertedMask([batch, units], o.recurrentDropout, seedOf(kind)) as tf.Tensor2D;
  }
  if (training && o.weightDrop > 0) {
    masks.weightDrop = invertedMask(
      [units, req.gates * units],
      o.weightDrop,
      seedOf('weightDrop'),
    ) as tf.Tensor2D;
  }
  const random = req.training || o.zoneoutAtInference === 'stochastic';
  if (random && (req.zoneoutCell > 0 || req.zoneoutHidden > 0)) {
    masks.zoneoutSeeded = {};
    if (req.zoneoutCell > 0)
      masks.zoneoutSeeded.cell = { rate: req.zoneoutCell, seed: seedOf('zoneoutCell') };
    if (req.zoneoutHidden > 0)
      masks.zoneoutSeeded.hidden = { rate: req.zoneoutHidden, seed: seedOf('zoneoutHidden') };
  } else if (o.zoneoutAtInference === 'expectation') {
    // Inference: the expectation s_t = z·s_{t−1} + (1 − z)·s̃_t ('off': nothing).
    if (req.zoneoutCell > 0) masks.zoneoutCell = { kind: 'expectation', rate: req.zoneoutCell };
    if (req.zoneoutHidden > 0) masks.zoneoutHidden = { kind: 'expectation', rate: req.zoneoutHidden };
  }
  return masks;
}

/** Disposes the tensors of a CallMasks. */
export function disposeMasks(m: CallMasks): void {
  const ts: tf.Tensor[] = [];
  for (const t of [m.input, m.recurrent, m.candidate, m.weightDrop]) if (t) ts.push(t);
  for (const z of [m.zoneoutCell, m.zoneoutHidden]) if (z?.kind === 'mask') ts.push(z.mask);
  tf.dispose(ts);
}

/**
 * Applies a per-sequence input mask to a whole sequence: x_t ⊙ m for every t.
 * Shapes: x [B, T, D], mask [B, D] → [B, T, D].
 */
export function applySequenceMask(x: tf.Tensor3D, mask: tf.Tensor2D | undefined): tf.Tensor3D {
  if (mask === undefined) return x;
  const [batch, steps] = x.shape;
  // The mask repeated over time by a batched rank-1 matmul, then a same-shape multiply: tfjs's
  // CPU backend broadcasts ([B, T, D] ⊙ [B, 1, D]) element by element, many times slower.
  const repeated = tf.matMul(tf.ones([batch, steps, 1]), tf.expandDims(mask, 1)); // [B, T, D]
  return tf.mul(x, repeated);
}
