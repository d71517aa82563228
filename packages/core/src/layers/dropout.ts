/**
 * `rl.layers.dropout`: inverted dropout, the layer.
 */
import * as tf from '@tensorflow/tfjs';
import { dropout as dropoutFn } from '../functional/dropout.js';
import { checkNoiseShape, resolveNoiseShape, type NoiseShape } from '../functional/noise-shape.js';
import { optionNames } from '../util/validate.js';
import { LAYER_ARGS, StochasticLayer, type StochasticLayerArgs } from './stochastic-layer.js';

export interface DropoutArgs extends StochasticLayerArgs {
  /**
   * Shape of the mask, one entry per input axis (batch first): null = the input's size, 1 = one
   * draw shared along that axis. E.g. `[null, 1, null]` on [B, T, F] is locked dropout. Default:
   * the input's shape.
   */
  noiseShape?: NoiseShape | null;
}

/**
 * Inverted dropout (Srivastava et al., 2014, JMLR 15): PyTorch's `nn.Dropout`, Keras's `Dropout`.
 *
 * Training: y = x ⊙ m / (1 − p), m ~ Bernoulli(1 − p) on the noise shape, broadcast against x;
 * each training call draws a fresh mask. Inference: y = x.
 *
 * Shapes: input any shape [B, …]; output the same shape. The batch size may change from call to
 * call (null entries of `noiseShape` follow the input).
 *
 * Differences from `tf.layers.dropout` (tfjs 4.22, layers/core.js): tfjs clamps the rate into
 * [0, 1] without a word, so `rate: 1` (or 1.5) silently disables dropout and a negative rate
 * becomes 0; here they are `RegulabConfigError`s. tfjs passes its `seed` unchanged to every call,
 * so a seeded tfjs dropout applies the same mask at every training step; here the seed starts a
 * `SeedStream` and each call draws a new, reproducible mask.
 */
export class Dropout extends StochasticLayer {
  static className = 'RegulabDropout';
  static override readonly options = optionNames<DropoutArgs>({
    ...LAYER_ARGS,
    rate: true,
    seed: true,
    noiseShape: true,
  });
  readonly noiseShape: (number | null)[] | null;

  /** `owner`: the factory name errors cite; variants pass theirs. */
  constructor(args: DropoutArgs, owner = 'rl.layers.dropout') {
    super(owner, args);
    this.noiseShape = checkNoiseShape(this.owner, 'noiseShape', args.noiseShape);
  }

  /** The mask shape for input x: the one hook the variants override. */
  protected maskShape(x: tf.Tensor): number[] {
    return resolveNoiseShape(this.owner, x.shape, this.noiseShape);
  }

  protected override checkInput(x: tf.Tensor): void {
    this.maskShape(x);
  }

  protected override perturb(x: tf.Tensor, seed: number): tf.Tensor {
    return dropoutFn(x, this.rate, true, seed, this.maskShape(x));
  }

  /** A noise shape of 1 on the batch axis shares one mask across the batch (see BatchSharedNoise). */
  sharesNoiseAcrossBatch(): boolean {
    return this.rate > 0 && this.noiseShape?.[0] === 1;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), noiseShape: this.noiseShape };
  }
}
tf.serialization.registerClass(Dropout);

/** Creates an inverted-dropout layer: `rl.layers.dropout({ rate: 0.5 })`. See {@link Dropout}. */
export function dropout(args: DropoutArgs): Dropout {
  return new Dropout(args);
}
