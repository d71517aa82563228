/**
 * `rl.layers.alphaDropout`: dropout for self-normalizing (SELU) networks.
 */
import * as tf from '@tensorflow/tfjs';
import { alphaDropout as alphaDropoutFn } from '../functional/alpha-dropout.js';
import { checkNoiseShape, resolveNoiseShape, type NoiseShape } from '../functional/noise-shape.js';
import { optionNames } from '../util/validate.js';
import { LAYER_ARGS, StochasticLayer, type StochasticLayerArgs } from './stochastic-layer.js';

export interface AlphaDropoutArgs extends StochasticLayerArgs {
  /** Shape of the keep/drop flags, one entry per input axis; null = the input's size. Default: the input's shape. */
  noiseShape?: NoiseShape | null;
}

/**
 * Alpha dropout (Klambauer et al., 2017, "Self-Normalizing Neural Networks", NeurIPS): Keras's
 * `AlphaDropout`, for SELU networks.
 *
 * Training: m ~ Bernoulli(1 − p) (fresh every training call), x′ = x ⊙ m + α′(1 − m) with
 * α′ = −λα ≈ −1.7581, y = a·x′ + b, a = ((1 − p)(1 + p·α′²))^(−1/2), b = −a·α′·p; inputs with zero
 * mean and unit variance keep them. Inference: y = x.
 *
 * Shapes: input any shape; output the same shape; the batch size may change between calls when
 * the noise shape leaves the batch axis null.
 *
 * `tf.layers.alphaDropout` (tfjs 4.22, layers/noise.js) uses the same formula, but: its
 * `getConfig` drops `noiseShape`, so a saved model loses it; its noise shape cannot contain null,
 * so a noise shape fixes the batch size; rates outside (0, 1) are silently the identity; it takes
 * no seed. This layer serializes `noiseShape`, accepts null entries, rejects rates outside [0, 1)
 * and draws from a seeded `SeedStream`.
 */
export class AlphaDropout extends StochasticLayer {
  static className = 'RegulabAlphaDropout';
  static override readonly options = optionNames<AlphaDropoutArgs>({
    ...LAYER_ARGS,
    rate: true,
    seed: true,
    noiseShape: true,
  });
  readonly noiseShape: (number | null)[] | null;

  constructor(args: AlphaDropoutArgs) {
    super('rl.layers.alphaDropout', args);
    this.noiseShape = checkNoiseShape(this.owner, 'noiseShape', args.noiseShape);
  }

  protected override checkInput(x: tf.Tensor): void {
    resolveNoiseShape(this.owner, x.shape, this.noiseShape);
  }

  protected override perturb(x: tf.Tensor, seed: number): tf.Tensor {
    return alphaDropoutFn(x, this.rate, true, seed, this.noiseShape);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), noiseShape: this.noiseShape };
  }
}
tf.serialization.registerClass(AlphaDropout);

/** Creates an alpha-dropout layer: `rl.layers.alphaDropout({ rate: 0.1 })`. See {@link AlphaDropout}. */
export function alphaDropout(args: AlphaDropoutArgs): AlphaDropout {
  return new AlphaDropout(args);
}
