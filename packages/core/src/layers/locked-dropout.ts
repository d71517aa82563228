/**
 * `rl.layers.lockedDropout`: one dropout mask per sequence, reused at every time step.
 */
import * as tf from '@tensorflow/tfjs';
import { RegulabConfigError } from '../util/validate.js';
import { Dropout } from './dropout.js';
import { StochasticLayer, type StochasticLayerArgs } from './stochastic-layer.js';

export type LockedDropoutArgs = StochasticLayerArgs;

/**
 * Locked (variational) dropout on [batch, time, features] (Gal & Ghahramani, 2016, "A
 * Theoretically Grounded Application of Dropout in Recurrent Neural Networks"; AWD-LSTM's
 * `LockedDropout`, Merity et al., 2018, used between LSTM layers and on their inputs and output).
 *
 * Training: y[b, t, f] = x[b, t, f] · m[b, f] / (1 − p), m ~ Bernoulli(1 − p): the mask has shape
 * [B, 1, F], so a feature dropped for a sequence is dropped at every step of it. A fresh mask is
 * drawn on every training call (every BPTT segment). Inference: y = x.
 *
 * Shapes: input [B, T, F] (batch-major); output [B, T, F]. B and T may change from call to call.
 *
 * Same as `rl.layers.dropout({ rate, noiseShape: [null, 1, null] })`, with a rank check.
 */
export class LockedDropout extends Dropout {
  static override className = 'RegulabLockedDropout';
  /** Dropout's options without `noiseShape` (the mask shape is [B, 1, F]). */
  static override readonly options = StochasticLayer.options;

  constructor(args: LockedDropoutArgs, owner = 'rl.layers.lockedDropout') {
    super(args, owner);
    this.inputSpec = [{ ndim: 3 }];
  }

  protected override maskShape(x: tf.Tensor): number[] {
    if (x.rank !== 3) {
      throw new RegulabConfigError(
        `${this.owner}: input must have rank 3 [batch, time, features], got shape [${x.shape.join(', ')}]`,
      );
    }
    const [batch, , features] = x.shape as number[];
    return [batch, 1, features]; // [B, 1, F]
  }

  override getConfig(): tf.serialization.ConfigDict {
    const { noiseShape: _unused, ...config } = super.getConfig();
    return config;
  }
}
tf.serialization.registerClass(LockedDropout);

/** Creates a locked-dropout layer: `rl.layers.lockedDropout({ rate: 0.4 })`. See {@link LockedDropout}. */
export function lockedDropout(args: LockedDropoutArgs): LockedDropout {
  return new LockedDropout(args);
}
