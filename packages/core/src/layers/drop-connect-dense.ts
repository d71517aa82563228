/**
 * `rl.layers.dropConnectDense`: a dense layer whose kernel is dropped (DropConnect) during training.
 */
import * as tf from '@tensorflow/tfjs';
import { dropConnect } from '../functional/dropout.js';
import { drawSeed } from '../inference/sampling-context.js';
import { SeedStream } from '../random/seed-stream.js';
import { checkOptions, checkPositiveInt, checkRate, optionNames } from '../util/validate.js';
import { checkSeed, singleInput, type Kwargs } from './stochastic-layer.js';
import { DENSE_ARGS, TfjsDense, type DenseArgs } from './tfjs-bases.js';

export interface DropConnectDenseArgs extends DenseArgs {
  /** Probability p of dropping each kernel weight, in [0, 1). */
  rate: number;
  /** Seed of the layer's `SeedStream` (one seed per training call). Omitted: unseeded. */
  seed?: number | null;
}

const OWNER = 'rl.layers.dropConnectDense';

/** tf.layers.dense's options, `rate` and `seed`; any other is a RegulabConfigError. */
const OPTIONS = optionNames<DropConnectDenseArgs>({
  ...DENSE_ARGS,
  rate: true,
  seed: true,
});

/**
 * Dense layer with DropConnect on the kernel (Wan et al., 2013, "Regularization of Neural Networks
 * using DropConnect", ICML).
 *
 * Training: y = act(x · (W ⊙ M / (1 − p)) + b), M ~ Bernoulli(1 − p) of W's shape [D, U], drawn
 * afresh on every training call and shared by every example of the batch (as the weight-drop of
 * AWD-LSTM does; Wan et al. draw one per example, which costs a matmul per example). The bias is
 * not dropped. Inference: y = act(x · W + b) with the raw kernel: inverted scaling makes W the
 * mean of the dropped kernel (instead of Wan et al.'s Gaussian moment matching). Monte Carlo
 * sampling (`rl.inference.mcPredict`) draws M as in training, one mask per call.
 *
 * The trained variable is the raw kernel W; regularizers and constraints set on the kernel act
 * on W, and saved weights are W.
 *
 * Shapes: input [B, …, D]; kernel [D, U]; bias [U]; output [B, …, U]. Any batch size.
 *
 * Takes every option of `tf.layers.dense` (units, activation, useBias, kernelInitializer,
 * biasInitializer, kernelRegularizer, biasRegularizer, activityRegularizer, kernelConstraint,
 * biasConstraint, inputShape, name…) plus `rate` and `seed`; it extends tfjs's own Dense, so all
 * of them are built and serialized exactly as tfjs does.
 */
export class DropConnectDense extends TfjsDense {
  static override className = 'RegulabDropConnectDense';
  readonly rate: number;
  readonly seed: number | null;
  /** Per-call seeds; `seeds.state` / `seeds.restore(n)` checkpoint how many masks were drawn. */
  readonly seeds: SeedStream;

  constructor(args: DropConnectDenseArgs) {
    checkOptions(OWNER, args, OPTIONS);
    checkPositiveInt(OWNER, 'units', args.units);
    super(args);
    this.rate = checkRate(OWNER, 'rate', args.rate);
    this.seed = checkSeed(OWNER, args.seed);
    this.seeds = new SeedStream(this.seed);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      this.invokeCallHook(inputs, kwargs);
      const x = singleInput(OWNER, inputs); // [B, …, D]
      const seed = this.rate > 0 ? drawSeed(kwargs['training'] === true, this.seeds) : null;
      const rawKernel = this.kernel!.read(); // [D, U]
      const kernel = seed !== null ? dropConnect(rawKernel, this.rate, true, seed) : rawKernel; // [D, U]
      const [inDim, units] = kernel.shape;
      const flat = tf.reshape(x, [-1, inDim]); // [N, D]
      let y = tf.matMul(flat, kernel); // [N, U]
      if (this.bias != null) y = tf.add(y, this.bias.read()); // [N, U]
      y = this.activation.apply(y); // [N, U]
      return tf.reshape(y, [...x.shape.slice(0, -1), units]); // [B, …, U]
    });
  }

  /** The kernel mask is shared by the batch (see BatchSharedNoise). */
  sharesNoiseAcrossBatch(): boolean {
    return this.rate > 0;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rate: this.rate, seed: this.seed };
  }
}
tf.serialization.registerClass(DropConnectDense);

/** Creates a DropConnect dense layer: `rl.layers.dropConnectDense({ units: 64, rate: 0.5 })`. See {@link DropConnectDense}. */
export function dropConnectDense(args: DropConnectDenseArgs): DropConnectDense {
  return new DropConnectDense(args);
}
