/**
 * `rl.layers.dropBlock`: DropBlock, the layer, with the paper's linear rate schedule.
 */
import * as tf from '@tensorflow/tfjs';
import { checkMap, dropBlock as dropBlockFn } from '../functional/drop-block.js';
import { checkDataFormat, type DataFormat } from '../functional/spatial-dropout-2d.js';
import { samplingActive } from '../inference/sampling-context.js';
import { checkPositiveInt, optionNames } from '../util/validate.js';
import { LAYER_ARGS, StochasticLayer, type StochasticLayerArgs } from './stochastic-layer.js';

export interface DropBlockArgs extends StochasticLayerArgs {
  /** Side of the dropped squares, in positions of the feature map (the paper's best: 7 on ResNet-50's last groups). */
  blockSize: number;
  /** 'channelsLast' ([B, H, W, C], the default) or 'channelsFirst' ([B, C, H, W]). */
  dataFormat?: DataFormat;
  /**
   * Training calls over which the rate rises linearly from 0 to `rate` (the paper's schedule:
   * keep_prob falls from 1 to its target); 0 (default): the full rate from the first call.
   */
  warmupSteps?: number;
}

/**
 * DropBlock (Ghiasi, Lin & Le, 2018, NeurIPS): drops bs × bs squares of each feature map, so the
 * network cannot recover a dropped unit from its correlated neighbours. Put it after convolutions.
 *
 * Training call k (1-based) uses the rate p_k = rate · min(1, k / warmupSteps) (rate itself when
 * warmupSteps is 0) and `rl.functional.dropBlock(x, p_k, blockSize, true, seed_k, dataFormat)`:
 * block centres ~ Bernoulli(γ) where a whole block fits, M = 0 inside the blocks, y = x ⊙ M ·
 * count(M)/count_ones(M). k counts this layer's training calls, which its `SeedStream` already
 * counts, so a run that restores `seeds.state` resumes the schedule where it was. Inference: y = x
 * (Monte Carlo sampling with `rl.inference.mcPredict`: the full `rate`, whatever the schedule).
 *
 * Shapes: input [B, H, W, C] or [B, C, H, W] with H, W ≥ blockSize; output the same shape.
 *
 * TensorFlow.js 4.22 has no DropBlock.
 */
export class DropBlock extends StochasticLayer {
  static className = 'RegulabDropBlock';
  static override readonly options = optionNames<DropBlockArgs>({
    ...LAYER_ARGS,
    rate: true,
    seed: true,
    blockSize: true,
    dataFormat: true,
    warmupSteps: true,
  });
  readonly blockSize: number;
  readonly dataFormat: DataFormat;
  readonly warmupSteps: number;

  constructor(args: DropBlockArgs) {
    super('rl.layers.dropBlock', args);
    this.blockSize = checkPositiveInt(this.owner, 'blockSize', args.blockSize);
    this.dataFormat = checkDataFormat(this.owner, args.dataFormat);
    // 0 or absent: no warm-up; otherwise a positive number of training calls.
    this.warmupSteps =
      args.warmupSteps == null || args.warmupSteps === 0
        ? 0
        : checkPositiveInt(this.owner, 'warmupSteps', args.warmupSteps);
    this.inputSpec = [{ ndim: 4 }];
  }

  /** The rate of training call `call` (1-based): the linear warm-up, then `rate`. */
  scheduledRate(call: number): number {
    return this.warmupSteps === 0 ? this.rate : this.rate * Math.min(1, call / this.warmupSteps);
  }

  protected override checkInput(x: tf.Tensor): void {
    checkMap(this.owner, x.shape, this.blockSize, this.dataFormat);
  }

  protected override perturb(x: tf.Tensor, seed: number): tf.Tensor {
    // The stream has handed out `state` seeds, this call's included: this is training call `state`.
    // Monte Carlo sampling (inference) uses the rate the schedule ends at.
    const rate = samplingActive() ? this.rate : this.scheduledRate(this.seeds.state);
    return dropBlockFn(x, rate, this.blockSize, true, seed, this.dataFormat); // x's shape
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      blockSize: this.blockSize,
      dataFormat: this.dataFormat,
      warmupSteps: this.warmupSteps,
    };
  }
}
tf.serialization.registerClass(DropBlock);

/** Creates a DropBlock layer: `rl.layers.dropBlock({ rate: 0.1, blockSize: 3 })`. See {@link DropBlock}. */
export function dropBlock(args: DropBlockArgs): DropBlock {
  return new DropBlock(args);
}
