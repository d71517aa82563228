/**
 * `rl.layers.spatialDropout2d`: drops whole feature maps of an image batch.
 */
import * as tf from '@tensorflow/tfjs';
import { checkDataFormat, type DataFormat, spatialMaskShape2d } from '../functional/spatial-dropout-2d.js';
import { optionNames } from '../util/validate.js';
import { Dropout } from './dropout.js';
import { LAYER_ARGS, type StochasticLayerArgs } from './stochastic-layer.js';

export interface SpatialDropout2dArgs extends StochasticLayerArgs {
  /** 'channelsLast' ([B, H, W, C], the default, as tfjs's conv layers) or 'channelsFirst' ([B, C, H, W]). */
  dataFormat?: DataFormat;
}

/**
 * Spatial dropout for 2-D feature maps (Tompson et al., 2015, CVPR): Keras's `SpatialDropout2D`,
 * PyTorch's `nn.Dropout2d`. Put it after a convolution, where element-wise dropout is weak
 * because neighbouring pixels are correlated.
 *
 * Training: y[b, i, j, c] = x[b, i, j, c] · m[b, c] / (1 − p), m ~ Bernoulli(1 − p): mask
 * [B, 1, 1, C] (channelsLast) or [B, C, 1, 1] (channelsFirst), so a dropped channel is zero over
 * the whole H × W map of that example. A fresh mask is drawn on every training call. Inference: y = x.
 *
 * Shapes: input [B, H, W, C] or [B, C, H, W]; output the same shape; B, H and W may change from
 * call to call.
 *
 * tfjs 4.22 has no spatialDropout2d (only 1-D); `tf.layers.dropout({ noiseShape: [null, 1, 1, null] })`
 * draws the same mask shape but keeps tfjs dropout's defects (a rate of 1 silently off, a seed
 * reusing one mask forever). Here the rate is checked and each call draws a fresh seeded mask.
 */
export class SpatialDropout2d extends Dropout {
  static override className = 'RegulabSpatialDropout2D';
  /** The stochastic layers' options and `dataFormat` (the mask shape follows from it: no `noiseShape`). */
  static override readonly options = optionNames<SpatialDropout2dArgs>({
    ...LAYER_ARGS,
    rate: true,
    seed: true,
    dataFormat: true,
  });
  readonly dataFormat: DataFormat;

  constructor(args: SpatialDropout2dArgs) {
    super(args, 'rl.layers.spatialDropout2d');
    this.dataFormat = checkDataFormat(this.owner, args.dataFormat);
    this.inputSpec = [{ ndim: 4 }];
  }

  protected override maskShape(x: tf.Tensor): number[] {
    return spatialMaskShape2d(this.owner, x.shape, this.dataFormat); // [B, 1, 1, C] | [B, C, 1, 1]
  }

  override getConfig(): tf.serialization.ConfigDict {
    const { noiseShape: _unused, ...config } = super.getConfig();
    return { ...config, dataFormat: this.dataFormat };
  }
}
tf.serialization.registerClass(SpatialDropout2d);

/** Creates a spatial-dropout layer for image batches. See {@link SpatialDropout2d}. */
export function spatialDropout2d(args: SpatialDropout2dArgs): SpatialDropout2d {
  return new SpatialDropout2d(args);
}
