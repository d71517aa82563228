/**
 * `rl.layers.spatialDropout1d`: drops whole feature channels of a 1-D signal.
 */
import * as tf from '@tensorflow/tfjs';
import { LockedDropout, type LockedDropoutArgs } from './locked-dropout.js';

export type SpatialDropout1dArgs = LockedDropoutArgs;

/**
 * Spatial dropout for 1-D feature maps (Tompson et al., 2015, "Efficient Object Localization Using
 * Convolutional Networks", CVPR): Keras's `SpatialDropout1D`, channels last.
 *
 * Training: y[b, t, c] = x[b, t, c] · m[b, c] / (1 − p), m ~ Bernoulli(1 − p): mask [B, 1, C], so
 * a dropped channel is zero along the whole length of the signal (adjacent positions of a conv
 * feature map are strongly correlated, so element-wise dropout would barely regularize them).
 * A fresh mask is drawn on every training call. Inference: y = x.
 *
 * Shapes: input [B, L, C]; output [B, L, C]; B and L may change from call to call.
 *
 * The mask has the shape of locked dropout's ([B, 1, F]); the two differ in intent (channels of a
 * convolution vs. features of a recurrent sequence), not in arithmetic.
 *
 * `tf.layers.spatialDropout1d` (tfjs 4.22) draws the right mask shape but inherits tfjs dropout's
 * defects: a rate of 1 (or more) is clamped and silently disables it, and a `seed` makes every
 * training call reuse one mask. Regulab rejects such rates and draws a fresh seeded mask per call.
 */
export class SpatialDropout1d extends LockedDropout {
  static override className = 'RegulabSpatialDropout1D';

  constructor(args: SpatialDropout1dArgs) {
    super(args, 'rl.layers.spatialDropout1d');
  }
}
tf.serialization.registerClass(SpatialDropout1d);

/** Creates a spatial-dropout layer for [B, L, C] inputs. See {@link SpatialDropout1d}. */
export function spatialDropout1d(args: SpatialDropout1dArgs): SpatialDropout1d {
  return new SpatialDropout1d(args);
}
