/** Shape checks shared by the fused recurrent ops: errors name the op, the tensor and both shapes. */
import type * as tf from '@tensorflow/tfjs';
import type { RecurrentSequenceOptions, ZoneoutSpec } from '../types.js';

/**
 * Checks x's rank, the listed weight/state shapes, and the optional masks against
 * B, T (from x) and H (units). Throws an Error naming the first mismatch.
 */
export function checkShapes(
  op: string,
  inputs: RecurrentSequenceOptions & { x: tf.Tensor3D },
  units: number,
  want: [string, number[], number[]][],
): void {
  const { x } = inputs;
  if (x.rank !== 3)
    throw new Error(`${op}: x must be [batch, time, features], got shape [${x.shape.join(', ')}]`);
  const [batch, steps] = x.shape;
  const all = [...want];
  const masks = [
    ['recurrentMask', inputs.recurrentMask],
    ['candidateMask', inputs.candidateMask],
  ] as const;
  for (const [name, m] of masks) {
    if (m) all.push([name, m.shape, m.rank === 2 ? [batch, units] : [steps, batch, units]]);
  }
  const zoneouts: [string, ZoneoutSpec | undefined][] = [
    ['zoneoutCell', inputs.zoneoutCell],
    ['zoneoutHidden', inputs.zoneoutHidden],
  ];
  for (const [name, spec] of zoneouts) {
    if (spec?.kind === 'mask') all.push([`${name}.mask`, spec.mask.shape, [steps, batch, units]]);
    if (spec?.kind === 'expectation' && !(spec.rate >= 0 && spec.rate <= 1)) {
      throw new Error(`${op}: ${name}.rate must lie in [0, 1], got ${spec.rate}`);
    }
  }
  if (inputs.stepMask) all.push(['stepMask', inputs.stepMask.shape, [batch, steps]]);
  for (const [name, got, expected] of all) {
    if (got.length !== expected.length || got.some((d, j) => d !== expected[j])) {
      throw new Error(`${op}: ${name} must have shape [${expected.join(', ')}], got [${got.join(', ')}]`);
    }
  }
}
