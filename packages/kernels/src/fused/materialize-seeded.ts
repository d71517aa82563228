/**
 * Turns seeded zoneout (`zoneoutSeeded`) into ordinary mask specs, for the reference path (which
 * takes masks as tensors). The masks are `zoneoutMaskFromSeed`'s, i.e. exactly the ones the fast
 * kernels draw inside their loops.
 */
import * as tf from '@tensorflow/tfjs';
import type { RecurrentSequenceOptions, SeededZoneout, ZoneoutSpec } from '../types.js';
import { zoneoutMaskFromSeed } from './zoneout-hash.js';

/**
 * Returns a copy of the inputs with `zoneoutSeeded` replaced by `{ kind: 'mask' }` specs, and the
 * mask tensors it created (the caller disposes them). Inputs without seeded zoneout come back as is.
 * Shapes: x [B, T, D]; the masks [T, B, H] with H = units.
 */
export function materializeSeeded<I extends RecurrentSequenceOptions & { x: tf.Tensor3D }>(
  op: string,
  inputs: I,
  units: number,
): { inputs: I; created: tf.Tensor[] } {
  const seeded = inputs.zoneoutSeeded;
  if (seeded === undefined) return { inputs, created: [] };
  const [batch, steps] = inputs.x.shape;
  const created: tf.Tensor[] = [];
  const toMask = (name: string, s: SeededZoneout | undefined, given: ZoneoutSpec | undefined) => {
    if (s === undefined) return given;
    if (given !== undefined) throw new Error(`${op}: give either ${name} or zoneoutSeeded, not both`);
    const mask = tf.tensor3d(zoneoutMaskFromSeed(s.seed, s.rate, steps, batch, units), [steps, batch, units]);
    created.push(mask);
    return { kind: 'mask', mask } as const;
  };
  const zoneoutCell = toMask('zoneoutCell', seeded.cell, inputs.zoneoutCell);
  const zoneoutHidden = toMask('zoneoutHidden', seeded.hidden, inputs.zoneoutHidden);
  return { inputs: { ...inputs, zoneoutSeeded: undefined, zoneoutCell, zoneoutHidden }, created };
}
