/**
 * Turns seeded zoneout (`zoneoutSeeded`) and seeded per-step dropout (`dropoutSeeded`) into
 * ordinary masks, for the reference path (which takes masks as tensors). The masks are
 * `zoneoutMaskFromSeed`'s and `dropoutMaskFromSeed`'s, i.e. exactly the ones the fast kernels draw.
 */
import * as tf from '@tensorflow/tfjs';
import type { RecurrentSequenceOptions, SeededDropout, SeededZoneout, ZoneoutSpec } from '../types.js';
import { dropoutMaskFromSeed } from './dropout-hash.js';
import { zoneoutMaskFromSeed } from './zoneout-hash.js';

/**
 * Returns a copy of the inputs with `zoneoutSeeded` replaced by `{ kind: 'mask' }` specs and
 * `dropoutSeeded` by [T, B, H] recurrentMask / candidateMask tensors, and the mask tensors it
 * created (the caller disposes them). Inputs without seeded masks come back as is.
 * Shapes: x [B, T, D]; the masks [T, B, H] with H = units.
 */
export function materializeSeeded<I extends RecurrentSequenceOptions & { x: tf.Tensor3D }>(
  op: string,
  inputs: I,
  units: number,
): { inputs: I; created: tf.Tensor[] } {
  const seeded = inputs.zoneoutSeeded;
  const dropout = inputs.dropoutSeeded;
  if (seeded === undefined && dropout === undefined) return { inputs, created: [] };
  const [batch, steps] = inputs.x.shape;
  const created: tf.Tensor[] = [];
  const toDropout = (name: string, s: SeededDropout | undefined, given: tf.Tensor | undefined) => {
    if (s === undefined) return given;
    if (given !== undefined) throw new Error(`${op}: give either ${name} or dropoutSeeded, not both`);
    const mask = tf.tensor3d(dropoutMaskFromSeed(s.seed, s.rate, steps, batch, units), [steps, batch, units]);
    created.push(mask);
    return mask;
  };
  const recurrentMask = toDropout('recurrentMask', dropout?.recurrent, inputs.recurrentMask);
  const candidateMask = toDropout('candidateMask', dropout?.candidate, inputs.candidateMask);
  const toMask = (name: string, s: SeededZoneout | undefined, given: ZoneoutSpec | undefined) => {
    if (s === undefined) return given;
    if (given !== undefined) throw new Error(`${op}: give either ${name} or zoneoutSeeded, not both`);
    const mask = tf.tensor3d(zoneoutMaskFromSeed(s.seed, s.rate, steps, batch, units), [steps, batch, units]);
    created.push(mask);
    return { kind: 'mask', mask } as const;
  };
  const zoneoutCell = toMask('zoneoutCell', seeded?.cell, inputs.zoneoutCell);
  const zoneoutHidden = toMask('zoneoutHidden', seeded?.hidden, inputs.zoneoutHidden);
  return {
    inputs: {
      ...inputs,
      zoneoutSeeded: undefined,
      zoneoutCell,
      zoneoutHidden,
      dropoutSeeded: undefined,
      recurrentMask,
      candidateMask,
    },
    created,
  };
}
