/**
 * Spatial dropout for 2-D feature maps: whole channels dropped, not pixels.
 */
import type * as tf from '@tensorflow/tfjs';
import { checkOneOf, checkRate, RegulabConfigError } from '../util/validate.js';
import { dropout, type CallSeed } from './dropout.js';

/** Where the channel axis of an image batch is: Keras's and tfjs's `dataFormat`. */
export type DataFormat = 'channelsLast' | 'channelsFirst';

export const DATA_FORMATS: readonly DataFormat[] = ['channelsLast', 'channelsFirst'];

/** The four sizes of an image batch, whichever axis holds the channels. */
export interface ImageDims {
  batch: number;
  height: number;
  width: number;
  channels: number;
}

/**
 * The sizes of a rank-4 image batch in `dataFormat`; any other rank is a `RegulabConfigError`
 * naming `owner`, the expected layout and the shape.
 *
 * Shapes: channelsLast [B, H, W, C]; channelsFirst [B, C, H, W].
 */
export function imageDims(owner: string, shape: readonly number[], dataFormat: DataFormat): ImageDims {
  if (shape.length !== 4) {
    const layout =
      dataFormat === 'channelsLast' ? 'batch, height, width, channels' : 'batch, channels, height, width';
    throw new RegulabConfigError(
      `${owner}: input must have rank 4 [${layout}], got shape [${shape.join(', ')}]`,
    );
  }
  const [batch, a, b, c] = shape as [number, number, number, number];
  return dataFormat === 'channelsLast'
    ? { batch, height: a, width: b, channels: c }
    : { batch, channels: a, height: b, width: c };
}

/**
 * The mask shape of spatial dropout 2-D for an input of shape `shape`: one draw per (example,
 * channel), shared over the H × W positions. `owner` names the caller in errors.
 *
 * Shapes: channelsLast [B, H, W, C] → [B, 1, 1, C]; channelsFirst [B, C, H, W] → [B, C, 1, 1].
 */
export function spatialMaskShape2d(
  owner: string,
  shape: readonly number[],
  dataFormat: DataFormat,
): number[] {
  const { batch, channels } = imageDims(owner, shape, dataFormat);
  return dataFormat === 'channelsLast' ? [batch, 1, 1, channels] : [batch, channels, 1, 1];
}

/** Checks a `dataFormat` option; absent means 'channelsLast' (the tfjs default). */
export function checkDataFormat(owner: string, value: unknown): DataFormat {
  return value == null ? 'channelsLast' : checkOneOf(owner, 'dataFormat', value, DATA_FORMATS);
}

/**
 * Spatial dropout 2-D (Tompson et al., 2015, "Efficient Object Localization Using Convolutional
 * Networks", CVPR; Keras's `SpatialDropout2D`, PyTorch's `nn.Dropout2d`).
 *
 * Training: y[b, i, j, c] = x[b, i, j, c] · m[b, c] / (1 − p), m ~ Bernoulli(1 − p): a dropped
 * channel is zero over the whole feature map of that example. Neighbouring pixels of a conv
 * feature map are strongly correlated, so element-wise dropout barely removes information there;
 * dropping whole maps does. E[y] = x.
 * Inference (`training` false) or p = 0: y = x (the input tensor itself).
 *
 * Shapes: x [B, H, W, C] (channelsLast, the default) or [B, C, H, W] (channelsFirst) → same shape;
 * the mask is [B, 1, 1, C] or [B, C, 1, 1].
 *
 * The same `seed` gives the same mask (the draw is dropout's: uniform(seed) < 1 − p on the mask
 * shape). Throws `RegulabConfigError` for p outside [0, 1), an input that is not rank 4, or an
 * unknown data format.
 */
export function spatialDropout2d(
  x: tf.Tensor,
  rate: number,
  training: boolean,
  seed?: CallSeed,
  dataFormat: DataFormat = 'channelsLast',
): tf.Tensor {
  const owner = 'rl.functional.spatialDropout2d';
  checkRate(owner, 'rate', rate);
  const maskShape = spatialMaskShape2d(owner, x.shape, checkDataFormat(owner, dataFormat)); // [B, 1, 1, C] | [B, C, 1, 1]
  return dropout(x, rate, training, seed, maskShape); // x's shape
}
